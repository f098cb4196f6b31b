# what dash (sh) and bash print when /proc files fail
insmod counter.ko
insmod hello_ro.ko
cat /proc/nosuch
echo x > /proc/nosuch
echo x > /proc/hello_ro
cat /proc/counter | wc -c
echo X > /proc/counter; echo $?
echo $?
false && echo no || echo yes
dmesg | tail -n 2
echo I | tee /proc/counter
echo 32 | tee /proc/counter
cat /proc/counter
bash -c 'echo X > /proc/counter'
bash -c 'echo x > /proc/hello_ro'
bash -c 'echo x > /proc/nosuch'
printf X > /proc/counter
rmmod counter hello_ro
