# a printk without a final newline, then one with
dmesg -C
insmod nonewline.ko
dmesg
rmmod nonewline
dmesg
