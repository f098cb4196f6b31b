# insmod/rmmod options and error messages
dmesg -C
insmod
rmmod
insmod -V
rmmod -V
insmod -v hello.ko
insmod -s hello.ko
insmod hello.ko
insmod -s hello.ko
rmmod -v hello
rmmod -v hello
insmod hello.ko
rmmod nosuch
insmod nosuch.ko
rmmod -f hello
cat /proc/sys/kernel/tainted
insmod hello.ko foo=1
lsmod | head -n 2
rmmod hello.ko
dmesg
