# modules/buggy/memory overflow: copy_from_user of 9 bytes into kmalloc(8) (no KASAN on Debian; hardened usercopy)
dmesg -C
insmod memory.ko
echo overflow > /proc/memory
cat /proc/sys/kernel/tainted
dmesg
