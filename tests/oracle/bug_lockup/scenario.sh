# modules/buggy/lockup: a soft lockup (threshold lowered to 2 s; softlockup_panic so the VM stops)
echo 1 > /proc/sys/kernel/watchdog_thresh
echo 1 > /proc/sys/kernel/softlockup_panic
insmod lockup.ko
echo x > /proc/lockup
