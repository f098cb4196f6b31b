# modules/itemlist: a linked list of structs built from /proc writes, printed with seq_file
dmesg -C
insmod itemlist.ko
echo add apple > /proc/itemlist
echo add banana > /proc/itemlist
echo add cherry > /proc/itemlist
cat /proc/itemlist
echo del 2 > /proc/itemlist
echo del 2 > /proc/itemlist
echo frob > /proc/itemlist
echo add date > /proc/itemlist
cat /proc/itemlist
head -n 1 /proc/itemlist
echo clear > /proc/itemlist
cat /proc/itemlist | wc -c
echo add elderberry > /proc/itemlist
rmmod itemlist
dmesg
