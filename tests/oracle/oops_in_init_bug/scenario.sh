# an Oops in init: insmod is killed, the module is stuck half-loaded
dmesg -C
insmod init_bug.ko
lsmod
rmmod init_bug
rmmod -f init_bug
cat /proc/modules
cat /proc/sys/kernel/tainted
dmesg
