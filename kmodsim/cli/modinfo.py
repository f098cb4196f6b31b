"""kmod modinfo FILE|NAME: a module's information, as kmod's modinfo prints it."""

from __future__ import annotations

import os

import click

from kmodsim.errors import KmodError


@click.command()
@click.option("-F", "--field", help="Print only this field's values.")
@click.option("-a", "--author", "shortcut", flag_value="author", help="Same as -F author.")
@click.option("-d", "--description", "shortcut", flag_value="description",
              help="Same as -F description.")
@click.option("-l", "--license", "shortcut", flag_value="license", help="Same as -F license.")
@click.option("-p", "--parameters", "shortcut", flag_value="parm", help="Same as -F parm.")
@click.option("-n", "--filename", "shortcut", flag_value="filename", help="Same as -F filename.")
@click.option("-0", "--null", "null", is_flag=True, help="Separate values with NUL bytes.")
@click.argument("modules", nargs=-1, required=True)
def command(modules: tuple[str, ...], field: str | None, shortcut: str | None,
            null: bool) -> None:
    """Show the information of module files (or of loaded modules, by name)."""
    from kmodsim.runtime.modinfo import ModInfo

    failed = []
    for target in modules:
        path = target if os.path.exists(target) else _loaded_path(target)
        if path is None:
            failed.append(f"modinfo: ERROR: Module {target} not found.")
            continue
        try:
            click.echo(ModInfo(path).render(field or shortcut, "\0" if null else "\n"), nl=False)
        except KmodError as e:
            failed.extend(e.lines)
    if failed:
        raise KmodError(failed)


def _loaded_path(name: str) -> str | None:
    """A name that is no file: the loaded module of that name, from its stored path."""
    from kmodsim.machine import Machine, module_name

    for info in Machine().modules():
        if info.name == module_name(name):
            path = Machine().module_path(info.name)
            return path if path and os.path.exists(path) else None
    return None
