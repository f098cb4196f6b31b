# modules/buggy/locks: lock bugs through /proc/lockbugs (not /proc/locks: the kernel has that)
dmesg -C
insmod locks.ko
echo atomic > /proc/lockbugs
echo hold > /proc/lockbugs
echo unlock > /proc/lockbugs
lsmod
rmmod locks
cat /proc/sys/kernel/tainted
dmesg
