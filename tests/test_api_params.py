"""Module parameters as kernel/params.c handles them: every standard type's set operation,
callbacks (module_param_cb), module_param_named and module_param_string, the quotes the
kernel's parser strips, and the errors each step logs (all checked on Debian's 6.1 by a
probe module; tests/oracle/tour_watchparam records one)."""

from __future__ import annotations

import pytest
from conftest import messages

from kmodsim.errors import InsmodError

TYPES = """
MODULE_LICENSE("GPL")
b = 1
module_param("b", byte, 0o644)
s = 1
module_param("s", short, 0o644)
us = 1
module_param("us", ushort, 0o644)
h = 10
module_param("h", "hexint", 0o644)
inv = True
module_param("inv", invbool, 0o644)
bo = False
module_param("bo", bool, 0o644)
name = "none"
module_param("name", charp, 0o644)
tag = bytearray(b"init".ljust(8, b"\\0"))
module_param_string("tag", "tag", 8, 0o644)
inner = 5
module_param_named("outer", "inner", int, 0o644)
ull = 0
module_param("ull", ullong, 0o644)
l = 0
module_param("l", long, 0o644)

@module_init
def types_init():
    pr_info("b=%u s=%d us=%u h=%u inv=%d bo=%d name=[%s] tag=[%s] inner=%d ull=%llu l=%ld\\n",
            b, s, us, h, inv, bo, name, tag, inner, ull, l)
    return 0

@module_exit
def types_exit():
    pass
"""


def test_every_standard_type_as_on_6_1(machine, module_file):
    path = module_file("types", TYPES)
    machine.insmod(path, ["b=255", "s=-5", "us=65535", "h=0x1f", "inv=0", "bo",
                          'name="Big Bob"', "tag=abc", "outer=9",
                          "ull=18446744073709551615", "l=-3"])
    assert messages(machine)[-1] == ("b=255 s=-5 us=65535 h=31 inv=1 bo=1 name=[Big Bob] "
                                     "tag=[abc] inner=9 ull=18446744073709551615 l=-3")


@pytest.mark.parametrize("args,error,logged", [
    (["b=256"], "Numerical result out of range", ["types: `256' invalid for parameter `b'"]),
    (["b=-1"], "Invalid parameters", ["types: `-1' invalid for parameter `b'"]),
    (["s=40000"], "Numerical result out of range", ["types: `40000' invalid for parameter `s'"]),
    (["inv=maybe"], "Invalid parameters", ["types: `maybe' invalid for parameter `inv'"]),
    (["name"], "Invalid parameters", ["types: `' invalid for parameter `name'"]),
    (["tag=toolongstring"], "No space left on device",
     ["tag: string doesn't fit in 7 chars.", "types: `toolongstring' too large for parameter "
                                             "`tag'"]),
])
def test_bad_values_fail_insmod_with_the_set_operations_error(machine, module_file, args,
                                                              error, logged):
    path = module_file("types", TYPES)
    with pytest.raises(InsmodError) as e:
        machine.insmod(path, args)
    assert e.value.lines == [f"insmod: ERROR: could not insert module {path}: {error}"]
    assert messages(machine)[-len(logged):] == logged


def test_words_are_joined_then_split_as_the_kernel_splits_them(machine, module_file):
    path = module_file("types", TYPES)
    machine.insmod(path, ["name=Big Bob", "bo=yes"])  # the shell removed the quotes
    assert messages(machine)[-2:] == [
        "types: unknown parameter 'Bob' ignored",
        "b=1 s=1 us=1 h=10 inv=1 bo=1 name=[Big] tag=[init] inner=5 ull=0 l=0"]
    machine.rmmod("types")
    machine.insmod(path, ['name="x y', "outer=4"])  # an open quote runs to the end
    assert messages(machine)[-1].endswith("name=[x y outer=4] tag=[init] inner=5 ull=0 l=0")


CALLBACK = """
MODULE_LICENSE("GPL")
watched = 42
def watched_set(val, kp):
    pr_info("set [%s] %s\\n", val, kp.name)
    ret = param_set_int(val, kp)
    pr_info("set ret %d now %d\\n", ret, kp.arg.value)
    if not ret and kp.arg.value > 100:
        return -ERANGE
    return ret
def watched_get(buffer, kp):
    return param_get_int(buffer, kp)
watched_ops = kernel_param_ops(set=watched_set, get=watched_get)
module_param_cb("watched", watched_ops, "watched", 0o644)
MODULE_PARM_DESC("watched", "a watched int")
myint = 1
module_param("myint", int, 0o644)

@module_init
def cb_init():
    page = bytearray(4096)
    n = watched_ops.get(page, THIS_PARAM)
    pr_info("init watched=%d myint=%d get=%d [%s]\\n", watched, myint, n, page)
    return 0
"""


def _callback_module(module_file):
    # the get operation is called as sysfs would, with the parameter's own kernel_param
    return module_file("cb", CALLBACK.replace("THIS_PARAM", '__kmod_params__["watched"]'))


def test_a_set_callback_runs_before_init(machine, module_file):
    machine.insmod(_callback_module(module_file), ["watched=7"])
    assert messages(machine)[-3:] == ["set [7] watched", "set ret 0 now 7",
                                      "init watched=7 myint=1 get=2 [7\n]"]


def test_a_callbacks_error_fails_insmod_and_parsing_goes_on(machine, module_file):
    path = _callback_module(module_file)
    with pytest.raises(InsmodError) as e:
        machine.insmod(path, ["watched=500"])
    assert e.value.lines[0].endswith("Numerical result out of range")
    assert messages(machine)[-3:] == ["set [500] watched", "set ret 0 now 500",
                                      "cb: `500' invalid for parameter `watched'"]
    with pytest.raises(InsmodError):
        machine.insmod(path, ["watched=abc", "watched=5", "myint=x", "myint=7"])
    log = messages(machine)
    assert log[-6:] == ["set [abc] watched", "set ret -22 now 42",
                        "cb: `abc' invalid for parameter `watched'", "set [5] watched",
                        "set ret 0 now 5", "cb: `x' invalid for parameter `myint'"]


def test_array_parameters(machine, module_file):
    path = module_file("arr", """
        MODULE_LICENSE("GPL")
        arr = [420, 420]
        argc = 0
        module_param_array("arr", int, "argc", 0o644)
        @module_init
        def arr_init():
            pr_info("arr=%d,%d argc=%d\\n", arr[0], arr[1], argc)
            return 0
        """)
    with pytest.raises(InsmodError):
        machine.insmod(path, ["arr=1,x"])
    assert messages(machine)[-1] == "arr: `1' invalid for parameter `arr'"
    with pytest.raises(InsmodError):
        machine.insmod(path, ["arr="])
    assert messages(machine)[-1] == "arr: `' invalid for parameter `arr'"
    machine.insmod(path, ["arr=-1"])
    assert messages(machine)[-1] == "arr=-1,420 argc=1"
