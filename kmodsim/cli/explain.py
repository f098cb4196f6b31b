"""kmod explain: a report of the kernel's in full, with the module's source around the line.

What the report means, the module's source around the faulting line, kmodsim's hint, the
way out, and the kernel's own lines. On a terminal the source is highlighted with rich
(imported only then); NO_COLOR, --color=never or a pipe give plain text.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from kmodsim.cli import get_machine
from kmodsim.cli.reporting import (
    CONTEXT_LINES,
    color_wanted,
    locate,
    records,
    shown_path,
    source_lines,
    way_out,
)

if TYPE_CHECKING:
    from kmodsim.formats.reports import Report
    from kmodsim.machine import Machine


def prog() -> str:
    """The name to suggest commands with: the one the user typed (kmod or kmodsim)."""
    from kmodsim import cli

    return cli.PROG


# -- kmod explain -----------------------------------------------------------------------------

@click.command()
@click.option("--list", "listing", is_flag=True,
              help="List the reports in the ring buffer, numbered, oldest first.")
@click.argument("number", required=False, type=int)
def command(listing: bool, number: int | None) -> None:
    """Explain the kernel's last report, with the module's source.

    The last report in the ring buffer, or report NUMBER as --list numbers them.

    What the report means, the module's source around the faulting line, kmodsim's hint,
    the way out, then the kernel's own lines as `kmod dmesg` shows them. Highlighted on a
    terminal (rich); plain text in a pipe, with NO_COLOR set or with --color=never."""
    from kmodsim.formats.reports import find_reports

    m = get_machine()
    reports = find_reports(records(m))
    if listing:
        for i, r in enumerate(reports, 1):
            where = f"  ({shown_path(r.file)}:{r.line})" if r.file and r.line else ""
            sec, usec = divmod(r.ts_usec, 1_000_000)
            click.echo(f"{i:3}  [{sec:5d}.{usec:06d}] {r.headline}{where}")
        return
    if not reports:
        click.echo("No kernel report in the ring buffer: nothing has gone wrong since the "
                   f"boot (or since `{prog()} dmesg -C`).")
        return
    if number is None:
        number = len(reports)
    if not 1 <= number <= len(reports):
        raise click.UsageError(f"there are {len(reports)} reports: NUMBER is 1 to "
                               f"{len(reports)} (see {prog()} explain --list)")
    report = reports[number - 1]
    locate(report)
    full = full_report(m, report, number, len(reports))
    if color_wanted(sys.stdout):
        _render_rich(full)
    else:
        click.echo(_render_plain(full), nl=False)


class _Full:
    """A report laid out for reading: sections of text, the source excerpt apart."""

    def __init__(self) -> None:
        self.headline = ""
        self.subtitle = ""
        self.sections: list[tuple[str, list[str]]] = []
        self.source: tuple[str, int, int, int] | None = None  # path, first, last, faulting


def full_report(m: Machine, r: Report, number: int, total: int) -> _Full:
    full = _Full()
    full.headline = r.headline
    sec, usec = divmod(r.ts_usec, 1_000_000)
    full.subtitle = f"report {number} of {total} in the ring buffer, at [{sec:5d}.{usec:06d}]"
    if r.meaning:
        full.sections.append(("What it means", [r.meaning]))
    where: list[str] = []
    if r.file is not None:
        spot = shown_path(r.file) + (f":{r.line}" if r.line else "")
        if r.function:
            spot += f" in {r.function}()"
        where.append(spot + (f", module {r.module}" if r.module else ""))
        lines = source_lines(r.file)
        if lines is not None and r.line is not None and 0 < r.line <= len(lines):
            first = max(1, r.line - CONTEXT_LINES)
            last = min(len(lines), r.line + CONTEXT_LINES)
            full.source = (r.file, first, last, r.line)
    elif r.module:
        where.append(f"module {r.module}")
    if r.symbol is not None:
        where.append(f"{r.symbol} is defined nowhere, and no module exports it (a typo?)")
    if where:
        full.sections.append(("Where", where))
    if r.hint is not None:
        full.sections.append(("kmodsim's hint", [r.hint.replace(r.file or "\0",
                                                                 shown_path(r.file or ""))]))
    full.sections.append(("Way out", [way_out(m, r, prog())]))
    full.sections.append((f"The kernel's report ({prog()} dmesg shows it among the rest)",
                          r.text()))
    return full


def _excerpt(path: str, first: int, last: int, line: int) -> list[str]:
    lines = source_lines(path) or []
    width = len(str(last))
    return [f"{'>' if n == line else ' '} {n:>{width}} | {lines[n - 1]}".rstrip()
            for n in range(first, last + 1)]


def _render_plain(full: _Full) -> str:
    out = [full.headline, f"  {full.subtitle}", ""]
    for title, body in full.sections:
        out.append(title)
        if title == "Where" and full.source is not None:
            out += [f"  {line}" for line in body]
            out.append("")
            out += [f"  {line}" for line in _excerpt(*full.source)]
        else:
            out += [f"  {line}" for line in body]
        out.append("")
    return "\n".join(out)


def _render_rich(full: _Full) -> None:
    from rich.console import Console
    from rich.syntax import Syntax
    from rich.text import Text

    console = Console(force_terminal=True, highlight=False, soft_wrap=False)
    console.print(Text(full.headline, style="bold red"))
    console.print(Text(f"  {full.subtitle}", style="dim"))
    console.print()
    for title, body in full.sections:
        console.print(Text(title, style="bold"))
        if title.startswith("The kernel's report"):
            for line in body:
                console.print(Text(f"  {line}", style="dim"), soft_wrap=True)
        else:
            for line in body:
                console.print(Text(f"  {line}"))
        if title == "Where" and full.source is not None:
            path, first, last, line = full.source
            code = "\n".join(source_lines(path) or [])
            console.print()
            console.print(Syntax(code, "python", line_numbers=True, line_range=(first, last),
                                 highlight_lines={line}, theme="ansi_dark",
                                 background_color="default", word_wrap=False))
        console.print()
