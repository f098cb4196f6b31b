# modules/buggy/null_deref: an Oops in a /proc write handler
dmesg -C
insmod null_deref.ko
echo x > /proc/null_deref
lsmod
cat /proc/sys/kernel/tainted
dmesg
rmmod null_deref
cat /proc/modules
cat /proc/null_deref
