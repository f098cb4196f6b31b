# modules/buggy/no_exit: no exit function, so no rmmod (but rmmod -f)
dmesg -C
insmod no_exit.ko
lsmod
cat /proc/modules
rmmod no_exit
rmmod -f no_exit
lsmod
cat /proc/sys/kernel/tainted
dmesg
