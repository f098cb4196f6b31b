# modules/buggy/forgot_remove: exit forgets remove_proc_entry()
dmesg -C
insmod forgot_remove.ko
cat /proc/forgot_remove
rmmod forgot_remove
ls /proc/forgot_remove
cat /proc/forgot_remove
insmod forgot_remove.ko
lsmod
cat /proc/sys/kernel/tainted
dmesg
