# device numbers, /proc/devices, /dev nodes, ENXIO, dev_* printk
dmesg -C
cat /proc/devices
insmod chrnum.ko
cat /proc/devices
ls /dev/chrnum_nocdev
cat /dev/chrnum0
cat /dev/chrnum_nocdev
echo x > /dev/chrnum_nocdev
ls /sys/class/chrnumcls
cat /sys/class/chrnumcls/chrnum0/dev
cat /sys/class/chrnumcls/chrnum_nocdev/uevent
dmesg -r
rmmod chrnum
cat /proc/devices
ls /dev/chrnum0
dmesg
