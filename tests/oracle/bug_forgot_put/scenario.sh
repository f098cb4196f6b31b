# modules/buggy/forgot_put: exit forgets kobject_put()
# (the PGD line goes: its page-table addresses change from boot to boot)
dmesg -C
insmod forgot_put.ko
cat /sys/kernel/forgot_put/greeting
rmmod forgot_put
ls /sys/kernel/forgot_put
cat /sys/kernel/forgot_put/greeting
insmod forgot_put.ko
lsmod
dmesg | grep -v " PGD "
