"""A knob in /dev/knob that user programs turn with ioctl(): get its position, set it, swap
it for a new one, reset it. The commands come from knob_defs.py, which the user program
knob_user.py imports too; `cat /dev/knob` shows the position.

    python3 knob_user.py set 42    (C: ioctl(fd, KNOB_SET, &value))
    python3 knob_user.py get
    cat /dev/knob

register_chrdev() takes a free major and serves all its minors with one file_operations;
class_create() + device_create() make the node /dev/knob.
"""

from kmodsim.kernel import *

include("knob_defs.py")  # #include "knob_defs.h"

MODULE_LICENSE("GPL")
MODULE_AUTHOR("kmodsim")
MODULE_DESCRIPTION("A knob turned with ioctl(), sharing its commands with user space")

DEVICE_NAME = "knob"

major = 0
knob_class = None
knob_device = None
lock = DEFINE_MUTEX()
position = KNOB_MIN


def knob_ioctl(file, cmd, arg):
    """`arg` is the user's pointer (an int __user *) for the commands that take one."""
    global position
    if cmd == KNOB_GET:
        return put_user(position, arg, int)  # 0, or -EFAULT for a bad pointer
    if cmd == KNOB_SET or cmd == KNOB_SWAP:
        err, new = get_user(arg, int)
        if err:
            return err
        if new < KNOB_MIN or new > KNOB_MAX:
            return -EINVAL
        mutex_lock(lock)
        old, position = position, new
        mutex_unlock(lock)
        dev_info(knob_device, "turned from %d to %d\n", old, new)
        return put_user(old, arg, int) if cmd == KNOB_SWAP else 0
    if cmd == KNOB_RESET:
        position = KNOB_MIN
        return 0
    return -ENOTTY  # not a command of ours: "Inappropriate ioctl for device"


def knob_read(file, buf, count, ppos):
    return simple_read_from_buffer(buf, count, ppos, b"%d\n" % position)


knob_fops = file_operations(
    owner=THIS_MODULE,
    read=knob_read,
    unlocked_ioctl=knob_ioctl,
    compat_ioctl=knob_ioctl,  # a 32-bit program's calls: an int is an int there too
)


def knob_devnode(dev):
    return None, 0o666  # C: *mode = 0666; return NULL


@module_init
def knob_init():
    global major, knob_class, knob_device
    major = register_chrdev(0, DEVICE_NAME, knob_fops)
    if major < 0:
        return major
    knob_class = class_create(DEVICE_NAME)
    if IS_ERR(knob_class):
        unregister_chrdev(major, DEVICE_NAME)
        return PTR_ERR(knob_class)
    knob_class.devnode = knob_devnode
    knob_device = device_create(knob_class, None, MKDEV(major, 0), None, DEVICE_NAME)
    if IS_ERR(knob_device):
        class_destroy(knob_class)
        unregister_chrdev(major, DEVICE_NAME)
        return PTR_ERR(knob_device)
    dev_info(knob_device, "ready: ioctl KNOB_GET %#x, KNOB_SET %#x\n", KNOB_GET, KNOB_SET)
    return 0


@module_exit
def knob_exit():
    device_destroy(knob_class, MKDEV(major, 0))
    class_destroy(knob_class)
    unregister_chrdev(major, DEVICE_NAME)
