# modules/buggy/datastructs refs: one refcount_dec_and_test() too many (lib/refcount.c WARN_ONCE)
dmesg -C
insmod datastructs.ko
echo refs > /proc/datastructs
echo refs > /proc/datastructs
cat /proc/sys/kernel/tainted
dmesg
