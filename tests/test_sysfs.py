"""sysfs: kobjects and their attribute files under /sys, and /sys/module/NAME for every loaded
module, driven end to end through the real `kmod` (each command a new process)."""

from __future__ import annotations

from conftest import MODULES

DIAL = str(MODULES / "dial.py")
WATCHPARAM = str(MODULES / "watchparam.py")

ATTRS = """
    MODULE_LICENSE("GPL")
    seen = []
    def rec_show(kobj, attr, buf):
        return sysfs_emit(buf, "%s\\n", ",".join(seen))
    def rec_store(kobj, attr, buf, count):
        seen.append("%s:%d" % (bytes(buf).decode(), count))
        return count
    rec_attribute = __ATTR_RW("rec")
    def big_show(kobj, attr, buf):
        memset(buf, ord("a"), 10)
        return 5000
    big_attribute = __ATTR_RO("big")
    def half_store(kobj, attr, buf, count):
        seen.append("half:%d" % count)
        return 1
    half_attribute = __ATTR_WO("half")
    group = attribute_group(name="grp", attrs=[rec_attribute.attr, big_attribute.attr,
                                               half_attribute.attr])
    kobj = None

    @module_init
    def attrs_init():
        global kobj
        kobj = kobject_create_and_add("attrs", kernel_kobj)
        pr_info("group %d\\n", sysfs_create_group(kobj, group))
        pr_info("file %d\\n", sysfs_create_file(kobj, rec_attribute.attr))
        pr_info("dup file %d\\n", sysfs_create_file(kobj, rec_attribute.attr))
        pr_info("dup kobj %p\\n", kobject_create_and_add("attrs", kernel_kobj))
        return 0

    @module_exit
    def attrs_exit():
        kobject_put(kobj)
    """


def sh(kmod, line: str):
    return kmod("sh", "-c", line)


def test_attribute_files_read_and_write_across_commands(kmod):
    assert kmod("insmod", DIAL).returncode == 0
    assert sh(kmod, "ls /sys/kernel/dial").stdout == "bump\nvalue\n"
    assert sh(kmod, "cat /sys/kernel/dial/value").stdout == "0\n"
    assert sh(kmod, "echo 5 > /sys/kernel/dial/value").returncode == 0
    assert sh(kmod, "echo 1 > /sys/kernel/dial/bump").returncode == 0
    assert kmod("cat", "/sys/kernel/dial/value").stdout == "6\n"  # a user may read 0644
    r = sh(kmod, "echo five > /sys/kernel/dial/value")  # store's -EINVAL
    assert (r.returncode, r.stderr) == (1, "sh: 1: echo: echo: I/O error\n")
    r = sh(kmod, "cat /sys/kernel/dial/bump")  # 0200: no read, even for root
    assert (r.returncode, r.stderr) == (1, "cat: /sys/kernel/dial/bump: Permission denied\n")
    assert sh(kmod, "cat /sys/kernel/dial/value").stdout == "6\n"
    assert kmod("rmmod", "dial").returncode == 0
    r = sh(kmod, "ls /sys/kernel/dial")
    assert (r.returncode, r.stderr) == (
        2, "ls: cannot access '/sys/kernel/dial': No such file or directory\n")
    assert kmod("dmesg").stdout.count("dial: bumped by 1 to 6") == 1


def test_sys_module_shows_each_loaded_module(kmod):
    assert kmod("insmod", DIAL, "step=4").returncode == 0
    assert sh(kmod, "ls /sys/module").stdout == "dial\n"
    assert sh(kmod, "ls /sys/module/dial").stdout.split() == [
        "coresize", "holders", "initsize", "initstate", "notes", "parameters", "refcnt",
        "sections", "taint", "uevent"]
    r = sh(kmod, "cat /sys/module/dial/refcnt /sys/module/dial/initstate "
                 "/sys/module/dial/taint /sys/module/dial/initsize")
    assert r.stdout == "0\nlive\nOE\n0\n"
    assert sh(kmod, "ls /sys/module/dial/parameters").stdout == "step\n"
    assert sh(kmod, "cat /sys/module/dial/parameters/step").stdout == "4\n"
    assert sh(kmod, "echo 9 > /sys/module/dial/parameters/step").returncode == 0
    assert sh(kmod, "cat /sys/module/dial/parameters/step").stdout == "9\n"
    r = sh(kmod, "echo 500 > /sys/module/dial/parameters/step")  # the set callback refuses
    assert r.returncode == 1
    assert sh(kmod, "cat /sys/module/dial/parameters/step").stdout == "9\n"
    r = sh(kmod, "cat /sys/module/dial/uevent")
    assert (r.returncode, r.stderr) == (1, "cat: /sys/module/dial/uevent: Permission denied\n")
    log = kmod("dmesg").stdout
    assert "dial: step 4 -> 9" in log and "dial: step 500 is not in 1..100" in log
    kmod("rmmod", "dial")
    assert sh(kmod, "ls /sys/module").stdout == ""
    assert sh(kmod, "cat /sys/module/dial/refcnt").returncode == 1


def test_parameter_files_call_get_and_set(kmod):
    assert kmod("insmod", WATCHPARAM).returncode == 0
    # perm 0444 and 0644 have files; the getter and setter are the module's callbacks
    assert sh(kmod, "ls /sys/module/watchparam/parameters").stdout == \
        "level\nname\ntag\nverbose\n"
    assert sh(kmod, "cat /sys/module/watchparam/parameters/level").stdout == "5\n"
    assert sh(kmod, "echo 7 > /sys/module/watchparam/parameters/level").returncode == 0
    assert sh(kmod, "cat /sys/module/watchparam/parameters/name").stdout == "nobody\n"
    r = sh(kmod, "echo x > /sys/module/watchparam/parameters/name")  # 0444
    assert r.returncode == 2 and "Permission denied" in r.stderr
    log = kmod("dmesg").stdout
    assert "watchparam: level read" in log and "watchparam: level 5 -> 7" in log


def test_module_without_visible_parameters_has_no_parameters_folder(kmod, module_file):
    path = module_file("quiet", """
        MODULE_LICENSE("GPL")
        MODULE_VERSION("1.2")
        hidden = 1
        module_param("hidden", int, 0)
        """)
    assert kmod("insmod", path).returncode == 0
    listing = sh(kmod, "ls /sys/module/quiet").stdout.split()
    assert "parameters" not in listing and "version" in listing and "srcversion" in listing
    assert sh(kmod, "cat /sys/module/quiet/version").stdout == "1.2\n"
    srcversion = sh(kmod, "cat /sys/module/quiet/srcversion").stdout.strip()
    assert srcversion == kmod("modinfo", "-F", "srcversion", path).stdout.strip()


def test_duplicates_warn_as_the_kernel_does(kmod, module_file):
    assert kmod("insmod", module_file("attrs", ATTRS)).returncode == 0
    lines = [line.split("] ", 1)[1] for line in kmod("dmesg").stdout.splitlines()]
    assert "group 0" in lines and "file 0" in lines and "dup file -17" in lines
    assert "sysfs: cannot create duplicate filename '/kernel/attrs/rec'" in lines
    assert "sysfs: cannot create duplicate filename '/kernel/attrs'" in lines
    assert ("kobject_add_internal failed for attrs with -EEXIST, don't try to register things "
            "with the same name in the same directory.") in lines
    assert "kobject_create_and_add: kobject_add error: -17" in lines
    assert "dup kobj 0000000000000000" in lines
    assert " sysfs_warn_dup+0x17/0x23" not in lines  # the trace names the .cold part
    assert any(line.startswith(" sysfs_warn_dup.cold+") for line in lines)


def test_store_gets_the_whole_write_and_show_fills_a_page(kmod, module_file):
    kmod("insmod", module_file("attrs", ATTRS))
    assert sh(kmod, "ls /sys/kernel/attrs").stdout == "grp\nrec\n"
    assert sh(kmod, "ls /sys/kernel/attrs/grp").stdout == "big\nhalf\nrec\n"
    assert sh(kmod, "printf 'a b' > /sys/kernel/attrs/rec; echo hi > /sys/kernel/attrs/grp/rec"
              ).returncode == 0
    assert sh(kmod, "cat /sys/kernel/attrs/rec").stdout == "a b:3,hi\n:3\n"
    # a store that takes 1 byte at a time: the shell writes the rest again, as stdio does
    assert sh(kmod, "echo abc > /sys/kernel/attrs/grp/half").returncode == 0
    assert sh(kmod, "cat /sys/kernel/attrs/rec").stdout.endswith("half:4,half:3,half:2,half:1\n")
    r = sh(kmod, "cat /sys/kernel/attrs/grp/big")  # show claimed 5000: cut to a page
    assert len(r.stdout.encode()) == 4095 and r.stdout.startswith("a" * 10)
    assert "fill_read_buffer: kobj_attr_show+0x0/0x20 returned bad count" in kmod("dmesg").stdout


def test_world_writable_attribute_fails_insmod_naming_the_line(kmod, module_file):
    path = module_file("loose", """
        MODULE_LICENSE("GPL")
        def v_show(kobj, attr, buf):
            return 0
        v_attribute = __ATTR("v", 0o666, v_show, None)
        """)
    r = kmod("insmod", path)
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == (
        f"{path}:5: ValueError: __ATTR(v, ...): mode 0666 lets others write (world-writable): "
        f"VERIFY_OCTAL_PERMISSIONS rejects it, and in C the module would not build")


def test_attribute_macro_needs_the_show_defined_above(kmod, module_file):
    path = module_file("early", """
        MODULE_LICENSE("GPL")
        v_attribute = __ATTR_RO("v")
        """)
    r = kmod("insmod", path)
    assert r.returncode == 1
    assert "__ATTR_RO(v) uses the function v_show, which is not defined above it" in r.stderr


def test_kobject_left_behind_at_rmmod_oopses_when_read(kmod, module_file):
    path = module_file("leak", """
        MODULE_LICENSE("GPL")
        def v_show(kobj, attr, buf):
            return sysfs_emit(buf, "3\\n")
        v_attribute = __ATTR_RO("v")
        kobj = None
        @module_init
        def leak_init():
            global kobj
            kobj = kobject_create_and_add("leak", kernel_kobj)
            return sysfs_create_file(kobj, v_attribute.attr)
        @module_exit
        def leak_exit():
            pass
        """)
    kmod("insmod", path)
    assert sh(kmod, "cat /sys/kernel/leak/v").stdout == "3\n"
    assert kmod("rmmod", "leak").returncode == 0
    assert sh(kmod, "ls /sys/kernel/leak").stdout == "v\n"  # the kobject was never put
    r = sh(kmod, "cat /sys/kernel/leak/v")
    assert r.returncode == 137
    log = kmod("dmesg").stdout
    assert "BUG: unable to handle page fault for address: " in log
    assert "#PF: supervisor read access in kernel mode" in log
    assert "RIP: 0010:kobj_attr_show+0x0/0x20" in log
    assert "removed without kobject_put()" in log
    r = kmod("insmod", path)  # the name is still taken
    assert "sysfs: cannot create duplicate filename '/kernel/leak'" in kmod("dmesg").stdout


DEVAT = """
    MODULE_LICENSE("GPL")
    speed = 10
    def speed_show(dev, attr, buf):
        return sysfs_emit(buf, "%s %d\\n", dev_name(dev), speed)
    def speed_store(dev, attr, buf, count):
        global speed
        err, speed = kstrtoint(buf, 0)
        return err or count
    dev_attr_speed = DEVICE_ATTR_RW("speed")
    def version_show(cls, attr, buf):
        return sysfs_emit(buf, "%s v1\\n", cls.name)
    class_attr_version = CLASS_ATTR_RO("version")
    cls = None
    dev = None
    devno = 0

    @module_init
    def devat_init():
        global cls, dev, devno
        err, devno = alloc_chrdev_region(0, 1, "devat")
        cls = class_create("devat")
        dev = device_create(cls, None, devno, None, "devat0")
        pr_info("dev file %d\\n", device_create_file(dev, dev_attr_speed))
        pr_info("dup %d\\n", device_create_file(dev, dev_attr_speed))
        pr_info("class file %d\\n", class_create_file(cls, class_attr_version))
        return 0

    @module_exit
    def devat_exit():
        device_remove_file(dev, dev_attr_speed)
        class_remove_file(cls, class_attr_version)
        device_destroy(cls, devno)
        class_destroy(cls)
        unregister_chrdev_region(devno, 1)
    """


def test_device_and_class_attributes(kmod, module_file):
    assert kmod("insmod", module_file("devat", DEVAT)).returncode == 0
    assert "version" in sh(kmod, "ls /sys/class/devat").stdout.split()
    assert "speed" in sh(kmod, "ls /sys/class/devat/devat0").stdout.split()
    assert sh(kmod, "cat /sys/class/devat/devat0/speed /sys/class/devat/version").stdout == \
        "devat0 10\ndevat v1\n"
    assert sh(kmod, "echo 33 > /sys/class/devat/devat0/speed").returncode == 0
    assert sh(kmod, "cat /sys/class/devat/devat0/speed").stdout == "devat0 33\n"
    r = sh(kmod, "echo 1 > /sys/class/devat/version")
    assert (r.returncode, r.stderr) == (
        2, "sh: 1: cannot create /sys/class/devat/version: Permission denied\n")
    log = kmod("dmesg").stdout
    assert "sysfs: cannot create duplicate filename '/devices/virtual/devat/devat0/speed'" in log
    assert "dup -17" in log and "class file 0" in log
    assert kmod("rmmod", "devat").returncode == 0
    assert sh(kmod, "ls /sys/class").stdout == ""


def test_world_writable_parameter_fails_insmod(kmod, module_file):
    path = module_file("openparam", """
        MODULE_LICENSE("GPL")
        x = 1
        module_param("x", int, 0o666)
        """)
    r = kmod("insmod", path)
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == (
        f"{path}:4: ValueError: module_param(x, ...): mode 0666 lets others write "
        f"(world-writable): VERIFY_OCTAL_PERMISSIONS rejects it, and in C the module would not "
        f"build")


KTYPE = """
    MODULE_LICENSE("GPL")

    class FooObj:
        def __init__(self):
            self.kobj = kobject()
            self.foo = 0

    class FooAttribute:
        def __init__(self, name, mode, show, store):
            self.attr = attribute(name, mode)
            self.show = show
            self.store = store

    def foo_attr_show(kobj, attr, buf):
        fa = container_of(attr, FooAttribute, "attr")
        obj = container_of(kobj, FooObj, "kobj")
        return fa.show(obj, fa, buf)

    def foo_attr_store(kobj, attr, buf, count):
        fa = container_of(attr, FooAttribute, "attr")
        obj = container_of(kobj, FooObj, "kobj")
        return fa.store(obj, fa, buf, count)

    foo_ops = sysfs_ops(show=foo_attr_show, store=foo_attr_store)

    def foo_show(obj, attr, buf):
        return sysfs_emit(buf, "%d\\n", obj.foo)

    def foo_store(obj, attr, buf, count):
        err, obj.foo = kstrtoint(buf, 10)
        return err or count

    foo_attribute = FooAttribute("foo", 0o644, foo_show, foo_store)
    foo_group = attribute_group(attrs=[foo_attribute.attr, None])

    def foo_release(kobj):
        pr_info("release %s\\n", kobject_name(kobj))

    foo_ktype = kobj_type(release=foo_release, sysfs_ops=foo_ops, default_groups=[foo_group])
    objs = []

    @module_init
    def ktype_init():
        for i in range(2):
            o = FooObj()
            ret = kobject_init_and_add(o.kobj, foo_ktype, kernel_kobj, "foo%d", i)
            if ret:
                return ret
            objs.append(o)
        return 0

    @module_exit
    def ktype_exit():
        for o in objs:
            kobject_put(o.kobj)
    """


def test_kobject_of_a_type_of_its_own(kmod, module_file):
    """kobject_init_and_add: the type's sysfs_ops serve every file, its default groups are
    made with the folder, its release runs at the last kobject_put."""
    assert kmod("insmod", module_file("ktype", KTYPE)).returncode == 0
    assert sh(kmod, "ls /sys/kernel").stdout == "debug\nfoo0\nfoo1\nmm\n"
    assert sh(kmod, "echo 12 > /sys/kernel/foo1/foo").returncode == 0
    assert sh(kmod, "cat /sys/kernel/foo1/foo /sys/kernel/foo0/foo").stdout == "12\n0\n"
    assert kmod("rmmod", "ktype").returncode == 0
    assert sh(kmod, "ls /sys/kernel").stdout == "debug\nmm\n"
    log = kmod("dmesg").stdout
    assert "release foo0" in log and "release foo1" in log
