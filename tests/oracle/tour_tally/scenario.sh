# modules/tally: debugfs files over the module's variables, and one with its own file_operations
dmesg -C
mount -t debugfs none /sys/kernel/debug
insmod tally.ko
ls /sys/kernel/debug/tally
cat /sys/kernel/debug/tally/count
echo 41 > /sys/kernel/debug/tally/count
cat /sys/kernel/debug/tally/count
echo 0x10 > /sys/kernel/debug/tally/count
cat /sys/kernel/debug/tally/count
echo lots > /sys/kernel/debug/tally/count
cat /sys/kernel/debug/tally/count
echo 4294967297 > /sys/kernel/debug/tally/count
cat /sys/kernel/debug/tally/count
cat /sys/kernel/debug/tally/mask
echo 255 > /sys/kernel/debug/tally/mask
cat /sys/kernel/debug/tally/mask
cat /sys/kernel/debug/tally/enabled
echo n > /sys/kernel/debug/tally/enabled
cat /sys/kernel/debug/tally/enabled
echo maybe > /sys/kernel/debug/tally/enabled
cat /sys/kernel/debug/tally/enabled
cat /sys/kernel/debug/tally/version
echo
echo 2 > /sys/kernel/debug/tally/version
cat /sys/kernel/debug/tally/status
echo reset > /sys/kernel/debug/tally/status
echo what > /sys/kernel/debug/tally/status
cat /sys/kernel/debug/tally/status
cat /sys/module/tally/refcnt
rmmod tally
ls /sys/kernel/debug/tally
dmesg
