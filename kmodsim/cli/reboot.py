"""kmod reboot: a fresh boot of the simulated machine."""

from __future__ import annotations

import click

from kmodsim.cli import get_machine


class LogBufLen(click.ParamType):
    """The log_buf_len= boot parameter: memparse() notation (`131072`, `64K`, `1M`, `0x8000`).
    The kernel takes any number; kmodsim refuses what isn't one, and a ring buffer too small
    to hold a single full record."""

    name = "BYTES"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        from kmodsim.kernel.printk import MIN_LOG_BUF_LEN, log_buf_len_update, memparse

        size = memparse(str(value))
        if size is None:
            self.fail(f"{value!r} is not a size (bytes, or with K, M or G: 64K, 1M)", param, ctx)
        rounded, _ = log_buf_len_update(size)
        if rounded < MIN_LOG_BUF_LEN:
            self.fail(f"{value!r} is smaller than {MIN_LOG_BUF_LEN} bytes", param, ctx)
        return size


@click.command()
@click.option("--reset", is_flag=True,
              help="Throw the state file away first (the way out of a damaged one).")
@click.option("--log-buf-len", type=LogBufLen(), metavar="BYTES",
              help="Size of the ring buffer for this boot, as the log_buf_len= boot parameter "
                   "(64K, 1M...: rounded up to a power of two, at most 2G; default 128K).")
def command(reset: bool, log_buf_len: int | None) -> None:
    """A fresh boot: no modules, an empty log, the clock at zero.

    The way out of a panic, or of a module stuck in its init."""
    get_machine().reboot(reset=reset, log_buf_len=log_buf_len)
