"""System calls on the files of the simulated trees (fs/open.c, fs/read_write.c, fs/ioctl.c):
open, read, write, llseek, ioctl and release of any path the VFS finds (/proc, /dev, /sys,
/sys/kernel/debug), calling the node's file_operations.

Who may do what is the VFS's check (vfs.walk, vfs.permission) against the task's uid: 1000
for `kmod proc`, `kmod cat` and the Python API, 0 for `kmod sh` (the tutorials' sudo).

Handlers of a node a module owns run in that module under the fault catcher (k.call), and an
open file keeps the module in use (try_module_get); the kernel's own handlers (a node without
an owner, or a function marked vfs.kernel_glue) are called directly.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable

from kmodsim.errors import ProcError
from kmodsim.kernel import _current, vfs
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.errno import (
    EACCES,
    EBADF,
    EFAULT,
    EINTR,
    EINVAL,
    EISDIR,
    ENOTTY,
    ENXIO,
)
from kmodsim.kernel.module import Module, ModuleState
from kmodsim.kernel.panic import PageFault, TaskDied
from kmodsim.kernel.pidns import task_key
from kmodsim.kernel.stacktrace import module_base
from kmodsim.kernel.uaccess import UserPtr, loff_t
from kmodsim.kernel.vfs import (
    FMODE_LSEEK,
    FMODE_READ,
    FMODE_WRITE,
    MAY_READ,
    MAY_WRITE,
    O_ACCMODE,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    Node,
    file,
)

ENOIOCTLCMD = 515  # a driver's "not mine": the system call says ENOTTY
# A module's open files are kernel memory, kept with the module's (Module.objects_of), keyed
# "TASK#N" by the process that opened them (pidns.task_key): the program that keeps one open
# across calls finds it there, and a process that died with files open has them released.
FILES = "files"


def proc_path(name: str) -> str:
    """`kmod proc read NAME`'s file: /proc/NAME (NAME may already start with /proc/)."""
    name = name.strip()
    if name.startswith("/proc/") or name == "/proc":
        return vfs.normalize(name)
    return vfs.normalize("/proc/" + name)


def normalize(path: str) -> str:
    """An absolute path as the VFS spells it; a relative one is under /proc (the Python API
    has always taken `counter` for /proc/counter)."""
    path = path.strip()
    return vfs.normalize(path) if path.startswith("/") else proc_path(path)


class OpenFile:
    """An open file: the node it was opened from, its module, the struct file handlers see."""

    __slots__ = ("path", "node", "lm", "filp", "key")

    def __init__(self, path: str, node: Node, lm: Module | None, filp: file,
                 key: str = "") -> None:
        self.path = path
        self.node = node
        self.lm = lm  # the module that owns the node (kept in use while it is open)
        self.filp = filp
        self.key = key  # where it is kept among the module's FILES


def _denied(path: str, err: int, node: Node | None, mask: int = 0) -> ProcError:
    e = ProcError(path, err)
    if err == EACCES and node is not None and _root_could(node, mask):
        # whose it is, for a hint on acting as root (never when root would fail next)
        e.denied_by = (node.path, node.mode, node.uid)  # type: ignore[attr-defined]
    return e


def _root_could(node: Node, mask: int) -> bool:
    """Root passes the mode; would the file then do it (a handler that isn't -EIO)?"""
    for bit, name in ((MAY_READ, "read"), (MAY_WRITE, "write")):
        fn = getattr(node.fops, name, None) if mask & bit else True
        if fn is None or getattr(fn, "__dict__", {}).get("no_handler") is True:
            return False
    return True


def open_file(k: Kernel, path: str, flags: int) -> OpenFile:
    """open(2) of absolute `path`; ProcError (ENOENT, EACCES, EISDIR, a hook's -errno)."""
    path = vfs.normalize(path)
    acc = flags & O_ACCMODE
    want_read = acc in (O_RDONLY, O_RDWR)
    want_write = acc in (O_WRONLY, O_RDWR)
    uid = k.task.uid
    gid = uid  # a user's primary group is its own (root's is root)
    try:
        node = vfs.walk(k, path, uid, gid)
    except vfs.Denied as e:
        raise _denied(path, e.err, e.node) from None
    if node.is_dir:
        raise ProcError(path, EISDIR)
    mask = (MAY_READ if want_read else 0) | (MAY_WRITE if want_write else 0)
    if not vfs.permission(node, uid, gid, mask):
        raise _denied(path, EACCES, node, mask)
    lm = None
    if node.owner:
        try:
            lm = k.module(node.owner)
        except KeyError:
            _gone(k, path, node.owner)
    if node.fops is None:
        raise ProcError(path, ENXIO)  # a device node no driver serves
    filp = file(node, flags)
    of = OpenFile(path, node, lm, filp)
    fn = getattr(node.fops, "open", None)
    if fn is not None:
        ret = _call(k, of, "open", fn, filp.f_inode, filp)
        if isinstance(ret, int) and ret < 0:
            raise ProcError(path, -ret)
    if lm is not None:  # try_module_get(): an open file keeps its module in use
        k.state(ModuleState).file_opened(lm.name)
        of.key = f"{task_key(k.task.pid)}#{os.urandom(6).hex()}"  # unique past pid reuse
        lm.objects_of(FILES)[of.key] = (node, filp)
    return of


def stat_dir(k: Kernel, path: str) -> bool:
    """opendir() for ls: True if `path` is a directory the task may list, False if it is a
    file; ProcError if it can't be reached (ENOENT, ENOTDIR) or read (EACCES)."""
    uid = k.task.uid
    try:
        node = vfs.walk(k, path, uid, uid)
    except vfs.Denied as e:
        raise _denied(path, e.err, e.node) from None
    if not node.is_dir:
        return False
    if not vfs.permission(node, uid, uid, MAY_READ):
        raise _denied(path, EACCES, node)
    return True


def _gone(k: Kernel, path: str, owner: str) -> None:
    """The node outlived its module: its handlers point into freed module memory."""
    k.task.kind = "vfs_open"  # open() reads the entry's operations, in the module's freed data
    if path.startswith("/proc/"):
        why = (f"{path} was created by module {owner}, which was removed without "
               f"remove_proc_entry(): its handlers are gone with it (call remove_proc_entry "
               f"in the exit function)")
    else:
        why = (f"{path} belongs to module {owner}, which was removed without taking it away: "
               f"its handlers are gone with it (undo every registration in the exit function)")
    rip = "chrdev_open+0xbd/0x230" if path.startswith("/dev/") else "proc_reg_open+0x6d/0x190"
    PageFault(module_base(owner) + 0x20D0, why, access="read", rip=rip).report(k, None, [])
    raise TaskDied()


def _is_glue(fn: Callable) -> bool:
    """A kernel function marked to be called directly (never module code)."""
    module = getattr(fn, "__module__", "") or ""
    return (isinstance(fn, types.FunctionType) and module.startswith("kmodsim.")
            and not module.startswith("kmodsim.live") and fn.__dict__.get("kernel_glue") is True)


def _kind(of: OpenFile, op: str) -> str:
    """The task kind of a handler (vfs.KIND_PREFIX): what its Oops's call trace shows."""
    point = vfs.mount_of(of.path)
    return vfs.KIND_PREFIX.get(point or "", "") + op


def _call(k: Kernel, of: OpenFile, kind: str, fn: Callable, *args: object) -> object:
    if of.lm is not None and not _is_glue(fn):
        return k.call(of.lm, kind, fn, *args)
    saved = _current.enter(k, None)
    k.task.kind = kind
    try:
        return fn(*args)
    finally:
        _current.leave(saved)


def read(k: Kernel, of: OpenFile, count: int) -> bytes:
    """One read(2) of up to `count` bytes at the file's position."""
    if not of.filp.f_mode & FMODE_READ:
        raise ProcError(of.path, EBADF)
    fn = getattr(of.node.fops, "read", None)
    if fn is None:
        raise ProcError(of.path, EINVAL)  # vfs_read() of a file without a read
    user = bytearray(count)
    ppos = loff_t(of.filp.f_pos)
    ret = _call(k, of, _kind(of, "read"), fn, of.filp, UserPtr(user), count, ppos)
    n = _result(of.path, ret, count)
    of.filp.f_pos = ppos.value
    return bytes(user[:n])


def write(k: Kernel, of: OpenFile, data: bytes) -> int:
    """One write(2) of `data` at the file's position; returns what the handler accepted."""
    if not of.filp.f_mode & FMODE_WRITE:
        raise ProcError(of.path, EBADF)
    fn = getattr(of.node.fops, "write", None)
    if fn is None:
        raise ProcError(of.path, EINVAL)  # vfs_write() of a file without a write
    ppos = loff_t(of.filp.f_pos)
    ret = _call(k, of, _kind(of, "write"), fn, of.filp, UserPtr(bytearray(data)), len(data),
                ppos)
    n = _result(of.path, ret, len(data))
    of.filp.f_pos = ppos.value
    return n


def llseek(k: Kernel, of: OpenFile, offset: int, whence: int) -> int:
    """lseek(2): the handler moves f_pos; returns the new position. Without one, a file
    can't seek (no_llseek: ESPIPE)."""
    fn = getattr(of.node.fops, "llseek", None) or vfs.no_llseek
    if not of.filp.f_mode & FMODE_LSEEK:  # nonseekable_open()
        fn = vfs.no_llseek
    ret = _call(k, of, _kind(of, "llseek"), fn, of.filp, int(offset), int(whence))
    return _value(of.path, ret, "the new position")


def ioctl(k: Kernel, of: OpenFile, cmd: int, arg: int | bytes | bytearray | None = 0
          ) -> tuple[int, bytearray | None]:
    """ioctl(2): the handler's return value, and the user buffer after it (when `arg` is a
    buffer: the handler reaches it with copy_from_user/copy_to_user, as a pointer)."""
    fn = getattr(of.node.fops, "unlocked_ioctl", None)
    if fn is None:
        raise ProcError(of.path, ENOTTY)  # vfs_ioctl() of a file without unlocked_ioctl
    buffer = None
    passed: object = 0 if arg is None else arg
    if isinstance(arg, (bytes, bytearray)):
        buffer = bytearray(arg)
        passed = UserPtr(buffer)
    ret = _call(k, of, _kind(of, "ioctl"), fn, of.filp, int(cmd) & 0xFFFFFFFF, passed)
    if ret == -ENOIOCTLCMD:
        ret = -ENOTTY
    return _value(of.path, ret, "0, a value or -errno"), buffer


def poll(k: Kernel, of: OpenFile, events: int, timeout: float | None) -> int:
    """poll(2) of one file: the events of `events` ready now (POLLERR, POLLHUP and POLLNVAL
    always count); with none, sleep on the queues the handler named until one is woken, then
    ask again, up to `timeout` seconds (None: for ever; 0: don't sleep). 0 if it timed out;
    EINTR (ProcError) if a signal came first."""
    import time

    from kmodsim.kernel.poll import DEFAULT_POLLMASK, POLLERR, POLLHUP, POLLNVAL, poll_table

    fn = getattr(of.node.fops, "poll", None)
    wanted = events | POLLERR | POLLHUP | POLLNVAL
    deadline = None if timeout is None else time.monotonic() + max(0.0, timeout)
    while True:
        table = poll_table()
        if fn is None:
            return DEFAULT_POLLMASK & wanted
        mask = _call(k, of, _kind(of, "poll"), fn, of.filp, table)
        ready = _value(of.path, mask, "a mask of POLL* events") & wanted
        left = None if deadline is None else deadline - time.monotonic()
        if ready or (left is not None and left <= 0) or not table.channels:
            return ready
        if k.schedule(tuple(table.channels), left, True) == "signal":
            raise ProcError(of.path, EINTR)


def release(k: Kernel, of: OpenFile) -> None:
    """The last close: the release hook, then module_put()."""
    fn = getattr(of.node.fops, "release", None)
    try:
        if fn is not None:
            _call(k, of, "release", fn, of.filp.f_inode, of.filp)
    finally:
        if of.lm is not None:
            of.lm.objects_of(FILES).pop(of.key, None)
            of.lm.dirty = True
            k.state(ModuleState).file_closed(of.lm.name)


def release_files_of_the_dead(k: Kernel) -> None:
    """A process that ended with files open (it exited without closing them, or was
    killed -9 asleep in a handler) closed them, as the kernel closes every file at exit:
    their release hooks run now, in the next task that enters the kernel. An Oops in one
    is reported and ends that release alone."""
    if k.meta.get(f"{ModuleState.PREFIX}.opens") in (None, "{}"):
        return  # no file is held open between entries (most entries): nothing to look at
    modules = k.state(ModuleState)
    for name, tasks in modules.dead_openers().items():
        modules.forget_opens(name, tasks)
        try:
            lm = k.module(name)
        except KeyError:
            continue
        files = lm.objects_of(FILES)
        for key in [key for key in files if key.rpartition("#")[0] in tasks]:
            node, filp = files.pop(key)
            lm.dirty = True
            fn = getattr(node.fops, "release", None)
            if fn is None:
                continue
            try:
                _call(k, OpenFile(node.path, node, lm, filp, key), "release", fn,
                      filp.f_inode, filp)
            except TaskDied:
                pass  # its report is logged; the task that ran it goes on


def _value(path: str, ret: object, what: str) -> int:
    if ret is None:
        ret = 0
    if not isinstance(ret, int):
        raise ProcError(path, EINVAL, [f"kmod: the handler returned {type(ret).__name__} "
                                       f"{ret!r}: it must return {what}"])
    if ret < 0:
        raise ProcError(path, -ret)
    return ret


def _result(path: str, ret: object, count: int) -> int:
    n = _value(path, ret, "a byte count or -errno")
    if n > count:  # more than the buffer: the kernel would have corrupted user memory
        raise ProcError(path, EFAULT, [f"kmod: the handler claimed {n} bytes of a "
                                       f"{count}-byte buffer"])
    return n


__all__ = ["ENOIOCTLCMD", "OpenFile", "ioctl", "llseek", "normalize", "open_file",
           "proc_path", "read", "release", "stat_dir", "write"]
