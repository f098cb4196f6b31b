# modules/buggy/runaway_read: a read handler that never returns 0
dmesg -C
insmod runaway_read.ko
cat /proc/runaway_read | head -n 3
dd if=/proc/runaway_read bs=4096 count=2 status=none | wc -c
rmmod runaway_read
dmesg
