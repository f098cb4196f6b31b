# modules/idalloc: an allocator of ids in a bitmap (and a parameter checked by init)
dmesg -C
insmod idalloc.ko max_ids=300
insmod idalloc.ko max_ids=4
echo get > /proc/idalloc
echo get > /proc/idalloc
echo get > /proc/idalloc
echo put 1 > /proc/idalloc
cat /proc/idalloc
echo get > /proc/idalloc
echo get > /proc/idalloc
echo get > /proc/idalloc
echo put 1 > /proc/idalloc
echo put 1 > /proc/idalloc
echo put 9 > /proc/idalloc
cat /proc/idalloc
rmmod idalloc
dmesg
