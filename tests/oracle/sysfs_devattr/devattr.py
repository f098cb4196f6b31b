"""A device attribute (DEVICE_ATTR_RW) and a class attribute (CLASS_ATTR_RO) in sysfs."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")

speed = 10


def speed_show(dev, attr, buf):
    return sysfs_emit(buf, "%s %d\n", dev_name(dev), speed)


def speed_store(dev, attr, buf, count):
    global speed
    err, value = kstrtoint(buf, 0)
    if err:
        return err
    speed = value
    return count


dev_attr_speed = DEVICE_ATTR_RW("speed")


def version_show(cls, attr, buf):
    return sysfs_emit(buf, "%s v1\n", cls.name)


class_attr_version = CLASS_ATTR_RO("version")
cls = None
dev = None
devno = 0


@module_init
def devattr_init():
    global cls, dev, devno
    err, devno = alloc_chrdev_region(0, 1, "devattr")
    if err:
        return err
    cls = class_create(THIS_MODULE, "devattr")
    dev = device_create(cls, None, devno, None, "devattr0")
    pr_info("devattr: file %d\n", device_create_file(dev, dev_attr_speed))
    pr_info("devattr: again %d\n", device_create_file(dev, dev_attr_speed))
    pr_info("devattr: class file %d\n", class_create_file(cls, class_attr_version))
    return 0


@module_exit
def devattr_exit():
    device_remove_file(dev, dev_attr_speed)
    class_remove_file(cls, class_attr_version)
    device_destroy(cls, devno)
    class_destroy(cls)
    unregister_chrdev_region(devno, 1)
