"""`kmod sh`: a root shell over the simulated machine, where a tutorial's lines run verbatim.

Lines are parsed as POSIX sh parses them (bashlex); the kernel-facing programs (insmod,
rmmod, lsmod, modinfo, dmesg) and the file tools a tutorial uses on /proc and /sys (cat,
head, tail, tee, echo, printf, ls) run in-process against the machine; anything else runs as
the real program on the host, with pipes between the two kinds. Messages are dash's.
"""
