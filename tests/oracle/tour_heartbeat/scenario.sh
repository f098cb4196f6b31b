# a kernel timer that logs every second
dmesg -C
insmod heartbeat.ko
sleep 3.5
dmesg
rmmod heartbeat
dmesg | tail -n 1
modinfo heartbeat.ko
