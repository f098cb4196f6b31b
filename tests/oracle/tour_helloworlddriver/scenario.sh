# README tour: a read-only /proc file
dmesg -C
insmod helloworlddriver.ko
lsmod
stat -c '%A %U %G %s %n' /proc/helloworlddriver
cat /proc/helloworlddriver
cat /proc/helloworlddriver
head -c 5 /proc/helloworlddriver
echo hi > /proc/helloworlddriver
cat /proc/modules
cat /proc/sys/kernel/tainted
modinfo helloworlddriver.ko
rmmod helloworlddriver
cat /proc/helloworlddriver
dmesg
