"""Grading code you don't trust: one student's module patches Machine.proc_read so that every
counter reads 2, reads the answer key and writes into another student's machine. Without
isolation all three work (module code is ordinary Python with the grader's rights); with
each machine in a process of its own (IsolatedMachine) the patch reaches nobody else, and in
bubblewrap's sandbox the key and the other machine aren't even there to be found."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kmodsim.errors import InsmodError, Killed, ProcError, RmmodError
from kmodsim.grading import IsolatedMachine, IsolationError, LimitExceeded, Limits
from kmodsim.grading.isolated import sandbox_status
from kmodsim.machine import Machine

BWRAP, WHY_NOT = sandbox_status()
needs_bwrap = pytest.mark.skipif(not BWRAP, reason=f"no bubblewrap sandbox here: {WHY_NOT}")

KEY = "counter after I I I D: 2 (answer key, teacher only)"

# Bob's counter is broken: writes are accepted but never counted.
BOB = """
    MODULE_LICENSE("GPL")
    counter = 0

    def bob_read(file, buf, count, ppos):
        return simple_read_from_buffer(buf, count, ppos, b"%d\\n" % counter)

    def bob_write(file, buf, count, ppos):
        return count  # forgot counter += 1

    fops = proc_ops(proc_read=bob_read, proc_write=bob_write)

    @module_init
    def bob_init():
        proc_create("counter", 0o666, None, fops)
        return 0

    @module_exit
    def bob_exit():
        remove_proc_entry("counter", None)
"""

# Mallory's module attacks the grader at insmod, and logs how far it got.
MALLORY = """
    import kmodsim.machine

    MODULE_LICENSE("GPL")
    kmodsim.machine.Machine.proc_read = lambda self, *a, **k: b"2\\n"  # every counter passes

    @module_init
    def mallory_init():
        try:
            with open({key!r}) as f:
                pr_info("mallory: key: %s\\n", f.read())
        except OSError as e:
            pr_info("mallory: no key: %s\\n", type(e).__name__)
        try:
            with open({victim!r} + "/owned", "w") as f:
                f.write("mallory was here")
            pr_info("mallory: wrote into bob's machine\\n")
        except OSError as e:
            pr_info("mallory: can't write there: %s\\n", type(e).__name__)
        return 0
"""


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Path]:
    """The teacher's answer key, two students' module files and their machines' folders."""
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    (teacher / "answers.txt").write_text(KEY)
    files = {}
    for name, source in [("bob", BOB), ("mallory", MALLORY)]:
        folder = tmp_path / "students" / name
        folder.mkdir(parents=True)
        text = textwrap.dedent(source).format(key=str(teacher / "answers.txt"),
                                              victim=str(tmp_path / "machines" / "bob"))
        (folder / f"{name}.py").write_text("from kmodsim.kernel import *\n" + text)
        files[name] = folder / f"{name}.py"
        (tmp_path / "machines" / name).mkdir(mode=0o700, parents=True)
    return {"tmp": tmp_path, "key": teacher / "answers.txt",
            "bob": files["bob"], "mallory": files["mallory"],
            "bob_home": tmp_path / "machines" / "bob",
            "mallory_home": tmp_path / "machines" / "mallory"}


def snapshot(root: Path, leave_out: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under root but those under leave_out: (size, mtime, content)."""
    seen = {}
    for dirpath, _, names in os.walk(root):
        if Path(dirpath).is_relative_to(leave_out):
            continue
        for n in names:
            p = Path(dirpath) / n
            st = p.stat()
            seen[str(p)] = (st.st_size, st.st_mtime_ns, p.read_bytes())
    return seen


def grade_bob(bob: Machine | IsolatedMachine, path: Path) -> bytes:
    """The teacher's check of Bob: load, I I I D, read the counter."""
    bob.insmod(str(path))
    for cmd in [b"I\n", b"I\n", b"I\n", b"D\n"]:
        bob.proc_write("counter", cmd)
    return bob.proc_read("counter")


def messages(m: Machine | IsolatedMachine) -> list[str]:
    return [r.text for r in m.log_records()]


def test_without_isolation_the_attack_works(world: dict[str, Path]) -> None:
    """The README's warning, shown: in the grader's process the module has the grader's
    rights. (This is what the isolated tests below must not see.)"""
    original = Machine.proc_read
    mallory, bob = Machine(world["mallory_home"]), Machine(world["bob_home"])
    try:
        mallory.insmod(str(world["mallory"]))
        assert Machine.proc_read is not original  # the grader's own class, patched
        assert grade_bob(bob, world["bob"]) == b"2\n"  # Bob's broken module "passes"
        assert f"mallory: key: {KEY}" in messages(mallory)
        assert "mallory: wrote into bob's machine" in messages(mallory)
        assert (world["bob_home"] / "owned").read_text() == "mallory was here"
    finally:
        Machine.proc_read = original
        mallory.close()
        bob.close()


@pytest.mark.parametrize("sandbox", [
    pytest.param(True, marks=needs_bwrap, id="bwrap"),
    pytest.param(False, id="process"),
])
def test_the_patch_reaches_no_other_grading(world: dict[str, Path], sandbox: bool) -> None:
    original = Machine.proc_read
    with IsolatedMachine(world["mallory_home"], sandbox=sandbox) as mallory, \
            IsolatedMachine(world["bob_home"], sandbox=sandbox) as bob:
        mallory.insmod(str(world["mallory"]))
        assert Machine.proc_read is original  # the grader's process never ran her code
        assert grade_bob(bob, world["bob"]) == b"0\n"  # Bob's real result: broken
        assert mallory.isolation == ("bwrap" if sandbox else "process")


@needs_bwrap
def test_in_the_sandbox_the_key_and_other_machines_are_not_there(world: dict[str, Path]
                                                                  ) -> None:
    with IsolatedMachine(world["bob_home"], sandbox=True) as bob:
        assert grade_bob(bob, world["bob"]) == b"0\n"
    before = snapshot(world["tmp"], leave_out=world["mallory_home"])
    with IsolatedMachine(world["mallory_home"], sandbox=True) as mallory:
        mallory.insmod(str(world["mallory"]))
        log = messages(mallory)
    assert "mallory: no key: FileNotFoundError" in log
    assert not any(KEY in line for line in log)
    assert "mallory: can't write there: FileNotFoundError" in log
    # her machine is the only one written: every other file is as it was, byte for byte
    assert snapshot(world["tmp"], leave_out=world["mallory_home"]) == before
    assert (world["mallory_home"] / "state.db").exists() or any(world["mallory_home"].iterdir())


def test_a_sandbox_can_be_required(world: dict[str, Path]) -> None:
    if BWRAP:
        with IsolatedMachine(world["bob_home"], sandbox=True) as bob:
            assert bob.isolation == "bwrap"
    else:
        with pytest.raises(IsolationError, match="a sandbox was required"):
            IsolatedMachine(world["bob_home"], sandbox=True)


# -- the same methods and errors as Machine ---------------------------------------------------

@pytest.fixture
def isolated(tmp_path: Path) -> IsolatedMachine:
    m = IsolatedMachine(tmp_path / "home")
    yield m
    m.close()


def module(tmp_path: Path, name: str, source: str) -> str:
    path = tmp_path / f"{name}.py"
    path.write_text("from kmodsim.kernel import *\n" + textwrap.dedent(source).lstrip("\n"))
    return str(path)


def test_errors_come_back_as_machine_raises_them(isolated: IsolatedMachine) -> None:
    modules = Path(__file__).resolve().parent.parent / "modules"
    isolated.insmod(str(modules / "counter.py"))
    with pytest.raises(InsmodError) as e:
        isolated.insmod(str(modules / "counter.py"))
    assert e.value.lines == [f"insmod: ERROR: could not insert module {modules}/counter.py: "
                             f"File exists"]
    with pytest.raises(ProcError) as p:
        isolated.proc_write("counter", b"X\n")
    assert (p.value.errno, p.value.path, p.value.lines) == (
        22, "counter", ["kmod: /proc/counter: Invalid argument"])
    isolated.rmmod("counter")  # the failed write's file was closed: not in use
    assert isolated.modules() == []
    isolated.insmod(str(modules / "buggy" / "null_deref.py"))
    with pytest.raises(Killed) as k:
        isolated.proc_write("null_deref", b"x\n")
    assert (k.value.signal, k.value.exit_code) == (9, 137)
    assert "BUG: kernel NULL pointer dereference, address: 0000000000000000" in \
        messages(isolated)


def test_open_files_live_in_the_child(isolated: IsolatedMachine) -> None:
    modules = Path(__file__).resolve().parent.parent / "modules"
    isolated.insmod(str(modules / "counter.py"))
    with isolated.open("/proc/counter", "r+b") as f:
        assert f.write(b"I") == 1
        assert isolated.modules()[0].refcnt == 1  # the open file keeps the module in use
    with isolated.open("/proc/counter") as f:
        assert f.readline() == "1\n"
        assert f.read() == ""
    assert isolated.modules()[0].refcnt == 0


def test_it_has_machines_file_methods(tmp_path: Path) -> None:
    """Every way of reaching a file that Machine has (docs/grading.md: "It has Machine's
    methods"), run in the child, answering as Machine does."""
    modules = Path(__file__).resolve().parent.parent / "modules"
    sys.path.insert(0, str(modules / "ioctl"))
    try:
        from knob_defs import KNOB_GET
    finally:
        sys.path.remove(str(modules / "ioctl"))
    plain = Machine(tmp_path / "plain")

    def uses(m: Machine | IsolatedMachine) -> list[object]:
        m.insmod(str(modules / "chardev" / "lastmsg.py"))
        m.insmod(str(modules / "ioctl" / "knob.py"))
        position = bytearray(4)
        with m.open("/dev/lastmsg", "rb") as f:
            ready = f.poll(timeout=0)
        return [m.write_file("/dev/lastmsg", b"hi\n"), m.read_file("/dev/lastmsg"),
                m.list_dir("/dev"), m.list_dir("/dev/lastmsg"), m.stat("/dev/lastmsg"),
                m.stat("/dev/nothing"), m.kthreads(), ready,
                m.ioctl("/dev/knob", KNOB_GET, position), bytes(position)]  # type: ignore[arg-type]

    expected = uses(plain)
    plain.close()
    assert b"hi" in expected[1] and "lastmsg" in expected[2]  # type: ignore[operator]
    # (knob.py include()s knob_defs.py: the sandbox shows it only when told)
    with IsolatedMachine(tmp_path / "home",
                         readable=[modules / "ioctl" / "knob_defs.py"]) as isolated:
        assert uses(isolated) == expected



@needs_bwrap
def test_a_module_built_from_several_files_loads_in_the_sandbox(tmp_path: Path) -> None:
    """insmod reads the files a module include()s: the sandbox shows them, each alone, as
    it shows the module file, without readable=; the rest of the folder stays hidden."""
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "helpers.py").write_text('include("parts/more.py")\n'
                                       'def greeting():\n    return "hi from " + WHERE\n')
    (folder / "parts").mkdir()
    (folder / "parts" / "more.py").write_text('WHERE = "helpers"\n')
    (folder / "notes.txt").write_text("not for the module")
    path = module(folder, "several", f"""
        MODULE_LICENSE("GPL")
        include("helpers.py")

        @module_init
        def several_init():
            pr_info("several: %s\\n", greeting())
            try:
                open({str(folder / "notes.txt")!r}).close()
                pr_info("several: the folder is shown\\n")
            except OSError as e:
                pr_info("several: the folder is hidden: %s\\n", type(e).__name__)
            return 0
    """)
    with IsolatedMachine(tmp_path / "home", sandbox=True) as m:
        m.insmod(path)
        assert messages(m)[-2:] == ["several: hi from helpers",
                                    "several: the folder is hidden: FileNotFoundError"]



@needs_bwrap
@pytest.mark.parametrize("how", ["../", "symlink"])
def test_an_include_shows_the_sandbox_nothing_outside_the_modules_folder(tmp_path: Path,
                                                                         how: str) -> None:
    (tmp_path / "answers.py").write_text('KEY = "the answer key"\n')
    folder = tmp_path / "student"
    folder.mkdir()
    if how == "symlink":
        (folder / "helper.py").symlink_to(tmp_path / "answers.py")
    name = "../answers.py" if how == "../" else "helper.py"
    path = module(folder, "sneaky", f"""
        MODULE_LICENSE("GPL")
        include({name!r})
        @module_init
        def sneaky_init():
            pr_info("sneaky: %s\\n", KEY)
            return 0
    """)
    with IsolatedMachine(tmp_path / "home", sandbox=True) as m:
        with pytest.raises(InsmodError) as e:
            m.insmod(path)
        assert "No such file or directory" in str(e.value)
        assert not any("answer key" in line for line in messages(m))


def kthread_processes(home: Path) -> list[str]:
    """The host's processes that run a kthread of the machine in `home`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = (Path("/proc") / pid / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"kmodsim.kthreadd" in argv and os.fsencode(home) in argv:
            found.append(pid)
    return found


@needs_bwrap
def test_what_a_sandbox_leaves_goes_with_it(kmod, home: Path) -> None:
    """The sandbox's child is pid 2 of a pid namespace of its own, which the host's pid 2
    (kthreadd) and the next sandbox's child are too: a file it left open keeps the module
    in use while the sandbox runs, and not a moment after; its kthreads end with it."""
    modules = Path(__file__).resolve().parent.parent / "modules"
    with IsolatedMachine(home, sandbox=True) as m:
        m.insmod(str(modules / "counter.py"))
        m.insmod(str(modules / "deferred" / "ticker.py"))
        m.open("/proc/counter")  # and never closed
        assert "counter                12288  1" in kmod("lsmod").stdout.splitlines()
        assert len(kthread_processes(home)) == 1
    assert kthread_processes(home) == []
    r = kmod("lsmod")
    assert "counter                12288  0" in r.stdout.splitlines()
    assert kmod("rmmod", "ticker").returncode == 0  # its thread is gone: nothing to wait for
    with IsolatedMachine(home, sandbox=True) as m:  # the next child: pid 2 again
        assert [info.refcnt for info in m.modules()] == [0]
        m.open("/proc/counter")
    with IsolatedMachine(home, sandbox=True) as m:
        m.rmmod("counter")
    assert kmod("lsmod").stdout == "Module                  Size  Used by\n"


@needs_bwrap
def test_a_sandbox_takes_a_file_the_host_holds_open_for_open(kmod, home: Path) -> None:
    """A sandbox can't see the host's processes: it must count their files as open, not
    release them and let rmmod through under the host's feet."""
    modules = Path(__file__).resolve().parent.parent / "modules"
    assert kmod("insmod", str(modules / "counter.py")).returncode == 0
    host = Machine(home)
    try:
        with host.open("/proc/counter"):
            with IsolatedMachine(home, sandbox=True) as m:
                assert [info.refcnt for info in m.modules()] == [1]
                with pytest.raises(RmmodError, match="is in use"):
                    m.rmmod("counter")
    finally:
        host.close()
    assert kmod("rmmod", "counter").returncode == 0


def test_cpu_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KMODSIM_WATCHDOG_THRESH", "3600")  # the CPU limit comes first
    spin = module(tmp_path, "spin", """
        MODULE_LICENSE("GPL")
        @module_init
        def spin_init():
            while True:
                pass
    """)
    with IsolatedMachine(tmp_path / "home", limits=Limits(cpu_seconds=1)) as m:
        with pytest.raises(LimitExceeded) as e:
            m.insmod(spin)
        assert e.value.limit == "cpu"
        assert str(e.value) == "kmodsim: the machine's process used its 1 s of CPU time"
        assert m.modules() == []  # a new child; the killed insmod was never committed


def test_file_size_limit(tmp_path: Path) -> None:
    """A write past the limit fails (EFBIG, as Python ignores SIGXFSZ): in module code that
    is the module's crash, and its hint says why."""
    big = module(tmp_path, "big", """
        import os, tempfile
        MODULE_LICENSE("GPL")
        @module_init
        def big_init():
            with open(os.path.join(tempfile.gettempdir(), "big"), "wb") as f:
                f.write(b"x" * (4 << 20))
            return 0
    """)
    with IsolatedMachine(tmp_path / "home", limits=Limits(file_bytes=2 << 20)) as m:
        with pytest.raises(Killed):
            m.insmod(big)
        assert any("OSError: [Errno 27] File too large" in line for line in messages(m))


def test_output_limit(tmp_path: Path) -> None:
    chatty = module(tmp_path, "chatty", """
        MODULE_LICENSE("GPL")
        def chatty_read(file, buf, count, ppos):
            return simple_read_from_buffer(buf, count, ppos, b"x" * 100000)
        fops = proc_ops(proc_read=chatty_read)
        @module_init
        def chatty_init():
            proc_create("chatty", 0o444, None, fops)
            return 0
    """)
    with IsolatedMachine(tmp_path / "home", limits=Limits(output_bytes=65536)) as m:
        m.insmod(chatty)
        with pytest.raises(LimitExceeded) as e:
            m.proc_read("chatty")
        assert e.value.limit == "output"
        assert m.proc_list()[:1] == ["chatty"]  # the machine goes on, in a new child


def test_memory_limit(tmp_path: Path) -> None:
    """Past the address-space limit an allocation fails: in module code that is the
    module's crash (as the kernel's kmalloc failing isn't), and its hint says MemoryError."""
    hog = module(tmp_path, "hog", """
        MODULE_LICENSE("GPL")
        @module_init
        def hog_init():
            global hog
            hog = bytearray(2 << 30)
            return 0
    """)
    with IsolatedMachine(tmp_path / "home", limits=Limits(memory_bytes=512 << 20)) as m:
        with pytest.raises(Killed):
            m.insmod(hog)
        assert any(line.startswith("kmodsim: hint: MemoryError at ") for line in messages(m))


def test_time_limit(tmp_path: Path) -> None:
    sleeper = module(tmp_path, "sleeper", """
        MODULE_LICENSE("GPL")
        wq = DECLARE_WAIT_QUEUE_HEAD()
        def sleeper_read(file, buf, count, ppos):
            wait_event(wq, lambda: False)  # nobody ever wakes it
            return 0
        fops = proc_ops(proc_read=sleeper_read)
        @module_init
        def sleeper_init():
            proc_create("sleeper", 0o444, None, fops)
            return 0
    """)
    with IsolatedMachine(tmp_path / "home", limits=Limits(call_seconds=2)) as m:
        m.insmod(sleeper)
        with pytest.raises(LimitExceeded) as e:
            m.proc_read("sleeper")
        assert e.value.limit == "time"
        assert str(e.value) == ("kmodsim: a call took more than 2 s: the machine's process "
                                "was stopped")


@pytest.mark.parametrize("fake_bwrap, why", [
    (None, "bubblewrap (bwrap) is not installed"),
    ("echo 'bwrap: No permissions to create new namespace' >&2; exit 1",
     "bwrap can't make a sandbox here: bwrap: No permissions to create new namespace"),
])
def test_without_a_working_bwrap_it_says_so_once(tmp_path: Path, fake_bwrap: str | None,
                                                   why: str) -> None:
    """No bwrap, or one that can't make namespaces (a container without unprivileged user
    namespaces): machines still get a process and limits each, and one warning says so."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if fake_bwrap:
        (bin_dir / "bwrap").write_text(f"#!/bin/sh\n{fake_bwrap}\n")
        (bin_dir / "bwrap").chmod(0o755)
    code = textwrap.dedent("""
        import sys, warnings
        from kmodsim.grading import IsolatedMachine, IsolationWarning
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for name in "ab":
                with IsolatedMachine(sys.argv[1] + "/" + name) as m:
                    assert m.isolation == "process" and m.modules() == []
        for w in caught:
            print(w.category.__name__, w.message)
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KMODSIM_")}
    env["PATH"] = str(bin_dir)
    p = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                       text=True, env=env, timeout=120)
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == (f"IsolationWarning kmodsim: {why}; each student's machine runs in its "
                        f"own process with resource limits only: its module code can read "
                        f"and write what your user can (see docs/grading.md)\n")
