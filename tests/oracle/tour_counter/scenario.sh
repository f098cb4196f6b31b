# README tour: the counter
dmesg -C
insmod counter.ko
lsmod
stat -c '%A %U %G %s %n' /proc/counter
echo I > /proc/counter
echo I > /proc/counter
echo I > /proc/counter
echo D > /proc/counter
cat /proc/counter
echo X > /proc/counter
cat /proc/modules
cat /proc/sys/kernel/tainted
modinfo counter.ko
rmmod counter
cat /proc/counter
dmesg
