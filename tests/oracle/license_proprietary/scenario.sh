# a non-GPL licence (the loadable stand-in for modules/buggy/no_license): taint P
dmesg -C
insmod proprietary.ko
lsmod
cat /proc/modules
cat /proc/sys/kernel/tainted
modinfo proprietary.ko
insmod hello.ko
cat /proc/modules
rmmod proprietary
cat /proc/sys/kernel/tainted
dmesg
