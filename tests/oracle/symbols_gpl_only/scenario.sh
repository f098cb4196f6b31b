# a module whose license isn't GPL-compatible using an EXPORT_SYMBOL_GPL symbol; a GPL
# module using a proprietary module's symbol
sed -i 's/license=GPL/license=MIT/' nongpl_user.ko
modinfo -F license nongpl_user.ko
insmod mathlib.ko
dmesg -C
insmod nongpl_user.ko
lsmod
dmesg
dmesg -C
insmod closed_lib.ko
insmod gpl_user.ko
cat /proc/modules
rmmod closed_lib
dmesg
