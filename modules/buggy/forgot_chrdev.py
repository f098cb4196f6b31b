"""Bug: the exit function forgets to undo what init registered: unregister_chrdev(),
device_destroy() and class_destroy(). After rmmod the major is still taken in /proc/devices,
/dev/forgot_chrdev and /sys/class/forgot_chrdev are still there, and loading the module
again fails: its class's name is taken (sysfs's "cannot create duplicate filename")."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")

DEVICE_NAME = "forgot_chrdev"


def forgot_read(file, buf, count, ppos):
    return simple_read_from_buffer(buf, count, ppos, b"still here\n")


forgot_fops = file_operations(owner=THIS_MODULE, read=forgot_read)
major = 0
forgot_class = None


@module_init
def forgot_init():
    global major, forgot_class
    major = register_chrdev(0, DEVICE_NAME, forgot_fops)
    if major < 0:
        return major
    forgot_class = class_create(DEVICE_NAME)
    if IS_ERR(forgot_class):
        unregister_chrdev(major, DEVICE_NAME)
        return PTR_ERR(forgot_class)
    device_create(forgot_class, None, MKDEV(major, 0), None, DEVICE_NAME)
    pr_info("forgot_chrdev: major %d\n", major)
    return 0


@module_exit
def forgot_exit():
    pr_info("forgot_chrdev: bye\n")  # BUG: device_destroy, class_destroy, unregister_chrdev
