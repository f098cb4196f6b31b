# modules/slabcache: objects from a slab cache of their own
dmesg -C
insmod slabcache.ko
echo alloc > /proc/slabcache
echo alloc > /proc/slabcache
echo alloc > /proc/slabcache
cat /proc/slabcache
echo free > /proc/slabcache
cat /proc/slabcache
echo shrink > /proc/slabcache
rmmod slabcache
dmesg
