# modules/buggy/forgot_chrdev: exit forgets unregister_chrdev, device_destroy, class_destroy
dmesg -C
insmod forgot_chrdev.ko
cat /proc/devices | grep forgot
rmmod forgot_chrdev
cat /proc/devices | grep forgot
ls /dev/forgot_chrdev
ls /sys/class/forgot_chrdev
insmod forgot_chrdev.ko
cat /proc/devices | grep forgot
lsmod | grep forgot
dmesg
