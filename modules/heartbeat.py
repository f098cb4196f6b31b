"""A timer that fires every second and logs a heartbeat, until the module is removed.

    kmod insmod modules/heartbeat.py
    sleep 3; kmod dmesg          # three heartbeats
    kmod rmmod heartbeat
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_DESCRIPTION("Logs a heartbeat every second from a kernel timer")

beats = 0
heartbeat_timer = timer_list()


def heartbeat(timer):
    global beats
    beats += 1
    pr_info("heartbeat: %d\n", beats)
    mod_timer(timer, jiffies_now() + msecs_to_jiffies(1000))


@module_init
def heartbeat_init():
    timer_setup(heartbeat_timer, heartbeat, 0)
    mod_timer(heartbeat_timer, jiffies_now() + msecs_to_jiffies(1000))
    pr_info("heartbeat: started\n")
    return 0


@module_exit
def heartbeat_exit():
    del_timer_sync(heartbeat_timer)
    pr_info("heartbeat: stopped after %d beats\n", beats)
