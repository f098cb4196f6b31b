# modules/buggy/datastructs iterdel: list_del() inside a plain list_for_each_entry()
dmesg -C
insmod datastructs.ko
echo add > /proc/datastructs
echo add > /proc/datastructs
echo iterdel > /proc/datastructs
cat /proc/sys/kernel/tainted
dmesg
