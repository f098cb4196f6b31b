# modules/dial: sysfs attributes under /sys/kernel, a parameter with callbacks under /sys/module
dmesg -C
insmod dial.ko step=3
ls /sys/kernel/dial
cat /sys/kernel/dial/value
echo 5 > /sys/kernel/dial/value
cat /sys/kernel/dial/value
echo 1 > /sys/kernel/dial/bump
cat /sys/kernel/dial/value
cat /sys/kernel/dial/bump
echo five > /sys/kernel/dial/value
cat /sys/kernel/dial/value
ls /sys/module/dial/parameters
cat /sys/module/dial/parameters/step
echo 10 > /sys/module/dial/parameters/step
cat /sys/module/dial/parameters/step
echo 1 > /sys/kernel/dial/bump
cat /sys/kernel/dial/value
echo 500 > /sys/module/dial/parameters/step
cat /sys/module/dial/parameters/step
cat /sys/module/dial/refcnt
cat /sys/module/dial/initstate
cat /sys/module/dial/taint
ls /sys/module/dial
cat /sys/module/dial/uevent
rmmod dial
ls /sys/kernel/dial
cat /sys/module/dial/refcnt
dmesg
