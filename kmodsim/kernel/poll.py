"""poll (include/linux/poll.h, fs/select.c): a file's poll handler says which events are
ready now and names the wait queues a poller sleeps on until that may change.

`def my_poll(file, wait)`: `poll_wait(file, wq, wait)` for each queue, then return the mask
(`POLLIN | POLLRDNORM` when there is data to read). A poller that finds nothing ready sleeps
on those queues; a wake_up() on any of them makes it ask the handler again.
"""

from __future__ import annotations

from kmodsim.kernel.sched import channel
from kmodsim.kernel.wait import wait_queue_head_t

POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND = 0x40, 0x80, 0x100, 0x200
EPOLLIN, EPOLLPRI, EPOLLOUT, EPOLLERR, EPOLLHUP = POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP
EPOLLRDNORM, EPOLLWRNORM = POLLRDNORM, POLLWRNORM
DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM  # a file without poll


class poll_table:
    """poll_table: the wait queues poll_wait() named during one poll call."""

    __slots__ = ("channels",)

    def __init__(self) -> None:
        self.channels: list[str] = []


def poll_wait(filp: object, wq: wait_queue_head_t, pt: poll_table | None) -> None:
    """Name `wq` as one a poller of this file sleeps on (nothing if `pt` is None)."""
    if pt is not None:
        name = channel("wq", wq)
        if name not in pt.channels:
            pt.channels.append(name)
