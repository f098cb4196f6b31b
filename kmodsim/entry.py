"""The `kmod` executable's entry point, kept free of imports.

`kmod dmesg` parses its own options (util-linux's), so it is run without importing click at
all: that is a third of a command's start-up. Everything else goes to the click CLI.
"""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["dmesg"]:
        from kmodsim.dmesg.main import run

        def machine():  # type: ignore[no-untyped-def]
            from kmodsim.machine import Machine

            return Machine(console=sys.stderr)

        sys.exit(run(argv[1:], machine=machine))
    from kmodsim.cli import main as cli_main

    cli_main()
