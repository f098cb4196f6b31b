"""debugfs: folders and files under /sys/kernel/debug, the value files over a module's
variables, files with the module's own file_operations, driven through the real `kmod`."""

from __future__ import annotations

from conftest import MODULES

TALLY = str(MODULES / "tally.py")
DEBUG = "/sys/kernel/debug"

VALUES = """
    MODULE_LICENSE("GPL")
    v8 = 200
    v16 = 65535
    v64 = 1234567890123
    x8 = 0xA
    x16 = 0xBEEF
    x64 = 0x1234
    ro = 42
    n = 7
    def n_get(data):
        return 0, n * 2
    def n_set(data, val):
        global n
        n = val
        return 0
    n_fops = DEFINE_DEBUGFS_ATTRIBUTE(n_get, n_set, "%llu\\n")
    d = None

    @module_init
    def values_init():
        global d
        d = debugfs_create_dir("values", None)
        debugfs_create_u8("u8", 0o644, d, "v8")
        debugfs_create_u16("u16", 0o644, d, "v16")
        debugfs_create_u64("u64", 0o644, d, "v64")
        debugfs_create_x8("x8", 0o644, d, "x8")
        debugfs_create_x16("x16", 0o644, d, "x16")
        debugfs_create_x64("x64", 0o644, d, "x64")
        debugfs_create_u32("ro", 0o444, d, "ro")
        debugfs_create_file("n", 0o644, d, None, n_fops)
        debugfs_create_dir("sub", d)
        pr_info("dup dir %d\\n", PTR_ERR(debugfs_create_dir("values", None)))
        pr_info("dup file %d\\n", PTR_ERR(debugfs_create_dir("u8", d)))
        return 0

    @module_exit
    def values_exit():
        debugfs_remove_recursive(d)
    """


def sh(kmod, line: str):
    return kmod("sh", "-c", line)


def test_value_files_show_and_set_the_modules_variables(kmod):
    assert kmod("insmod", TALLY).returncode == 0
    assert sh(kmod, f"ls {DEBUG}/tally").stdout == "count\nenabled\nmask\nstatus\nversion\n"
    assert sh(kmod, f"cat {DEBUG}/tally/count {DEBUG}/tally/mask {DEBUG}/tally/enabled"
              ).stdout == "0\n0x000000f0\nY\n"
    assert sh(kmod, f"echo 0x10 > {DEBUG}/tally/count").returncode == 0
    assert sh(kmod, f"cat {DEBUG}/tally/count").stdout == "16\n"
    r = sh(kmod, f"echo lots > {DEBUG}/tally/count")
    assert (r.returncode, r.stderr) == (1, "sh: 1: echo: echo: I/O error\n")
    assert sh(kmod, f"echo 4294967297 > {DEBUG}/tally/count").returncode == 0  # cut to u32
    assert sh(kmod, f"echo n > {DEBUG}/tally/enabled; echo maybe > {DEBUG}/tally/enabled"
              ).returncode == 0  # a bool takes anything, and ignores what isn't one
    assert sh(kmod, f"cat {DEBUG}/tally/status").stdout == "count 1, mask 0xf0, disabled\n"
    assert sh(kmod, f"cat {DEBUG}/tally/version").stdout == "tally 1.0"
    r = sh(kmod, f"echo 2 > {DEBUG}/tally/version")
    assert r.returncode == 1
    assert sh(kmod, f"echo reset > {DEBUG}/tally/status").returncode == 0
    assert sh(kmod, f"echo what > {DEBUG}/tally/status").returncode == 1
    assert sh(kmod, f"cat {DEBUG}/tally/count").stdout == "0\n"
    assert kmod("rmmod", "tally").returncode == 0
    assert sh(kmod, f"ls {DEBUG}").stdout == ""
    log = kmod("dmesg").stdout
    assert "tally: count 1 reset" in log and "tally: count was 0" in log


def test_debugfs_is_roots_alone(kmod):
    kmod("insmod", TALLY)
    r = kmod("cat", f"{DEBUG}/tally/count")  # kmod acts as uid 1000; debugfs is 0700
    assert r.returncode == 1
    assert r.stderr.startswith(f"kmod: {DEBUG}/tally/count: Permission denied\n")
    assert sh(kmod, "mount -t debugfs none /sys/kernel/debug").returncode == 0  # mounted


def test_formats_widths_and_simple_attributes(kmod, module_file):
    assert kmod("insmod", module_file("values", VALUES)).returncode == 0
    r = sh(kmod, " ".join(["cat"] + [f"{DEBUG}/values/{f}" for f in
                                     ("u8", "u16", "u64", "x8", "x16", "x64", "ro", "n")]))
    assert r.stdout == "200\n65535\n1234567890123\n0x0a\n0xbeef\n0x0000000000001234\n42\n14\n"
    assert sh(kmod, f"echo 300 > {DEBUG}/values/u8; cat {DEBUG}/values/u8").stdout == "44\n"
    r = sh(kmod, f"echo -1 > {DEBUG}/values/u16")
    assert r.returncode == 1
    r = sh(kmod, f"echo 5 > {DEBUG}/values/ro")  # 0444: root may open it, but no set
    assert (r.returncode, r.stderr) == (1, "sh: 1: echo: echo: I/O error\n")
    assert sh(kmod, f"echo 5 > {DEBUG}/values/n; cat {DEBUG}/values/n").stdout == "10\n"
    assert sh(kmod, f"ls {DEBUG}/values").stdout.split() == [
        "n", "ro", "sub", "u16", "u64", "u8", "x16", "x64", "x8"]
    log = kmod("dmesg").stdout
    assert "debugfs: Directory 'values' with parent '/' already present!" in log
    assert "debugfs: File 'u8' in directory 'values' already present!" in log
    assert "dup dir -17" in log and "dup file -17" in log
    assert kmod("rmmod", "values").returncode == 0
    assert sh(kmod, f"ls {DEBUG}/values").returncode == 2


def test_value_file_left_behind_oopses(kmod, module_file):
    path = module_file("forgot", """
        MODULE_LICENSE("GPL")
        v = 3
        @module_init
        def forgot_init():
            debugfs_create_u32("v", 0o644, debugfs_create_dir("forgot", None), "v")
            return 0
        @module_exit
        def forgot_exit():
            pass
        """)
    kmod("insmod", path)
    assert sh(kmod, f"cat {DEBUG}/forgot/v").stdout == "3\n"
    kmod("rmmod", "forgot")
    assert sh(kmod, f"ls {DEBUG}/forgot").stdout == "v\n"
    assert sh(kmod, f"cat {DEBUG}/forgot/v").returncode == 137
    log = kmod("dmesg").stdout
    assert "BUG: unable to handle page fault for address: " in log


SHOWATTR = """
    MODULE_LICENSE("GPL")
    items = [3, 5]
    def stats_show(m, v):
        for i in items:
            seq_printf(m, "item %d\\n", i)
        return 0
    stats_fops = DEFINE_SHOW_ATTRIBUTE(stats_show)
    def hello_read(f, buf, count, ppos):
        return simple_read_from_buffer(buf, count, ppos, f.private_data)
    hello_fops = file_operations(owner=THIS_MODULE, open=simple_open, read=hello_read)
    d = None
    @module_init
    def showattr_init():
        global d
        d = debugfs_create_dir("showattr", None)
        debugfs_create_file("stats", 0o444, d, None, stats_fops)
        debugfs_create_file("hello", 0o444, d, b"hi there\\n", hello_fops)
        return 0
    @module_exit
    def showattr_exit():
        debugfs_remove(d)
    """


def test_files_with_the_modules_own_operations(kmod, module_file):
    """debugfs_create_file with DEFINE_SHOW_ATTRIBUTE's fops, and with simple_open (the
    data given at creation becomes file->private_data)."""
    assert kmod("insmod", module_file("showattr", SHOWATTR)).returncode == 0
    r = sh(kmod, f"cat {DEBUG}/showattr/stats {DEBUG}/showattr/hello")
    assert r.stdout == "item 3\nitem 5\nhi there\n"
    assert kmod("rmmod", "showattr").returncode == 0
    assert sh(kmod, f"ls {DEBUG}").stdout == ""
