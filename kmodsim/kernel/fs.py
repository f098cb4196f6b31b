"""System calls on /proc files (fs/open.c, fs/read_write.c, fs/proc/inode.c): open, read,
write and release, calling the module's proc_ops.

The learner's shell is an ordinary user, so the entry's mode bits for "others" decide what
it may do, as they would for `cat /proc/x` typed without sudo.
"""

from __future__ import annotations

from kmodsim.errors import ProcError
from kmodsim.formats.procmodules import render_proc_modules
from kmodsim.kernel._current import Kernel
from kmodsim.kernel.errno import EACCES, EFAULT, EINVAL, EIO, EISDIR, ENOENT
from kmodsim.kernel.module import Module, ModuleState
from kmodsim.kernel.panic import PageFault, TaskDied
from kmodsim.kernel.procfs import (
    BUILTIN_PROC,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    ProcState,
    file,
    load_entry,
    proc_dir_entry,
)
from kmodsim.kernel.stacktrace import module_base
from kmodsim.kernel.uaccess import UserPtr, loff_t


def normalize(path: str) -> str:
    path = path.strip()
    if path.startswith("/proc/"):
        path = path[len("/proc/"):]
    return path.strip("/")


class OpenFile:
    """An open /proc file: the entry, its module, the struct file the handlers see."""

    __slots__ = ("path", "pde", "lm", "filp", "builtin", "pos")

    def __init__(self, path: str, pde: proc_dir_entry | None, lm: Module | None,
                 filp: file | None, builtin: bytes | None = None, pos: int = 0) -> None:
        self.path = path
        self.pde = pde  # None for the kernel's own files
        self.lm = lm
        self.filp = filp
        self.builtin = builtin  # contents of a kernel-provided file
        self.pos = pos  # file position in `builtin`


def _builtin(k: Kernel, path: str) -> bytes | None:
    modules = k.state(ModuleState)
    if path == "modules":
        return render_proc_modules(modules.listing(), modules.holders).encode()
    if path == "sys/kernel/tainted":
        return b"%d\n" % modules.taint
    return None


def open_file(k: Kernel, path: str, flags: int) -> OpenFile:
    acc = flags & 3
    want_read = acc in (O_RDONLY, O_RDWR)
    want_write = acc in (O_WRONLY, O_RDWR)
    if path in BUILTIN_PROC:
        if path in ("sys", "sys/kernel"):
            raise ProcError(path, EISDIR)
        if want_write:
            raise ProcError(path, EACCES)
        return OpenFile(path, None, None, None, _builtin(k, path))
    row = k.state(ProcState).lookup(path)
    if row is None:
        raise ProcError(path, ENOENT)
    owner, is_dir, mode, blob = row
    if is_dir:
        raise ProcError(path, EISDIR)
    if k.task.uid != 0 and (  # root passes the mode bits (CAP_DAC_OVERRIDE)
            (want_read and not mode & 0o004) or (want_write and not mode & 0o002)):
        raise ProcError(path, EACCES)
    lm = None
    if owner:
        try:
            lm = k.module(owner)
        except KeyError:
            _gone(k, path, owner, "read" if want_read else "write")
    pde = load_entry(blob)  # through the store's allow-list unpickler
    ops = pde.proc_ops
    filp = file(pde, flags)
    of = OpenFile(path, pde, lm, filp)
    if ops is not None and ops.proc_open is not None and lm is not None:
        ret = k.call(lm, "open", ops.proc_open, filp.f_inode, filp)
        if isinstance(ret, int) and ret < 0:
            raise ProcError(path, -ret)
    if lm is not None:  # try_module_get(): an open file keeps its module in use
        k.state(ModuleState).file_opened(lm.name)
    return of


def _gone(k: Kernel, path: str, owner: str, kind: str) -> None:
    """The entry outlived its module: its handlers point into freed module memory."""
    k.task.kind = "vfs_open"  # open() reads the entry's proc_ops, in the module's freed data
    PageFault(module_base(owner) + 0x20D0,
              f"/proc/{path} was created by module {owner}, which was removed without "
              f"remove_proc_entry(): its handlers are gone with it (call remove_proc_entry "
              f"in the exit function)", access="read",
              rip="proc_reg_open+0x6d/0x190").report(k, None, [])
    raise TaskDied()


def read(k: Kernel, of: OpenFile, count: int) -> bytes:
    """One read(2) of up to `count` bytes at the file's position."""
    if of.builtin is not None:
        chunk = of.builtin[of.pos : of.pos + count]
        of.pos += len(chunk)
        return chunk
    assert of.pde is not None and of.filp is not None and of.lm is not None
    if of.pde.proc_ops is None or of.pde.proc_ops.proc_read is None:
        raise ProcError(of.path, EIO)  # proc_reg_read() without a proc_read
    user = bytearray(count)
    ppos = loff_t(of.filp.f_pos)
    ret = k.call(of.lm, "read", of.pde.proc_ops.proc_read, of.filp, UserPtr(user), count, ppos)
    n = _result(of.path, ret, count)
    of.filp.f_pos = ppos.value
    return bytes(user[:n])


def write(k: Kernel, of: OpenFile, data: bytes) -> int:
    """One write(2) of `data` at the file's position; returns what the handler accepted."""
    assert of.pde is not None and of.filp is not None and of.lm is not None
    if of.pde.proc_ops is None or of.pde.proc_ops.proc_write is None:
        raise ProcError(of.path, EIO)  # proc_reg_write() without a proc_write
    ppos = loff_t(of.filp.f_pos)
    ret = k.call(of.lm, "write", of.pde.proc_ops.proc_write, of.filp,
                 UserPtr(bytearray(data)), len(data), ppos)
    n = _result(of.path, ret, len(data))
    of.filp.f_pos = ppos.value
    return n


def release(k: Kernel, of: OpenFile) -> None:
    if of.pde is None or of.lm is None or of.filp is None:
        return
    fn = of.pde.proc_ops.proc_release if of.pde.proc_ops else None
    try:
        if fn is not None:
            k.call(of.lm, "release", fn, of.filp.f_inode, of.filp)
    finally:
        k.state(ModuleState).file_closed(of.lm.name)  # module_put()


def _result(path: str, ret: object, count: int) -> int:
    if ret is None:
        ret = 0
    if not isinstance(ret, int):
        raise ProcError(path, EINVAL, [f"kmod: the handler returned {type(ret).__name__} "
                                       f"{ret!r}: it must return a byte count or -errno"])
    if ret < 0:
        raise ProcError(path, -ret)
    if ret > count:  # more than the buffer: the kernel would have corrupted user memory
        raise ProcError(path, EFAULT, [f"kmod: the handler claimed {ret} bytes of a "
                                       f"{count}-byte buffer"])
    return ret
