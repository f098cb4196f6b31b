# modules/buggy/datastructs cache: kmem_cache_destroy() of a cache that still has an object
dmesg -C
insmod datastructs.ko
echo cache > /proc/datastructs
cat /proc/sys/kernel/tainted
dmesg
