"""Memory bugs, one per command written to /proc/memory:

    overflow   copy more bytes than the kmalloc'd buffer holds
    uaf        use a buffer after kfree()
    double     kfree() the same buffer twice
    leak       kmalloc() a buffer and forget it (reported at rmmod)
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")

saved = None


def memory_write(file, buf, count, ppos):
    global saved
    cmd = bytearray(16)
    if copy_from_user(cmd, buf, min(count, 16)):
        return -EFAULT
    cmd = bytes(cmd).rstrip(b"\0").strip()
    if cmd == b"overflow":
        small = kmalloc(8, GFP_KERNEL)
        copy_from_user(small, buf, count)  # count is 9 here: one byte too many
        kfree(small)
    elif cmd == b"uaf":
        p = kzalloc(16, GFP_KERNEL)
        kfree(p)
        p[0] = 1
    elif cmd == b"double":
        p = kmalloc(32, GFP_KERNEL)
        kfree(p)
        kfree(p)
    elif cmd == b"leak":
        saved = kmalloc(64, GFP_KERNEL)
        saved[0:5] = b"leak!"
        saved = None  # the only pointer to it is gone
    else:
        return -EINVAL
    return count


memory_fops = proc_ops(proc_write=memory_write)


@module_init
def memory_init():
    proc_create("memory", 0o666, None, memory_fops)
    return 0


@module_exit
def memory_exit():
    remove_proc_entry("memory", None)
