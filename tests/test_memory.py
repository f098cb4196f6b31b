"""A module's memory: its module-level variables survive from one command to the next."""

from __future__ import annotations

import os
import stat

import pytest
from conftest import MODULES, messages

from kmodsim.errors import InsmodError, ModuleMemoryError


def test_counter_value_survives_between_shell_commands(kmod):
    kmod("insmod", "modules/counter.py")
    for _ in range(3):
        kmod("proc", "write", "counter", "I")
    assert kmod("proc", "read", "counter").stdout == "3\n"


def test_source_is_copied_at_insmod(kmod, module_file):
    path = module_file("frozen", """
        MODULE_LICENSE("GPL")
        def r(file, buf, count, ppos):
            return simple_read_from_buffer(buf, count, ppos, b"old\\n")
        @module_init
        def frozen_init():
            proc_create("frozen", 0o444, None, proc_ops(proc_read=r))
            return 0
        @module_exit
        def frozen_exit():
            remove_proc_entry("frozen", None)
        """)
    kmod("insmod", path)
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(text.replace("old", "new"))
    assert kmod("proc", "read", "frozen").stdout == "old\n"  # the loaded copy runs
    kmod("rmmod", "frozen")
    kmod("insmod", path)
    assert kmod("proc", "read", "frozen").stdout == "new\n"


def test_containers_and_own_classes_are_memory(machine, module_file):
    machine.insmod(module_file("objs", """
        from collections import deque
        MODULE_LICENSE("GPL")

        class Item:
            def __init__(self, n):
                self.n = n

        items = []
        history = deque(maxlen=3)
        shared = {"list": items}

        def objs_write(file, buf, count, ppos):
            items.append(Item(len(items)))
            history.append(count)
            return count

        def objs_read(file, buf, count, ppos):
            pr_info("%d items, last %d, shared %d, history %s\\n", len(items), items[-1].n,
                    len(shared["list"]), list(history))
            return 0

        @module_init
        def objs_init():
            proc_create("objs", 0o666, None, proc_ops(proc_read=objs_read, proc_write=objs_write))
            return 0
        """))
    for data in (b"a", b"bb", b"ccc", b"dddd"):
        machine.proc_write("objs", data)
    machine.proc_read("objs")
    assert messages(machine)[-1] == "4 items, last 3, shared 4, history [2, 3, 4]"


def test_unkeepable_variable_is_a_clear_error_and_nothing_loads(machine, module_file):
    path = module_file("leaky", """
        MODULE_LICENSE("GPL")
        handle = None
        @module_init
        def leaky_init():
            global handle
            handle = open(__file__)
            return 0
        """)
    with pytest.raises(ModuleMemoryError) as e:
        machine.insmod(path)
    assert e.value.lines == [
        "kmod: module leaky: variable 'handle' holds a TextIOWrapper, which can't be kept "
        "in kernel memory between commands"]
    assert machine.modules() == []
    assert messages(machine) == []  # the whole command was rolled back


def test_lambda_in_proc_ops_is_explained(machine, module_file):
    path = module_file("lam", """
        MODULE_LICENSE("GPL")
        fops = None
        @module_init
        def lam_init():
            global fops
            fops = proc_ops(proc_read=lambda f, b, c, p: 0)
            return 0
        """)
    with pytest.raises(ModuleMemoryError, match="functions defined at the module's top level"):
        machine.insmod(path)


def test_unpickler_refuses_foreign_classes():
    import pickle

    from kmodsim.runtime import memory

    blob = pickle.dumps({"x": os.system})
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        memory.load(blob)


def test_store_folder_is_private(machine, home):
    machine.modules()
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700


def test_group_writable_store_is_refused(kmod, home):
    kmod("lsmod")
    os.chmod(home, 0o770)
    r = kmod("lsmod")
    assert r.returncode == 1
    assert r.stderr == (f"kmod: state folder {home} is writable by other users; refusing to "
                        f"use it (fix with: chmod go-w {home})\n")


def test_insmod_error_api(machine):
    with pytest.raises(InsmodError):
        machine.insmod("does/not/exist.py")


def test_a_variable_named_like_an_api_name_is_memory(machine, module_file):
    machine.insmod(module_file("shadow", """
        MODULE_LICENSE("GPL")
        file = 0          # shadows the kernel's `file` type: still the module's own data
        def w(f, buf, count, ppos):
            global file
            file += 1
            return count
        def r(f, buf, count, ppos):
            return simple_read_from_buffer(buf, count, ppos, b"%d\\n" % file)
        @module_init
        def shadow_init():
            proc_create("shadow", 0o666, None, proc_ops(proc_read=r, proc_write=w))
            return 0
        """))
    machine.proc_write("shadow", b"x")
    machine.proc_write("shadow", b"x")
    assert machine.proc_read("shadow") == b"2\n"


def test_proc_remove_takes_the_entry_and_its_children(machine, module_file):
    machine.insmod(module_file("pr", """
        MODULE_LICENSE("GPL")
        top = None
        @module_init
        def pr_init():
            global top
            top = proc_mkdir("prdir", None)
            proc_create("a", 0o444, top, proc_ops())
            return 0
        @module_exit
        def pr_exit():
            proc_remove(top)
        """))
    assert {"prdir", "prdir/a"} <= set(machine.proc_list())
    machine.rmmod("pr")
    assert not {"prdir", "prdir/a"} & set(machine.proc_list())


def test_the_names_a_file_assigns_are_those_dis_shows():
    """assigned_names() reads bytecode itself (dis costs start-up): the same answer as dis,
    for every example module and a file with more names than one byte can number."""
    import dis
    import types

    from kmodsim.kernel.module import assigned_names

    def by_dis(code: types.CodeType) -> frozenset[str]:
        names: set[str] = set()
        todo = [code]
        while todo:
            c = todo.pop()
            names.update(str(i.argval) for i in dis.get_instructions(c)
                         if i.opname == "STORE_GLOBAL" or (c is code and i.opname == "STORE_NAME"))
            todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        return frozenset(names)

    sources = [p.read_text() for p in MODULES.rglob("*.py")]
    sources.append("".join(f"v{i} = {i}\n" for i in range(300))
                   + "def f():\n    global v299, w\n    v299 = w = 1\n")
    for source in sources:
        code = compile(source, "m.py", "exec")
        assert assigned_names(code) == by_dis(code)
