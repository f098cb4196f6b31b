# modules/watchparam: parameters with callbacks, strings and bools; what parse_args logs
dmesg -C
insmod watchparam.ko level=11
insmod watchparam.ko level=two
insmod watchparam.ko level
insmod watchparam.ko tag=muchtoolong
insmod watchparam.ko level=3 'name="Ada Lovelace"' tag=x1 verbose bogus=1
rmmod watchparam
insmod watchparam.ko name="Big Bob" verbose=n
rmmod watchparam
insmod watchparam.ko level=0x0A verbose=yes name=
rmmod watchparam
dmesg
