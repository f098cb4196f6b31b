# modules/mailbox: a module that shares a file of definitions with user space
dmesg -C
insmod mailbox.ko
echo hello > /proc/mailbox
cat /proc/mailbox
echo 0123456789012345678901234567890123 > /proc/mailbox
cat /proc/mailbox
echo clear > /proc/mailbox
cat /proc/mailbox | wc -c
rmmod mailbox
dmesg
