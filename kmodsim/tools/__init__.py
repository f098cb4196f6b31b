"""The real tools over the Machine, one file each, as kmod's tools/ are over libkmod: argv in
(without the program name), bytes to the given streams, an exit status back. `kmod insmod …`
and a line of `kmod sh` run the same code, so both print what the real tool prints.
"""

from __future__ import annotations

import os
from typing import BinaryIO

# what Debian 12's kmod prints for -V
KMOD_VERSION = "kmod version 30\n+ZSTD +XZ -ZLIB +LIBCRYPTO -EXPERIMENTAL\n"


class Stdio:
    """A tool's standard streams, as bytes."""

    __slots__ = ("stdin", "stdout", "stderr")

    def __init__(self, stdin: BinaryIO, stdout: BinaryIO, stderr: BinaryIO) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr

    def out(self, text: str) -> None:
        self.stdout.write(os.fsencode(text))

    def err(self, text: str) -> None:
        self.stderr.write(os.fsencode(text))
        self.stderr.flush()

    def err_lines(self, lines: list[str]) -> None:
        self.err("".join(line + "\n" for line in lines))


def module_file(typed: str) -> str:
    """The file to load for FILE as typed: a tutorial's `insmod hello.ko` loads hello.py
    from the same folder when there is no hello.ko (there never is: kmodsim builds none)."""
    if typed.endswith(".ko") and not os.path.exists(typed):
        source = typed[:-3] + ".py"
        if os.path.exists(source):
            return source
    return typed
