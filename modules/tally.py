"""A debugfs folder /sys/kernel/debug/tally whose files show and set the module's variables
(debugfs_create_u32, _x32, _bool, _blob), and one file with its own file_operations.

    mount -t debugfs none /sys/kernel/debug     (if it isn't mounted yet)
    cat /sys/kernel/debug/tally/count
    echo 41 > /sys/kernel/debug/tally/count
    cat /sys/kernel/debug/tally/status
    echo reset > /sys/kernel/debug/tally/status
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("kmodsim")
MODULE_DESCRIPTION("debugfs files over the module's variables")

count = 0
mask = 0xF0
enabled = True
version = debugfs_blob_wrapper(data=b"tally 1.0", size=9)
tally_dir = None


def status_read(file, buf, len, ppos):
    text = bytearray(64)
    n = scnprintf(text, 64, "count %u, mask 0x%x, %s\n", count, mask,
                  "enabled" if enabled else "disabled")
    return simple_read_from_buffer(buf, len, ppos, text, n)


def status_write(file, buf, len, ppos):
    global count
    cmd = bytearray(16)
    if len >= 16:
        return -EINVAL
    if copy_from_user(cmd, buf, len):
        return -EFAULT
    cmd[len] = 0
    if not sysfs_streq(cmd, "reset"):
        return -EINVAL
    pr_info("tally: count %u reset\n", count)
    count = 0
    return len


status_fops = file_operations(owner=THIS_MODULE, read=status_read, write=status_write)


@module_init
def tally_init():
    global tally_dir
    tally_dir = debugfs_create_dir("tally", None)
    debugfs_create_u32("count", 0o644, tally_dir, "count")   # &count: the variable's name
    debugfs_create_x32("mask", 0o644, tally_dir, "mask")
    debugfs_create_bool("enabled", 0o644, tally_dir, "enabled")
    debugfs_create_blob("version", 0o444, tally_dir, version)
    debugfs_create_file("status", 0o644, tally_dir, None, status_fops)
    pr_info("tally: /sys/kernel/debug/tally ready\n")
    return 0


@module_exit
def tally_exit():
    debugfs_remove(tally_dir)
    pr_info("tally: count was %u\n", count)
