# a kthread ticks beside the shell until rmmod stops it; work and a tasklet run deferred
dmesg -C
insmod ticker.ko
sleep 1.5
dmesg | grep -q 'ticker: tick 1' && echo ticking
rmmod ticker
dmesg | grep -e started -e stopped
insmod deferred.ko
echo work > /proc/deferred
echo flush > /proc/deferred
echo tasklet > /proc/deferred
cat /proc/deferred
echo nonsense > /proc/deferred
rmmod deferred
dmesg | grep deferred:
