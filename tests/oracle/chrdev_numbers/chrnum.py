"""Device numbers and device printk, for the oracle: dynamic majors (254 down, past the
kernel's own), a taken major (-EBUSY), a major past the maximum (-EINVAL), a node no cdev
serves (ENXIO), and dev_info's "CLASS DEVICE: "."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")


def pr_fmt(fmt):
    return KBUILD_MODNAME + ": " + fmt


def chrnum_read(file, buf, count, ppos):
    return simple_read_from_buffer(buf, count, ppos, b"hello\n")


fops = file_operations(owner=THIS_MODULE, read=chrnum_read)
major = major2 = 0
region = 0
cls = None


@module_init
def chrnum_init():
    global major, major2, region, cls
    major = register_chrdev(0, "chrnum", fops)
    pr_info("major %d\n", major)
    major2 = register_chrdev(0, "chrnum_b", fops)
    pr_info("major2 %d\n", major2)
    r, region = alloc_chrdev_region(0, 4, "chrnum_c")
    pr_info("region %d %d:%d\n", r, MAJOR(region), MINOR(region))
    pr_info("fixed 1 -> %d\n", register_chrdev(1, "chrnum_busy", fops))
    pr_info("region again -> %d\n", register_chrdev_region(MKDEV(major, 0), 1, "chrnum_d"))
    pr_info("600 -> %d\n", register_chrdev(600, "toobig", fops))
    cls = class_create("chrnumcls")
    dev = device_create(cls, None, MKDEV(major, 0), None, "chrnum%d", 0)
    device_create(cls, None, MKDEV(MAJOR(region), 0), None, "chrnum_nocdev")
    dev_info(dev, "info %d\n", 1)
    dev_warn(dev, "warn\n")
    dev_err(dev, "err\n")
    dev_notice(dev, "notice\n")
    dev_dbg(dev, "dbg\n")
    dev_info(None, "no device\n")
    return 0


@module_exit
def chrnum_exit():
    device_destroy(cls, MKDEV(MAJOR(region), 0))
    device_destroy(cls, MKDEV(major, 0))
    class_destroy(cls)
    unregister_chrdev_region(region, 4)
    unregister_chrdev(major2, "chrnum_b")
    unregister_chrdev(major, "chrnum")
    pr_info("bye\n")
