# modules/ioctl/knob: a device driven by ioctl (knob_user.py turns it; the shell can read it)
dmesg -C
insmod knob.ko
cat /proc/devices | grep knob
ls /dev/knob
cat /dev/knob
echo 5 > /dev/knob
rmmod knob
ls /dev/knob
dmesg
