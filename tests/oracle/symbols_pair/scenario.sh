# two modules, one using what the other exports (modules/symbols/): load order, Used by,
# in use; modprobe knows neither until depmod indexed them
dmesg -C
insmod mathuser.ko
modinfo -F depends mathuser.ko
insmod mathlib.ko
insmod mathuser.ko a=35 b=21
lsmod
cat /proc/modules
rmmod mathlib
modprobe -r mathuser
modprobe mathuser
modprobe -r nosuch
modprobe
rmmod mathuser
lsmod
rmmod mathlib
dmesg
