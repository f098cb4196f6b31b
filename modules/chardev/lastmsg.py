"""The classic first character driver: /dev/lastmsg remembers the last message written to
it and counts how many times it was opened.

    echo hello > /dev/lastmsg      leaves a message (at most LASTMSG_SIZE bytes are kept)
    cat /dev/lastmsg               says how many opens so far, and the last message

The device number comes from alloc_chrdev_region() (a free major, as /proc/devices shows),
a cdev serves it, and class_create() + device_create() make /dev/lastmsg appear, as udev
would. The class's devnode callback opens the node to everyone (mode 0666).
"""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("kmodsim")
MODULE_DESCRIPTION("A character device that remembers the last message and counts opens")

DEVICE_NAME = "lastmsg"
LASTMSG_SIZE = 64

lastmsg_devt = 0
lastmsg_cdev = cdev()
lastmsg_class = None
lastmsg_device = None
lock = DEFINE_MUTEX()
message = bytearray(LASTMSG_SIZE)
message_len = 0
opens = 0


def lastmsg_open(inode, file):
    global opens
    mutex_lock(lock)
    opens += 1
    mutex_unlock(lock)
    return 0


def lastmsg_release(inode, file):
    return 0


def lastmsg_read(file, buf, count, ppos):
    mutex_lock(lock)
    text = b"opens: %d\nlast message: %s\n" % (opens, bytes(message[:message_len]))
    mutex_unlock(lock)
    return simple_read_from_buffer(buf, count, ppos, text)


def lastmsg_write(file, buf, count, ppos):
    global message_len
    n = min(count, LASTMSG_SIZE)
    kbuf = bytearray(LASTMSG_SIZE)
    if copy_from_user(kbuf, buf, n):
        return -EFAULT
    if n and kbuf[n - 1] == ord("\n"):  # echo's newline is not part of the message
        n -= 1
    mutex_lock(lock)
    message[:n] = kbuf[:n]
    message_len = n
    mutex_unlock(lock)
    return count  # all of it taken: what doesn't fit is dropped


lastmsg_fops = file_operations(
    owner=THIS_MODULE,
    open=lastmsg_open,
    release=lastmsg_release,
    read=lastmsg_read,
    write=lastmsg_write,
)


def lastmsg_devnode(dev):
    return None, 0o666  # C: *mode = 0666; return NULL (keep the device's name)


@module_init
def lastmsg_init():
    global lastmsg_devt, lastmsg_class, lastmsg_device
    err, lastmsg_devt = alloc_chrdev_region(0, 1, DEVICE_NAME)
    if err:
        pr_err("lastmsg: no device number: %d\n", err)
        return err
    cdev_init(lastmsg_cdev, lastmsg_fops)
    lastmsg_cdev.owner = THIS_MODULE
    err = cdev_add(lastmsg_cdev, lastmsg_devt, 1)
    if err:
        unregister_chrdev_region(lastmsg_devt, 1)
        return err
    lastmsg_class = class_create(DEVICE_NAME)
    if IS_ERR(lastmsg_class):
        cdev_del(lastmsg_cdev)
        unregister_chrdev_region(lastmsg_devt, 1)
        return PTR_ERR(lastmsg_class)
    lastmsg_class.devnode = lastmsg_devnode
    lastmsg_device = device_create(lastmsg_class, None, lastmsg_devt, None, DEVICE_NAME)
    if IS_ERR(lastmsg_device):
        class_destroy(lastmsg_class)
        cdev_del(lastmsg_cdev)
        unregister_chrdev_region(lastmsg_devt, 1)
        return PTR_ERR(lastmsg_device)
    dev_info(lastmsg_device, "ready, device number %d:%d\n", MAJOR(lastmsg_devt),
             MINOR(lastmsg_devt))
    return 0


@module_exit
def lastmsg_exit():
    device_destroy(lastmsg_class, lastmsg_devt)
    class_destroy(lastmsg_class)
    cdev_del(lastmsg_cdev)
    unregister_chrdev_region(lastmsg_devt, 1)
    pr_info("lastmsg: opened %d times, goodbye\n", opens)
