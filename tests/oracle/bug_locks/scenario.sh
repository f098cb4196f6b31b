# modules/buggy/locks: the kernel already has a /proc/locks (its file-lock table)
dmesg -C
stat -c '%A %n' /proc/locks
insmod locks.ko
lsmod
echo atomic > /proc/locks
echo hold > /proc/locks
rmmod locks
stat -c '%A %n' /proc/locks
cat /proc/sys/kernel/tainted
dmesg
