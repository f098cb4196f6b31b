"""kmod status: which kmodsim this is, where its machine is kept, and how the machine is."""

from __future__ import annotations

import os
import shutil
import sys
import time

import click

from kmodsim.errors import KmodError


@click.command()
def command() -> None:
    """Where the machine is kept, and how it is.

    Which kmodsim this is, the folder its machine is kept in, and the machine's state.

    The folder is KMODSIM_HOME (an absolute path) or, by default, your user data folder;
    `kmod --where` prints it alone. Nothing is created: a machine that doesn't exist yet
    is said to be so."""
    from kmodsim.cli import PROG, state_folder, version
    from kmodsim.store import DB_NAME

    here = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else PROG
    rows = [("kmodsim", f"{version().split(' ', 1)[1]} ({here})")]
    found = shutil.which("kmod")
    if found is None or os.path.realpath(found) != os.path.realpath(here):
        # typing `kmod` in this shell runs another program: most likely the system's kmod
        bin_dir = os.path.dirname(here)
        activate = os.path.join(bin_dir, "activate")
        fix = f". {shown(activate)}" if os.path.exists(activate) else f"put {bin_dir} on PATH"
        other = found or "no kmod at all"
        kmodsim = "kmodsim" if shutil.which("kmodsim") else shown(os.path.join(bin_dir,
                                                                               "kmodsim"))
        rows.append(("kmod", f"here `kmod` is {other}, not kmodsim's: {fix}, or type "
                             f"{kmodsim}"))
    home = state_folder()
    how = "KMODSIM_HOME" if os.environ.get("KMODSIM_HOME") else "the default; KMODSIM_HOME " \
                                                                  "names another"
    rows.append(("state", f"{home} ({how})"))
    if not os.path.exists(os.path.join(home, DB_NAME)):
        rows.append(("machine", f"none yet: the first {PROG} command that uses it makes it"))
    else:
        rows += _machine_rows()
    width = max(len(k) for k, _ in rows) + 1
    for key, value in rows:
        click.echo(f"{key + ':':<{width}} {value}")


def _machine_rows() -> list[tuple[str, str]]:
    from kmodsim.cli import PROG, get_machine
    from kmodsim.cli.reporting import records
    from kmodsim.formats.reports import find_reports
    from kmodsim.kernel.module import taint_text

    m = get_machine()
    rows = []
    up = max(0.0, time.time() - m.boot_time())
    try:
        modules = m.modules()
        names = ", ".join(info.name for info in modules)
        loaded = f"{len(modules)} module{'s' if len(modules) != 1 else ''} loaded" + \
            (f" ({names})" if names else "")
        taint = taint_text(m.tainted()).rstrip()
        rows.append(("machine", f"up {_duration(up)}, {loaded}, {taint}"))
    except KmodError as e:  # a panicked kernel refuses all but dmesg and reboot
        rows.append(("machine", e.lines[0].removeprefix("kmod: ")))
    threads = m.kthreads()  # each runs as a process of its own (none: no process runs)
    if threads:
        rows.append(("threads", ", ".join(
            f"{comm} (pid {pid}{f', module {module}' if module else ''})"
            for pid, comm, module in threads)))
    reports = find_reports(records(m))
    if reports:
        rows.append(("reports", f"{len(reports)} in the ring buffer, the last: "
                                f"{reports[-1].headline} ({PROG} explain)"))
    else:
        rows.append(("reports", "none in the ring buffer"))
    return rows


def shown(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {sec} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
