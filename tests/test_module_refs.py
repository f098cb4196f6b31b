"""try_module_get / module_put: a module's own references, as LKMPG's chardev takes one in
open and gives it back in release; lsmod's `Used by` counts them and rmmod refuses."""

from __future__ import annotations

HELD = """
    MODULE_LICENSE("GPL")

    def held_open(inode, file):
        if not try_module_get(THIS_MODULE):
            return -ENODEV
        pr_info("held: open, refcount %d\\n", module_refcount(THIS_MODULE))
        return 0

    def held_release(inode, file):
        module_put(THIS_MODULE)
        return 0

    def held_write(file, buf, count, ppos):
        if count > 2:
            try_module_get(THIS_MODULE)  # never given back: the module can't be removed
        return count

    @module_init
    def held_init():
        proc_create("held", 0o666, None, proc_ops(proc_open=held_open,
                                                  proc_release=held_release,
                                                  proc_write=held_write))
        return 0

    @module_exit
    def held_exit():
        remove_proc_entry("held", None)
    """


def test_a_reference_taken_in_open_is_given_back_in_release(kmod, module_file):
    assert kmod("insmod", module_file("held", HELD)).returncode == 0
    assert kmod("proc", "write", "held", "x").returncode == 0
    assert kmod("dmesg").stdout.splitlines()[-1].endswith("] held: open, refcount 1")
    assert kmod("lsmod").stdout.splitlines()[1].split() == ["held", "12288", "0"]
    assert kmod("rmmod", "held").returncode == 0


def test_a_reference_never_given_back_keeps_the_module_in(kmod, module_file):
    assert kmod("insmod", module_file("held", HELD)).returncode == 0
    assert kmod("proc", "write", "held", "xyz").returncode == 0
    assert kmod("lsmod").stdout.splitlines()[1].split() == ["held", "12288", "1"]
    r = kmod("rmmod", "held")
    assert (r.returncode, r.stderr) == (1, "rmmod: ERROR: Module held is in use\n")
