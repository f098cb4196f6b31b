# modprobe loads a module after the modules it needs, once depmod has indexed them in
# /lib/modules/$(uname -r); modprobe -r removes it and the dependencies nothing uses
dmesg -C
modprobe mathuser
mkdir -p /lib/modules/$(uname -r)/extra
cp mathlib.ko mathuser.ko /lib/modules/$(uname -r)/extra/
depmod -a
modprobe -n -v mathuser
modprobe -v mathuser a=35 b=21
lsmod
modprobe mathuser
modprobe --first-time mathuser
modprobe -r mathlib
modinfo -F depends mathuser
modprobe -r -n -v mathuser
modprobe -r -v mathuser
lsmod
modprobe -r mathuser
modprobe -r --first-time mathuser
modprobe -r nosuch
dmesg
