# two writers at once: racy.ko loses an update, locked.ko (a mutex) does not
dmesg -C
insmod racy.ko
insmod locked.ko
echo I > /proc/racy & echo I > /proc/racy; wait
cat /proc/racy
echo I > /proc/locked & echo I > /proc/locked; wait
cat /proc/locked
lsmod
rmmod racy locked
