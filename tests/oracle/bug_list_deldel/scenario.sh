# modules/buggy/datastructs deldel: list_del() twice (CONFIG_DEBUG_LIST, BUG_ON_DATA_CORRUPTION: Debian has both)
dmesg -C
insmod datastructs.ko
echo add > /proc/datastructs
echo deldel > /proc/datastructs
cat /proc/sys/kernel/tainted
dmesg
