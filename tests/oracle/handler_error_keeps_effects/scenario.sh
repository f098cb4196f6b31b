# a write handler's printk and side effect stay although it returns -EINVAL
dmesg -C
insmod failwrite.ko
echo x > /proc/failwrite
echo hello > /proc/failwrite
cat /proc/failwrite
dmesg
rmmod failwrite
