# README tour: hello
dmesg -C
insmod hello.ko
lsmod
cat /proc/modules
cat /proc/sys/kernel/tainted
modinfo hello.ko
rmmod hello
lsmod
dmesg
cat /proc/sys/kernel/tainted
