# a module that needs another module's exported symbol
dmesg -C
insmod consumer.ko
modinfo -F depends consumer.ko
insmod provider.ko
insmod consumer.ko
lsmod
cat /proc/modules
rmmod provider
rmmod consumer
rmmod provider
dmesg
