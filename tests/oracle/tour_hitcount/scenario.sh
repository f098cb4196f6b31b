# modules/hitcount: statistics in atomic counters, printed with single_open
dmesg -C
insmod hitcount.ko
cat /proc/hitcount
echo hello > /proc/hitcount
echo hi > /proc/hitcount
cat /proc/hitcount
echo reset > /proc/hitcount
cat /proc/hitcount
rmmod hitcount
dmesg
