"""seq_file (fs/seq_file.c, include/linux/seq_file.h) and the /proc files built on it
(proc_create_seq, proc_create_single: fs/proc/generic.c).

A seq_file turns records into a file: start() finds the record at `*pos`, show() prints it
with seq_printf(), next() moves on, stop() ends a pass. Every read() call starts a new pass at
the first record not yet given out, fills a buffer (a page, doubled when one record doesn't
fit) and hands out what the reader asked for, keeping the rest for the next call, exactly as
seq_read_iter() does. A reader with a small buffer thus sees start()/stop() once per read()
call, and show() may run again for a record whose output didn't fit.

`*pos` is `pos.value`, as `*ppos` is `ppos.value` in a read handler:

    def items_start(m, pos):          # void *items_start(struct seq_file *m, loff_t *pos)
        return seq_list_start(items, pos.value)
    def items_next(m, v, pos):
        return seq_list_next(v, items, pos)
    def items_stop(m, v):
        pass
    def items_show(m, v):
        item = list_entry(v, Item, "node")
        seq_printf(m, "%d\\n", item.value)
        return 0
    items_seq_ops = seq_operations(start=items_start, next=items_next, stop=items_stop,
                                   show=items_show)
    proc_create_seq("items", 0o444, None, items_seq_ops)

start() and next() return the record (any object), None (NULL) at the end, or ERR_PTR(-E…).
"""

from __future__ import annotations

from collections.abc import Callable

from kmodsim.kernel import _current
from kmodsim.kernel.cformat import format_c
from kmodsim.kernel.errno import EFAULT, EINVAL, IS_ERR_VALUE
from kmodsim.kernel.lists import hlist_head, list_head
from kmodsim.kernel.panic import warn
from kmodsim.kernel.printk import log
from kmodsim.kernel.procfs import file, inode, pde_data, proc_create_data, proc_dir_entry, proc_ops
from kmodsim.kernel.slab import kfree, kzalloc
from kmodsim.kernel.uaccess import UserPtr, copy_to_user, loff_t

PAGE_SIZE = 4096
SEQ_SKIP = 1
SEEK_SET, SEEK_CUR = 0, 1


class _StartToken:
    """SEQ_START_TOKEN: the record a start() returns for a header line."""

    def __repr__(self) -> str:
        return "SEQ_START_TOKEN"

    def __reduce__(self) -> str:
        return "SEQ_START_TOKEN"


SEQ_START_TOKEN = _StartToken()


class seq_operations:
    """struct seq_operations: start, next, stop, show (functions of the module)."""

    __slots__ = ("start", "next", "stop", "show")

    def __init__(self, start: Callable | None = None, next: Callable | None = None,
                 stop: Callable | None = None, show: Callable | None = None) -> None:
        self.start = start
        self.next = next
        self.stop = stop
        self.show = show

    def __getstate__(self) -> tuple:
        return (self.start, self.next, self.stop, self.show)

    def __setstate__(self, state: tuple) -> None:
        self.start, self.next, self.stop, self.show = state


class seq_file:
    """struct seq_file: the buffer (`size` bytes, `count` of them filled, the next to hand
    out at `from_`), the record index, and `private` for the module's own use."""

    def __init__(self, op: seq_operations, f: file | None) -> None:
        self.buf: bytearray | None = None
        self.size = 0
        self.from_ = 0
        self.count = 0
        self.pad_until = 0
        self.index = 0
        self.read_pos = 0
        self.op = op
        self.poll_event = 0
        self.file = f
        self.private: object = None

    def __repr__(self) -> str:
        return f"<seq_file index {self.index} count {self.count}/{self.size}>"


def _end(p: object) -> bool:
    """!p: NULL (None, or a 0 cast to a pointer) ends the sequence."""
    return p is None or p is False or (isinstance(p, int) and not isinstance(p, bool)
                                       and p == 0)


def _is_err(p: object) -> bool:
    return isinstance(p, int) and not isinstance(p, bool) and IS_ERR_VALUE(p)


def _start(m: seq_file) -> object:
    pos = loff_t(m.index)
    p = m.op.start(m, pos)  # type: ignore[misc]
    m.index = int(pos.value)
    return p


def _next(m: seq_file, p: object) -> object:
    pos = loff_t(m.index)
    p = m.op.next(m, p, pos)  # type: ignore[misc]
    m.index = int(pos.value)
    return p


def _show(m: seq_file, p: object) -> int:
    ret = m.op.show(m, p)  # type: ignore[misc]
    return 0 if ret is None else int(ret)


def _stop(m: seq_file, p: object) -> None:
    m.op.stop(m, p)  # type: ignore[misc]


def seq_has_overflowed(m: seq_file) -> bool:
    return m.count == m.size


def _alloc(m: seq_file, size: int) -> None:
    m.size = size
    m.buf = bytearray(size)


def _traverse(m: seq_file, offset: int) -> int:
    """Position the iterator at byte `offset` (fs/seq_file.c traverse())."""
    pos = 0
    error = 0
    m.index = 0
    m.count = m.from_ = 0
    if not offset:
        return 0
    if m.buf is None:
        _alloc(m, PAGE_SIZE)
    p = _start(m)
    while not _end(p):
        if _is_err(p):
            error = int(p)  # type: ignore[call-overload]
            break
        error = _show(m, p)
        if error < 0:
            break
        if error:
            error = 0
            m.count = 0
        if seq_has_overflowed(m):
            _stop(m, p)
            m.count = 0
            _alloc(m, m.size << 1)
            return -11  # -EAGAIN: again, with the bigger buffer
        p = _next(m, p)
        if pos + m.count > offset:
            m.from_ = offset - pos
            m.count -= m.from_
            break
        pos += m.count
        m.count = 0
        if pos == offset:
            break
    _stop(m, p)
    return error


def seq_read(f: file, buf: UserPtr, size: int, ppos: loff_t) -> int:
    """The ->proc_read of a seq_file: seq_read_iter() for one read() of `size` bytes."""
    m: seq_file = f.private_data  # type: ignore[assignment]
    copied = 0
    err = 0
    left = int(size)
    if not left:
        return 0
    if ppos.value == 0:  # a read from 0 starts over from the first record
        m.index = 0
        m.count = 0
    if ppos.value != m.read_pos:  # don't assume ki_pos is where we left it
        while True:
            err = _traverse(m, ppos.value)
            if err != -11:
                break
        if err:
            m.read_pos = 0
            m.index = 0
            m.count = 0
            return err
        m.read_pos = ppos.value
    if m.buf is None:
        _alloc(m, PAGE_SIZE)

    def out(data: bytes) -> int:
        nonlocal copied, left
        n = min(len(data), left)
        if n <= 0:
            return 0
        n -= copy_to_user(buf + copied, data[:n], n)
        copied += n
        left -= n
        return n

    assert m.buf is not None
    if m.count:  # something left in the buffer: copy it out first
        n = out(bytes(m.buf[m.from_ : m.from_ + m.count]))
        m.count -= n
        m.from_ += n
        if m.count:  # hadn't managed to copy everything
            return _done(m, ppos, copied, err)
    m.from_ = 0
    p = _start(m)
    while True:  # get a non-empty record in the buffer
        if _end(p) or _is_err(p):  # EOF or an error
            err = int(p) if _is_err(p) else 0  # type: ignore[call-overload]
            _stop(m, p)
            m.count = 0
            return _done(m, ppos, copied, err)
        err = _show(m, p)
        if err < 0:  # hard error
            _stop(m, p)
            m.count = 0
            return _done(m, ppos, copied, err)
        if err:  # ->show() says "skip it"
            m.count = 0
        if not m.count:  # empty record
            p = _next(m, p)
            continue
        if not seq_has_overflowed(m):  # got it
            break
        _stop(m, p)  # need a bigger buffer
        m.count = 0
        _alloc(m, m.size << 1)
        p = _start(m)
    # Fill: one non-empty record is in the buffer; if they want more, try to fit more in,
    # but in any case the iterator advances once for every record shown
    while True:
        offs = m.count
        pos = m.index
        p = _next(m, p)
        if pos == m.index:
            log(_current.entry(), 6, format_c(
                "buggy .next function %ps did not update position index\n", (m.op.next,)))
            m.index += 1
        if _end(p) or _is_err(p):
            break
        if m.count >= left:
            break
        err = _show(m, p)
        if err > 0:  # skip it
            m.count = offs
        elif err or seq_has_overflowed(m):
            m.count = offs
            break
    _stop(m, p)
    n = out(bytes(m.buf[: m.count]))
    m.count -= n
    m.from_ = n
    return _done(m, ppos, copied, err)


def _done(m: seq_file, ppos: loff_t, copied: int, err: int) -> int:
    if not copied:
        return -EFAULT if m.count else err
    ppos.value += copied
    m.read_pos += copied
    return copied


def seq_lseek(f: file, offset: int, whence: int) -> int:
    """The ->proc_lseek of a seq_file: SEEK_SET and SEEK_CUR, by replaying the records."""
    m: seq_file = f.private_data  # type: ignore[assignment]
    retval = -EINVAL
    offset = int(offset)
    if whence == SEEK_CUR:
        offset += f.f_pos
        whence = SEEK_SET
    if whence == SEEK_SET and offset >= 0:
        retval = offset
        if offset != m.read_pos:
            while True:
                retval = _traverse(m, offset)
                if retval != -11:
                    break
            if retval:
                f.f_pos = 0
                m.read_pos = 0
                m.index = 0
                m.count = 0
            else:
                m.read_pos = offset
                retval = f.f_pos = offset
        else:
            f.f_pos = offset
    return retval


def seq_open(f: file, op: seq_operations) -> int:
    """Make `f` a seq_file over `op` (f.private_data is the seq_file); 0."""
    if f.private_data is not None:
        warn(_current.entry(), _current.module(), "fs/seq_file.c:63 seq_open+0x5b/0x70", "")
    f.private_data = seq_file(op, f)
    return 0


def seq_release(ino: inode, f: file) -> int:
    """The ->proc_release of a seq_file opened with seq_open()."""
    f.private_data = None
    return 0


def seq_open_private(f: file, op: seq_operations, psize: int) -> int:
    """seq_open() with `private` a zeroed allocation of `psize` bytes (sizeof(Class): an
    object), freed by seq_release_private(); 0 or -ENOMEM."""
    private = kzalloc(psize)
    if private is None:
        return -12
    seq_open(f, op)
    f.private_data.private = private  # type: ignore[attr-defined]
    return 0


def __seq_open_private(f: file, op: seq_operations, psize: int) -> object:
    if seq_open_private(f, op, psize):
        return None
    return f.private_data.private  # type: ignore[attr-defined]


def seq_release_private(ino: inode, f: file) -> int:
    m: seq_file = f.private_data  # type: ignore[assignment]
    kfree(m.private)  # type: ignore[arg-type]
    m.private = None
    return seq_release(ino, f)


def single_start(m: seq_file, pos: loff_t) -> object:
    return None if pos.value else SEQ_START_TOKEN


def single_next(m: seq_file, v: object, pos: loff_t) -> object:
    pos.value += 1
    return None


def single_stop(m: seq_file, v: object) -> None:
    pass


def single_open(f: file, show: Callable, data: object) -> int:
    """A seq_file of one record: `show(m, v)` prints the whole file; m.private is `data`."""
    ret = seq_open(f, seq_operations(single_start, single_next, single_stop, show))
    if not ret:
        f.private_data.private = data  # type: ignore[attr-defined]
    return ret


def single_open_size(f: file, show: Callable, data: object, size: int) -> int:
    ret = single_open(f, show, data)
    if not ret:
        _alloc(f.private_data, int(size))  # type: ignore[arg-type]
    return ret


def single_release(ino: inode, f: file) -> int:
    return seq_release(ino, f)


# -- printing into the buffer ----------------------------------------------------------------

def _put(m: seq_file, data: bytes) -> bool:
    """Append `data` if it fits with room to spare, else mark the buffer overflowed."""
    if m.buf is None:
        _alloc(m, PAGE_SIZE)
    assert m.buf is not None
    if m.count + len(data) < m.size:
        m.buf[m.count : m.count + len(data)] = data
        m.count += len(data)
        return True
    m.count = m.size  # seq_set_overflow(): read() will retry with a bigger buffer
    return False


def _text(s: object) -> bytes:
    if isinstance(s, str):
        return s.encode("utf-8", "surrogateescape")
    raw = bytes(s)  # type: ignore[call-overload]
    nul = raw.find(b"\0")
    return raw if nul < 0 else raw[:nul]


def seq_vprintf(m: seq_file, fmt: str, args: tuple) -> None:
    if m.count < m.size or m.buf is None:
        if isinstance(fmt, (bytes, bytearray)):
            fmt = bytes(fmt).decode("utf-8", "surrogateescape")
        _put(m, format_c(fmt, tuple(args)).encode("utf-8", "surrogateescape"))
    else:
        m.count = m.size


def seq_printf(m: seq_file, fmt: str, *args: object) -> None:
    """printf into the seq_file (C's returns void since 5.x, and so does this)."""
    seq_vprintf(m, fmt, args)


def seq_puts(m: seq_file, s: object) -> None:
    _put(m, _text(s))


def seq_putc(m: seq_file, c: object) -> None:
    if m.buf is None:
        _alloc(m, PAGE_SIZE)
    if m.count >= m.size:
        return
    assert m.buf is not None
    m.buf[m.count] = c if isinstance(c, int) else _text(c)[0]
    m.count += 1


def seq_write(m: seq_file, data: object, length: int) -> int:
    """Append `length` bytes of data: 0, or -1 (and overflow) when they don't fit."""
    raw = data.encode() if isinstance(data, str) else bytes(data)  # type: ignore[arg-type]
    return 0 if _put(m, raw[: int(length)]) else -1


def seq_put_decimal_ull(m: seq_file, delimiter: str, num: int) -> None:
    seq_puts(m, f"{delimiter}{int(num)}")


def seq_put_decimal_ll(m: seq_file, delimiter: str, num: int) -> None:
    seq_puts(m, f"{delimiter}{int(num)}")


def seq_put_hex_ll(m: seq_file, delimiter: str, v: int, width: int) -> None:
    seq_puts(m, f"{delimiter}{int(v):0{int(width)}x}")


def seq_pad(m: seq_file, c: object) -> None:
    size = m.pad_until - m.count
    m.pad_until = 0
    if size > 0 and m.count + size < m.size:
        _put(m, b" " * size)
    if c:
        seq_putc(m, c)


def seq_setwidth(m: seq_file, size: int) -> None:
    m.pad_until = m.count + int(size)


# -- iterating lists from start() and next() -------------------------------------------------

def seq_list_start(head: list_head, pos: int) -> object:
    """The node at position `pos` of the list (None past the end): start()'s record."""
    lh = head.next
    pos = int(pos)
    while lh is not head:
        if pos == 0:
            return lh
        pos -= 1
        lh = lh.next  # type: ignore[attr-defined]
    return None


def seq_list_start_head(head: list_head, pos: int) -> object:
    """Like seq_list_start, with the head itself at position 0 (for a header line)."""
    if not int(pos):
        return head
    return seq_list_start(head, int(pos) - 1)


def seq_list_next(v: object, head: list_head, ppos: loff_t) -> object:
    """The node after `v` (None at the end); advances *ppos: next()'s record."""
    lh = v.next  # type: ignore[attr-defined]
    ppos.value += 1
    return None if lh is head else lh


def seq_hlist_start(head: hlist_head, pos: int) -> object:
    node = head.first
    pos = int(pos)
    while node is not None:
        if pos == 0:
            return node
        pos -= 1
        node = node.next  # type: ignore[attr-defined]
    return None


def seq_hlist_start_head(head: hlist_head, pos: int) -> object:
    if not int(pos):
        return SEQ_START_TOKEN
    return seq_hlist_start(head, int(pos) - 1)


def seq_hlist_next(v: object, head: hlist_head, ppos: loff_t) -> object:
    ppos.value += 1
    if v is SEQ_START_TOKEN:
        return head.first
    return v.next  # type: ignore[attr-defined]


# -- /proc files made of a seq_file (fs/proc/generic.c) --------------------------------------

class _SeqOpen:
    """proc_seq_open(): the ->proc_open of a proc_create_seq() file."""

    __slots__ = ("ops", "state_size")

    def __init__(self, ops: seq_operations, state_size: int) -> None:
        self.ops = ops
        self.state_size = state_size

    def __call__(self, ino: inode, f: file) -> int:
        if self.state_size:
            return seq_open_private(f, self.ops, self.state_size)
        ret = seq_open(f, self.ops)
        if not ret:
            f.private_data.private = pde_data(ino)  # type: ignore[attr-defined]
        return ret

    def __getstate__(self) -> tuple:
        return (self.ops, self.state_size)

    def __setstate__(self, state: tuple) -> None:
        self.ops, self.state_size = state


class _SingleOpen:
    """proc_single_open() / DEFINE_SHOW_ATTRIBUTE's _open: single_open() with the show
    function and the entry's data."""

    __slots__ = ("show",)

    def __init__(self, show: Callable) -> None:
        self.show = show

    def __call__(self, ino: inode, f: file) -> int:
        return single_open(f, self.show, pde_data(ino))

    def __getstate__(self) -> tuple:
        return (self.show,)

    def __setstate__(self, state: tuple) -> None:
        (self.show,) = state


class seq_fops(proc_ops):
    """The operations DEFINE_SHOW_ATTRIBUTE() and DEFINE_SEQ_ATTRIBUTE() define: C's are a
    file_operations (for debugfs or a device); these serve a /proc file too."""

    __slots__ = ()

    def __getstate__(self) -> tuple:
        return tuple(getattr(self, k) for k in proc_ops.__slots__)

    def __setstate__(self, state: tuple) -> None:
        for k, v in zip(proc_ops.__slots__, state, strict=True):
            setattr(self, k, v)

    @property
    def open(self) -> Callable | None:
        return self.proc_open

    @property
    def read(self) -> Callable | None:
        return self.proc_read

    @property
    def llseek(self) -> Callable | None:
        return self.proc_lseek

    @property
    def release(self) -> Callable | None:
        return self.proc_release


def proc_create_seq_private(name: str, mode: int, parent: proc_dir_entry | None,
                            ops: seq_operations, state_size: int,
                            data: object) -> proc_dir_entry | None:
    release = seq_release_private if state_size else seq_release
    fops = proc_ops(proc_open=_SeqOpen(ops, int(state_size)), proc_read=seq_read,
                    proc_lseek=seq_lseek, proc_release=release)
    return proc_create_data(name, mode, parent, fops, data)


def proc_create_seq_data(name: str, mode: int, parent: proc_dir_entry | None,
                         ops: seq_operations, data: object) -> proc_dir_entry | None:
    return proc_create_seq_private(name, mode, parent, ops, 0, data)


def proc_create_seq(name: str, mode: int, parent: proc_dir_entry | None,
                    ops: seq_operations) -> proc_dir_entry | None:
    """/proc/[parent/]name read through a seq_file over `ops`; None if it can't be made."""
    return proc_create_seq_private(name, mode, parent, ops, 0, None)


def proc_create_single_data(name: str, mode: int, parent: proc_dir_entry | None,
                            show: Callable, data: object) -> proc_dir_entry | None:
    fops = proc_ops(proc_open=_SingleOpen(show), proc_read=seq_read, proc_lseek=seq_lseek,
                    proc_release=single_release)
    return proc_create_data(name, mode, parent, fops, data)


def proc_create_single(name: str, mode: int, parent: proc_dir_entry | None,
                       show: Callable) -> proc_dir_entry | None:
    """/proc/[parent/]name whose whole content `show(m, v)` prints."""
    return proc_create_single_data(name, mode, parent, show, None)


def DEFINE_PROC_SHOW_ATTRIBUTE(show: Callable) -> proc_ops:
    """`DEFINE_PROC_SHOW_ATTRIBUTE(foo)` (with foo_show) defines foo_proc_ops:
    `foo_proc_ops = DEFINE_PROC_SHOW_ATTRIBUTE(foo_show)`."""
    return proc_ops(proc_open=_SingleOpen(show), proc_read=seq_read, proc_lseek=seq_lseek,
                    proc_release=single_release)


def DEFINE_SHOW_ATTRIBUTE(show: Callable) -> seq_fops:
    """`DEFINE_SHOW_ATTRIBUTE(foo)` (with foo_show) defines foo_fops:
    `foo_fops = DEFINE_SHOW_ATTRIBUTE(foo_show)`; it serves proc_create() too."""
    return seq_fops(proc_open=_SingleOpen(show), proc_read=seq_read, proc_lseek=seq_lseek,
                    proc_release=single_release)


class _SeqAttrOpen:
    __slots__ = ("ops",)

    def __init__(self, ops: seq_operations) -> None:
        self.ops = ops

    def __call__(self, ino: inode, f: file) -> int:
        ret = seq_open(f, self.ops)
        if not ret and ino.i_private is not None:
            f.private_data.private = ino.i_private  # type: ignore[attr-defined]
        return ret

    def __getstate__(self) -> tuple:
        return (self.ops,)

    def __setstate__(self, state: tuple) -> None:
        (self.ops,) = state


def DEFINE_SEQ_ATTRIBUTE(ops: seq_operations) -> seq_fops:
    """`DEFINE_SEQ_ATTRIBUTE(foo)` (with foo_sops) defines foo_fops:
    `foo_fops = DEFINE_SEQ_ATTRIBUTE(foo_sops)`."""
    return seq_fops(proc_open=_SeqAttrOpen(ops), proc_read=seq_read, proc_lseek=seq_lseek,
                    proc_release=seq_release)


__all__ = ["DEFINE_PROC_SHOW_ATTRIBUTE", "DEFINE_SEQ_ATTRIBUTE", "DEFINE_SHOW_ATTRIBUTE",
           "SEQ_SKIP", "SEQ_START_TOKEN", "__seq_open_private", "proc_create_seq",
           "proc_create_seq_data", "proc_create_seq_private", "proc_create_single",
           "proc_create_single_data", "seq_file", "seq_has_overflowed",
           "seq_hlist_next", "seq_hlist_start", "seq_hlist_start_head",
           "seq_list_next", "seq_list_start", "seq_list_start_head", "seq_lseek",
           "seq_open", "seq_open_private", "seq_operations", "seq_pad", "seq_printf",
           "seq_put_decimal_ll", "seq_put_decimal_ull", "seq_put_hex_ll", "seq_putc",
           "seq_puts", "seq_read", "seq_release", "seq_release_private",
           "seq_setwidth", "seq_vprintf", "seq_write", "single_next", "single_open",
           "single_open_size", "single_release", "single_start", "single_stop"]
