"""A sysfs folder /sys/kernel/dial with two attribute files, and a parameter with callbacks
that /sys/module/dial/parameters/step shows and sets.

    cat /sys/kernel/dial/value             the value
    echo 5 > /sys/kernel/dial/value        set it
    echo 1 > /sys/kernel/dial/bump         add step to it
    echo 10 > /sys/module/dial/parameters/step
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("kmodsim")
MODULE_DESCRIPTION("sysfs attributes and a parameter with callbacks")

value = 0
step = 1


def step_set(val, kp):
    global step
    ret, n = kstrtoint(val, 0)
    if ret:
        return ret
    if n < 1 or n > 100:
        pr_warn("dial: step %d is not in 1..100\n", n)
        return -EINVAL
    pr_info("dial: step %d -> %d\n", step, n)
    step = n
    return 0


step_ops = kernel_param_ops(set=step_set, get=param_get_int)
module_param_cb("step", step_ops, "step", 0o644)   # &step: the variable's name
MODULE_PARM_DESC("step", "how much a bump adds, 1 to 100 (default 1)")


def value_show(kobj, attr, buf):
    return sysfs_emit(buf, "%d\n", value)


def value_store(kobj, attr, buf, count):
    global value
    ret, n = kstrtoint(buf, 10)
    if ret:
        return ret
    value = n
    return count


value_attribute = __ATTR_RW("value")   # value_show and value_store, mode 0644


def bump_store(kobj, attr, buf, count):
    global value
    value += step
    pr_info("dial: bumped by %d to %d\n", step, value)
    return count


bump_attribute = __ATTR_WO("bump")   # bump_store, mode 0200

dial_attrs = [value_attribute.attr, bump_attribute.attr, None]
dial_group = attribute_group(attrs=dial_attrs)
dial_kobj = None


@module_init
def dial_init():
    global dial_kobj
    dial_kobj = kobject_create_and_add("dial", kernel_kobj)
    if not dial_kobj:
        return -ENOMEM
    ret = sysfs_create_group(dial_kobj, dial_group)
    if ret:
        kobject_put(dial_kobj)
        return ret
    pr_info("dial: /sys/kernel/dial ready, step %d\n", step)
    return 0


@module_exit
def dial_exit():
    kobject_put(dial_kobj)
    pr_info("dial: value was %d\n", value)
