# modules/buggy/panic_button: panic() stops the machine (the transcript ends with [vm stopped ...])
insmod panic_button.ko
echo x > /proc/panic_button
dmesg
