# /sys/module/NAME/parameters: each file calls the parameter's get or set (modules/watchparam)
dmesg -C
insmod watchparam.ko name=Ada
ls /sys/module/watchparam/parameters
cat /sys/module/watchparam/parameters/level
echo 7 > /sys/module/watchparam/parameters/level
cat /sys/module/watchparam/parameters/level
echo 70 > /sys/module/watchparam/parameters/level
echo abc > /sys/module/watchparam/parameters/level
cat /sys/module/watchparam/parameters/name /sys/module/watchparam/parameters/tag /sys/module/watchparam/parameters/verbose
echo Bob > /sys/module/watchparam/parameters/name
echo y > /sys/module/watchparam/parameters/verbose
cat /sys/module/watchparam/parameters/verbose
echo maybe > /sys/module/watchparam/parameters/verbose
cat /sys/module/watchparam/refcnt /sys/module/watchparam/initstate /sys/module/watchparam/taint /sys/module/watchparam/initsize
ls /sys/module/watchparam/holders /sys/module/watchparam/notes
rmmod watchparam
ls /sys/module/watchparam
dmesg
