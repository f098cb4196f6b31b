# README tour: a /proc file that remembers what was written to it
dmesg -C
insmod procfile.ko
cat /proc/procfile
echo "hello procfs" > /proc/procfile
cat /proc/procfile
printf abc > /proc/procfile
cat /proc/procfile
dd if=/dev/zero of=/proc/procfile bs=2000 count=1 status=none
wc -c < /proc/procfile
lsmod
cat /proc/modules
cat /proc/sys/kernel/tainted
modinfo procfile.ko
rmmod procfile
dmesg
