"""Module parameters with callbacks: the module sees every value it is given, and may refuse.

    insmod watchparam.ko level=3 name="Ada" tag=x1     (level: 0 to 10)

`level` is checked by its set callback and logged each time it is read or written; `name` is
a plain charp, `tag` a string copied into a buffer of 8 bytes, and `verbose` a bool the
module calls `debug` inside.
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("kmodsim")
MODULE_DESCRIPTION("Module parameters with callbacks")

LEVEL_MAX = 10

level = 5
name = "nobody"
tag = bytearray(b"none".ljust(8, b"\0"))
debug = False


def level_set(val, kp):
    err, n = kstrtoint(val, 0)
    if err:
        pr_warn("watchparam: level '%s' is not a number\n", val)
        return err
    if n < 0 or n > LEVEL_MAX:
        pr_warn("watchparam: level %d is not in 0..%d\n", n, LEVEL_MAX)
        return -EINVAL
    pr_info("watchparam: level %d -> %d\n", kp.arg.value, n)
    return param_set_int(val, kp)


def level_get(buffer, kp):
    pr_info("watchparam: level read\n")
    return param_get_int(buffer, kp)


level_ops = kernel_param_ops(set=level_set, get=level_get)
module_param_cb("level", level_ops, "level", 0o644)
MODULE_PARM_DESC("level", "how much to do, 0 to 10 (default 5)")
module_param("name", "charp", 0o444)
MODULE_PARM_DESC("name", "who to greet")
module_param_string("tag", "tag", 8, 0o444)
MODULE_PARM_DESC("tag", "a short tag, at most 7 characters")
module_param_named("verbose", "debug", "bool", 0o644)
MODULE_PARM_DESC("verbose", "log more")


@module_init
def watchparam_init():
    pr_info("watchparam: hello %s, level %d, tag %s%s\n", name, level, tag,
            ", verbose" if debug else "")
    return 0


@module_exit
def watchparam_exit():
    pr_info("watchparam: goodbye %s\n", name)
