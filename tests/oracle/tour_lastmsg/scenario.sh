# modules/chardev/lastmsg: the classic first character driver
dmesg -C
insmod lastmsg.ko
cat /proc/devices | grep lastmsg
ls /dev/lastmsg
cat /dev/lastmsg
echo hello > /dev/lastmsg
cat /dev/lastmsg
echo a message longer than sixty-four bytes is cut where the buffer ends, here > /dev/lastmsg
cat /dev/lastmsg
lsmod | grep lastmsg
rmmod lastmsg
ls /dev/lastmsg
cat /proc/devices | grep lastmsg
dmesg
