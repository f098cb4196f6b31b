# modules/startstop: a module built from two files (Kbuild: startstop-objs := start.o stop.o)
dmesg -C
insmod startstop.ko
lsmod
rmmod startstop
dmesg
