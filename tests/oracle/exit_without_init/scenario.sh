# module_exit without module_init: loads, and rmmod runs the exit function
dmesg -C
insmod onlyexit.ko
lsmod
cat /proc/modules
rmmod onlyexit
dmesg
