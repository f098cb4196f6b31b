"""A Python error in module code is an Oops in the ring buffer, never a traceback."""

from __future__ import annotations

from conftest import messages

BUGGY = """
    MODULE_LICENSE("GPL")
    data = None
    count = 0

    def buggy_write(file, buf, count_, ppos):
        global count
        count += 1
        return helper()

    def helper():
        return data.value          # data is None: a NULL pointer dereference

    @module_init
    def buggy_init():
        proc_create("buggy", 0o666, None, proc_ops(proc_write=buggy_write))
        return 0

    @module_exit
    def buggy_exit():
        remove_proc_entry("buggy", None)
    """


def test_exception_in_handler_is_an_oops_and_killed(kmod, machine, module_file):
    path = module_file("buggy", BUGGY)
    kmod("insmod", path)
    r = kmod("proc", "write", "buggy", "x")
    # the kernel's console is not the command's terminal: only the shell's `Killed` shows
    assert (r.returncode, r.stdout, r.stderr) == (137, "", "Killed\n")
    log = messages(machine)
    start = log.index("BUG: kernel NULL pointer dereference, address: 0000000000000000")
    oops = log[start:]
    assert oops[4] == "Oops: 0000 [#1] PREEMPT SMP NOPTI"
    assert oops[5].startswith("CPU: 0 PID: ")
    assert " Comm: sh Tainted: G           OE      " in oops[5]  # echo is the shell's
    assert oops[7].startswith("RIP: 0010:helper+0x")
    assert oops[7].endswith(" [buggy]")
    trace = oops[oops.index("Call Trace:") + 1: oops.index(" </TASK>")]
    assert trace[0] == " <TASK>"
    assert trace[1].startswith(" buggy_write+0x") and trace[1].endswith(" [buggy]")
    assert trace[2] == " proc_reg_write+0x56/0xa0"  # 6.1's path into a /proc handler
    assert " ksys_write+0x6b/0xf0" in trace
    assert "RIP: 0033:0x7f466bdb1829" in trace  # then the user-space frame of the write(2)
    end = oops.index("---[ end trace 0000000000000000 ]---")
    assert oops[end - 2:end] == ["Modules linked in: buggy(OE)", "CR2: 0000000000000000"]
    assert oops[end + 1] == oops[7]  # the summary again: RIP and the registers
    assert oops[-2].startswith("note: sh[") and oops[-2].endswith("exited with irqs disabled")
    assert oops[-1] == (f"kmodsim: hint: AttributeError: 'NoneType' object has no attribute "
                        f"'value' at {path}:12 in helper()")
    assert machine.tainted() & (1 << 7)  # D: the kernel died once


def test_memory_stays_as_the_fault_left_it(kmod, machine, module_file):
    path = module_file("buggy", BUGGY)
    kmod("insmod", path)
    kmod("proc", "write", "buggy", "x")
    kmod("proc", "write", "buggy", "x")
    assert [r.text for r in machine.log_records()].count(
        "---[ end trace 0000000000000000 ]---") == 2
    assert "Oops: 0000 [#2] PREEMPT SMP NOPTI" in messages(machine)
    assert kmod("rmmod", "buggy").returncode == 0


def test_oops_in_init_leaves_module_loading(kmod, module_file):
    path = module_file("badinit", """
        MODULE_LICENSE("GPL")
        @module_init
        def badinit_init():
            return 1 // 0
        @module_exit
        def badinit_exit():
            pass
        """)
    r = kmod("insmod", path)
    # BUG()'s invalid opcode kills the task with SIGSEGV, as on the reference kernel
    assert (r.returncode, r.stderr) == (139, "Segmentation fault\n")
    # still in init, holding its reference: in use, and not even forcibly removable
    assert kmod("proc", "read", "modules").stdout == (
        "badinit 12288 1 - Loading 0x0000000000000000 (OE+)\n")
    assert kmod("lsmod").stdout.splitlines()[1] == "badinit                12288  1"
    r = kmod("rmmod", "badinit")
    assert (r.returncode, r.stderr) == (1, "rmmod: ERROR: Module badinit is in use\n")
    r = kmod("rmmod", "-f", "badinit")
    assert (r.returncode, r.stderr.splitlines()[-1]) == (
        1, "rmmod: ERROR: could not remove module badinit: Device or resource busy")
    assert kmod("reboot").returncode == 0  # the way out
    assert kmod("lsmod").stdout == "Module                  Size  Used by\n"


def test_generic_exception_is_kernel_bug_at_file_line(machine, module_file):
    import pytest

    from kmodsim.errors import Killed

    path = module_file("zero", """
        MODULE_LICENSE("GPL")
        @module_init
        def zero_init():
            return 1 // 0
        """)
    with pytest.raises(Killed):
        machine.insmod(path)
    log = messages(machine)
    assert f"kernel BUG at {path}:5!" in log
    assert "invalid opcode: 0000 [#1] PREEMPT SMP NOPTI" in log  # 6.1 has no "Oops: " here


def test_a_second_insmod_of_a_module_stuck_in_init_waits_as_the_kernels_does(kmod, home,
                                                                             module_file):
    import os
    import subprocess
    import sys
    from pathlib import Path

    import pytest

    path = module_file("stuck", """
        MODULE_LICENSE("GPL")
        @module_init
        def stuck_init():
            BUG()
        """)
    assert kmod("insmod", path).returncode == 139
    env = dict(os.environ, KMODSIM_HOME=str(home))
    waiter = subprocess.Popen([str(Path(sys.executable).parent / "kmod"), "insmod", path],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            waiter.wait(timeout=1.5)  # add_unformed_module(): it waits for init to finish
        assert kmod("lsmod").returncode == 0  # and holds up nobody else meanwhile
        assert kmod("reboot").returncode == 0  # the stuck module is gone: the wait ends...
        assert waiter.wait(timeout=30) == 139  # ... with its own insmod, which BUG()s too
    finally:
        waiter.kill()
