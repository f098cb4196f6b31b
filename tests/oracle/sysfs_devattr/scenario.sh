# device and class attributes: DEVICE_ATTR_RW + device_create_file, CLASS_ATTR_RO + class_create_file
dmesg -C
insmod devattr.ko
ls /sys/class/devattr
cat /sys/class/devattr/devattr0/speed /sys/class/devattr/version /sys/class/devattr/devattr0/dev
echo 33 > /sys/class/devattr/devattr0/speed
cat /sys/class/devattr/devattr0/speed
echo fast > /sys/class/devattr/devattr0/speed
echo 1 > /sys/class/devattr/version
rmmod devattr
ls /sys/class/devattr
dmesg
