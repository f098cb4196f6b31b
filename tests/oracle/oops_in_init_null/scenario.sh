# an Oops in init: insmod is killed, the module is stuck half-loaded
dmesg -C
insmod init_null.ko
lsmod
rmmod init_null
rmmod -f init_null
cat /proc/modules
cat /proc/sys/kernel/tainted
dmesg
