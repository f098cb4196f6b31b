# msleep() under a spinlock (Debian: no CONFIG_DEBUG_ATOMIC_SLEEP)
dmesg -C
insmod sleepy.ko
echo x > /proc/sleepy
cat /proc/sys/kernel/tainted
dmesg
rmmod sleepy
