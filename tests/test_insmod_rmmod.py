"""insmod and rmmod: success is silent, failures are kmod's own messages and exit 1."""

from __future__ import annotations

import pytest
from conftest import messages

from kmodsim.errors import InsmodError, RmmodError
from kmodsim.machine import module_name


def test_insmod_is_silent_and_lists_the_module(kmod):
    r = kmod("insmod", "modules/hello.py")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert "hello " in kmod("lsmod").stdout


def test_insmod_twice_is_file_exists(kmod):
    kmod("insmod", "modules/hello.py")
    r = kmod("insmod", "modules/hello.py")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", "insmod: ERROR: could not insert module modules/hello.py: File exists\n")


def test_insmod_missing_file(kmod):
    r = kmod("insmod", "nope/missing.py")
    assert (r.returncode, r.stderr) == (
        1, "insmod: ERROR: could not load module nope/missing.py: No such file or directory\n")


def test_insmod_from_stdin_is_refused(kmod):
    r = kmod("insmod", "-")
    assert (r.returncode, r.stderr) == (
        1, "insmod: ERROR: this tool does not support loading from stdin!\n")


@pytest.mark.parametrize("ret,text", [
    ("-ENOMEM", "Cannot allocate memory"),
    ("-EINVAL", "Invalid parameters"),
    ("-ENOENT", "Unknown symbol in module"),
    ("-1", "Operation not permitted"),
    ("-EBUSY", "Device or resource busy"),
    ("-ENOTSUPP", "Unknown error 524"),
])
def test_init_error_is_insmods_text_and_nothing_stays(kmod, machine, module_file, ret, text):
    path = module_file("failing", f"""
        @module_init
        def failing_init():
            pr_info("trying\\n")
            return {ret}
        """)
    r = kmod("insmod", path)
    assert (r.returncode, r.stderr) == (1, f"insmod: ERROR: could not insert module {path}: "
                                           f"{text}\n")
    assert kmod("lsmod").stdout == "Module                  Size  Used by\n"
    assert "trying" in messages(machine)  # what init logged stays in the log


def test_init_positive_return_warns_and_loads(machine, module_file):
    path = module_file("odd", """
        def odd_init():
            return 3
        module_init(odd_init)
        """)
    machine.insmod(path)
    assert [m.name for m in machine.modules()] == ["odd"]
    assert ("do_init_module: 'odd'->init suspiciously returned 3, it should follow 0/-E "
            "convention\ndo_init_module: loading module anyway...") in messages(machine)


def test_module_name_turns_dashes_into_underscores(machine, module_file, kmod):
    path = module_file("hello-1", """
        def init_module():
            pr_info("Hello world 1.\\n")
            return 0
        def cleanup_module():
            pr_info("Goodbye world 1.\\n")
        """)
    assert kmod("insmod", path).returncode == 0
    assert kmod("lsmod").stdout.splitlines()[1].startswith("hello_1 ")
    r = kmod("rmmod", "hello-1")
    assert (r.returncode, r.stderr) == (0, "")
    assert messages(machine)[-2:] == ["Hello world 1.", "Goodbye world 1."]


def test_rmmod_accepts_the_file_path(kmod):
    kmod("insmod", "modules/hello.py")
    assert kmod("rmmod", "modules/hello.py").returncode == 0
    assert kmod("lsmod").stdout == "Module                  Size  Used by\n"


def test_rmmod_not_loaded(kmod):
    r = kmod("rmmod", "foo-bar")
    assert (r.returncode, r.stdout, r.stderr) == (
        1, "", "rmmod: ERROR: Module foo_bar is not currently loaded\n")


def test_rmmod_goes_on_after_a_failure_and_exits_1(kmod):
    kmod("insmod", "modules/hello.py")
    r = kmod("rmmod", "ghost", "hello")
    assert (r.returncode, r.stderr) == (1, "rmmod: ERROR: Module ghost is not currently loaded\n")
    assert kmod("lsmod").stdout == "Module                  Size  Used by\n"


def test_module_without_exit_cannot_be_removed(kmod, module_file):
    path = module_file("sticky", """
        MODULE_LICENSE("GPL")
        @module_init
        def sticky_init():
            return 0
        """)
    kmod("insmod", path)
    r = kmod("rmmod", "sticky")
    assert (r.returncode, r.stderr) == (1, (
        "rmmod: ERROR: ../libkmod/libkmod-module.c:856 kmod_module_remove_module() could "
        "not remove 'sticky': Device or resource busy\n"
        "rmmod: ERROR: could not remove module sticky: Device or resource busy\n"))
    assert kmod("proc", "read", "modules").stdout == (
        "sticky 12288 0 [permanent], Live 0x0000000000000000 (OE)\n")


def test_syntax_error_is_invalid_module_format_with_the_line(kmod, module_file):
    path = module_file("broken", """
        def broken_init(:
            return 0
        """)
    r = kmod("insmod", path)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines[0] == f"insmod: ERROR: could not insert module {path}: Invalid module format"
    assert f'File "{path}", line 2' in lines[1]
    assert lines[-1].startswith("SyntaxError:")
    assert "Traceback" not in r.stderr


def test_top_level_error_is_invalid_module_format(kmod, module_file):
    path = module_file("toplevel", """
        x = undefined_name
        """)
    r = kmod("insmod", path)
    assert r.stderr.splitlines() == [
        f"insmod: ERROR: could not insert module {path}: Invalid module format",
        f"{path}:2: NameError: name 'undefined_name' is not defined"]
    assert kmod("lsmod").stdout == "Module                  Size  Used by\n"


def test_taint_messages_once_per_boot(machine, module_file):
    gpl = module_file("gpl", 'MODULE_LICENSE("GPL")\n')
    prop = module_file("prop", 'MODULE_LICENSE("Proprietary")\n')
    nolic = module_file("nolic", "x = 1\n")
    machine.insmod(gpl)
    machine.insmod(prop)
    machine.insmod(nolic)
    assert messages(machine) == [
        "gpl: loading out-of-tree module taints kernel.",
        "gpl: module verification failed: signature and/or required key missing - tainting "
        "kernel",
        "prop: module license 'Proprietary' taints kernel.",
        "Disabling lock debugging due to kernel taint",
    ]
    assert machine.tainted() == (1 << 0) | (1 << 12) | (1 << 13)  # P, O, E
    assert [(m.name, m.taints) for m in machine.modules()] == [
        ("nolic", "POE"), ("prop", "POE"), ("gpl", "OE")]


def test_params_are_set_before_init(machine, module_file):
    path = module_file("params", """
        MODULE_LICENSE("GPL")
        myint = 420
        mystring = "blah"
        myflag = False
        myarray = [420, 420]
        arr_argc = 0
        module_param("myint", int, 0o644)
        module_param("mystring", "charp", 0)
        module_param("myflag", bool, 0)
        module_param_array("myarray", int, "arr_argc", 0)

        @module_init
        def params_init():
            pr_info("myint=%d mystring=%s myflag=%d array=%d,%d argc=%d\\n",
                    myint, mystring, myflag, myarray[0], myarray[1], arr_argc)
            return 0
        """)
    machine.insmod(path, ["myint=0x10", "mystring=bebop", "myflag", "myarray=-1", "bogus=1"])
    assert messages(machine)[-2:] == [
        "params: unknown parameter 'bogus' ignored",
        "myint=16 mystring=bebop myflag=1 array=-1,420 argc=1"]


@pytest.mark.parametrize("arg,logged,error", [
    ("myint=hello", ["params: `hello' invalid for parameter `myint'"], "Invalid parameters"),
    # kstrtoint's -ERANGE is what insmod reports (recorded on Debian's 6.1)
    ("myint=99999999999", ["params: `99999999999' invalid for parameter `myint'"],
     "Numerical result out of range"),
    ("myint", ["params: `' invalid for parameter `myint'"], "Invalid parameters"),
    # param_array() names the parameter, and has cut the value at its first comma
    ("myarray=1,2,3", ["myarray: can only take 2 arguments",
                       "params: `1' invalid for parameter `myarray'"], "Invalid parameters"),
])
def test_bad_params_are_invalid_parameters(machine, module_file, arg, logged, error):
    path = module_file("params", """
        MODULE_LICENSE("GPL")
        myint = 1
        myarray = [0, 0]
        module_param("myint", int, 0)
        module_param_array("myarray", int, None, 0)
        """)
    with pytest.raises(InsmodError) as e:
        machine.insmod(path, [arg])
    assert e.value.lines == [f"insmod: ERROR: could not insert module {path}: {error}"]
    assert messages(machine)[-len(logged):] == logged
    assert machine.modules() == []


def test_rmmod_api_raises(machine):
    with pytest.raises(RmmodError) as e:
        machine.rmmod("ghost")
    assert e.value.lines == ["rmmod: ERROR: Module ghost is not currently loaded"]


@pytest.mark.parametrize("arg,name", [("hello-1.py", "hello_1"), ("a/b/x-y.ko", "x_y"),
                                      ("plain", "plain")])
def test_module_name(arg, name):
    assert module_name(arg) == name
