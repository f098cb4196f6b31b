# do kernel messages show up in the output of the line that caused them? (console is ttyS0)
cat /proc/sys/kernel/printk
dmesg -C
insmod loudlog.ko
rmmod loudlog
dmesg
dmesg -r
dmesg -x
dmesg -l err
