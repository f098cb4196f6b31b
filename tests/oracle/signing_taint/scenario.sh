# the first unsigned out-of-tree module taints the kernel (O, E); later ones say nothing
cat /proc/sys/kernel/tainted
dmesg -C
insmod hello.ko
cat /proc/sys/kernel/tainted
insmod counter.ko
cat /proc/modules
rmmod hello
rmmod counter
insmod hello.ko
cat /proc/sys/kernel/tainted
dmesg
