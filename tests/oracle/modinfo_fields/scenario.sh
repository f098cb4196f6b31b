# modinfo's fields and their order; parameters at insmod
modinfo paramdemo.ko
modinfo -F parm paramdemo.ko
modinfo -F author paramdemo.ko
modinfo -F version paramdemo.ko
modinfo -p paramdemo.ko
dmesg -C
insmod paramdemo.ko count=2 name=kernel loud=1
ls /sys/module/paramdemo/parameters
cat /sys/module/paramdemo/parameters/count /sys/module/paramdemo/parameters/name
modinfo paramdemo
rmmod paramdemo
insmod paramdemo.ko count=x
dmesg
