# modules/buggy/memory uaf, leak, double (no KASAN/kmemleak on Debian; hardened SLUB freelist)
dmesg -C
insmod memory.ko
echo uaf > /proc/memory
echo leak > /proc/memory
echo bogus > /proc/memory
rmmod memory
insmod memory.ko
echo double > /proc/memory
cat /proc/sys/kernel/tainted
dmesg
