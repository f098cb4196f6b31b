"""Bug: the exit function forgets kobject_put(). After rmmod, /sys/kernel/forgot_put is still
there, and its attribute points at the module's memory, which is gone."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


def greeting_show(kobj, attr, buf):
    return sysfs_emit(buf, "still here\n")


greeting_attribute = __ATTR_RO("greeting")
forgot_kobj = None


@module_init
def forgot_init():
    global forgot_kobj
    forgot_kobj = kobject_create_and_add("forgot_put", kernel_kobj)
    if not forgot_kobj:
        return -ENOMEM
    return sysfs_create_file(forgot_kobj, greeting_attribute.attr)


@module_exit
def forgot_exit():
    pr_info("forgot_put: bye\n")  # and no kobject_put()
