# modules/buggy/init_returns_one: init returns 1
dmesg -C
insmod init_returns_one.ko
lsmod
rmmod init_returns_one
dmesg
