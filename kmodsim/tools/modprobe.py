"""modprobe [-r] NAME...: load a module and the modules it depends on, or remove it and the
dependencies nothing uses any more (kmod 30's tools/modprobe.c over libkmod's probe). The
modules are those depmod indexed (kmodsim.runtime.moddep); messages, dry runs and exit
statuses are kmod 30's.
"""

from __future__ import annotations

import errno
import time

from kmodsim.errors import Killed, KmodError, strerror
from kmodsim.formats.kmodtools import LIBKMOD_REMOVE
from kmodsim.getopt import GetoptError, getopt_long
from kmodsim.kernel.module import module_name
from kmodsim.kernel.version import KERNEL_RELEASE
from kmodsim.machine import Machine
from kmodsim.runtime.moddep import MODULE_DIR, IndexedModule, read_index
from kmodsim.tools import KMOD_VERSION, Stdio

SHORTOPTS = "arw:RibfDcnC:d:S:sqvVh"
LONGOPTS = (("all", 0, "a"), ("remove", 0, "r"), ("remove-dependencies", 0, "holders"),
            ("remove-holders", 0, "holders"), ("wait", 1, "w"), ("resolve-alias", 0, "R"),
            ("first-time", 0, "first-time"), ("ignore-install", 0, "i"),
            ("ignore-remove", 0, "i"), ("use-blacklist", 0, "b"), ("force", 0, "f"),
            ("force-modversion", 0, "force-modversion"), ("force-vermagic", 0, "force-vermagic"),
            ("show-depends", 0, "D"), ("showconfig", 0, "c"), ("show-config", 0, "c"),
            ("show-modversions", 0, "modversions"), ("dump-modversions", 0, "modversions"),
            ("show-exports", 0, "exports"), ("dry-run", 0, "n"), ("show", 0, "n"),
            ("config", 1, "C"), ("dirname", 1, "d"), ("set-version", 1, "S"),
            ("syslog", 0, "s"), ("quiet", 0, "q"), ("verbose", 0, "v"), ("version", 0, "V"),
            ("help", 0, "h"))
HELP = """Usage:
\tmodprobe [options] [-i] [-b] modulename
\tmodprobe [options] -a [-i] [-b] modulename [modulename...]
\tmodprobe [options] -r [-i] modulename
\tmodprobe [options] -r -a [-i] modulename [modulename...]
\tmodprobe [options] -c
\tmodprobe [options] --dump-modversions filename
Management Options:
\t-a, --all                   Consider every non-argument to
\t                            be a module name to be inserted
\t                            or removed (-r)
\t-r, --remove                Remove modules instead of inserting
\t    --remove-dependencies   Deprecated: use --remove-holders
\t    --remove-holders        Also remove module holders (use together with -r)
\t-w, --wait <MSEC>           When removing a module, wait up to MSEC for
\t                            module's refcount to become 0 so it can be
\t                            removed (use together with -r)
\t    --first-time            Fail if module already inserted or removed
\t-i, --ignore-install        Ignore install commands
\t-i, --ignore-remove         Ignore remove commands
\t-b, --use-blacklist         Apply blacklist to resolved alias.
\t-f, --force                 Force module insertion or removal.
\t                            implies --force-modversions and
\t                            --force-vermagic
\t    --force-modversion      Ignore module's version
\t    --force-vermagic        Ignore module's version magic

Query Options:
\t-R, --resolve-alias         Only lookup and print alias and exit
\t-D, --show-depends          Only print module dependencies and exit
\t-c, --showconfig            Print out known configuration and exit
\t-c, --show-config           Same as --showconfig
\t    --show-modversions      Dump module symbol version and exit
\t    --dump-modversions      Same as --show-modversions
\t    --show-exports          Only print module exported symbol versions and exit

General Options:
\t-n, --dry-run               Do not execute operations, just print out
\t-n, --show                  Same as --dry-run
\t-C, --config=FILE           Use FILE instead of default search paths
\t-d, --dirname=DIR           Use DIR as filesystem root for /lib/modules
\t-S, --set-version=VERSION   Use VERSION instead of `uname -r`
\t-s, --syslog                print to syslog, not stderr
\t-q, --quiet                 disable messages
\t-v, --verbose               enables more messages
\t-V, --version               show version
\t-h, --help                  show this help
"""
# syslog priorities: a message is printed when its priority is at most the verbosity
LOG_EMERG, LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_NOTICE = 0, 2, 3, 4, 5
_PRIORITY_NAMES = {LOG_CRIT: "FATAL", LOG_ERR: "ERROR", LOG_WARNING: "WARNING"}


class Modprobe:
    """One modprobe run: its options, the index it reads, and what it says."""

    def __init__(self, io: Stdio, machine: Machine) -> None:
        self.io = io
        self.machine = machine
        self.verbose = LOG_WARNING
        self.log_priority = LOG_CRIT  # LOG()'s: FATAL, or WARNING with -a
        self.dry_run = self.do_show = self.ignore_loaded = self.first_time = False
        self.force = self.remove_holders = self.lookup_only = False
        self.wait_msec = 0  # -w: wait for the refcount to drop instead of refusing
        self.dirname = MODULE_DIR
        self.index: dict[str, IndexedModule] = {}

    # -- messages ----------------------------------------------------------------------
    def _print(self, priority: int, text: str) -> None:
        if priority <= self.verbose:
            self.io.err(f"modprobe: {_PRIORITY_NAMES.get(priority, 'NOTICE')}: {text}\n")

    def log(self, text: str) -> None:
        self._print(self.log_priority, text)

    def error(self, text: str) -> None:
        self._print(LOG_ERR, text)

    def show(self, line: str) -> None:
        """SHOW(): what -v and the dry runs print, on stdout."""
        if self.do_show or self.verbose > LOG_WARNING:
            self.io.out(line + "\n")

    # -- the kernel's modules ------------------------------------------------------------
    def refcnt(self, name: str) -> int | None:
        """The module's refcount, None when it isn't loaded."""
        for m in self.machine.modules():
            if m.name == name:
                return m.refcnt
        return None

    def holders(self, name: str) -> list[str]:
        for m in self.machine.modules():
            if m.name == name:
                return m.holders
        return []

    def lookup(self, alias: str) -> IndexedModule | None:
        return self.index.get(alias.replace("-", "_"))

    def dependency(self, path: str) -> IndexedModule:
        """A module of a modules.dep line's dependencies (a path), indexed or not."""
        name = module_name(path)
        return self.index.get(name) or IndexedModule(name, path, [])

    # -- insertion -----------------------------------------------------------------------
    def insmod(self, alias: str, options: str) -> int:
        mod = self.lookup(alias)
        if mod is None:
            self.log(f"Module {alias} not found in directory {self.dirname}")
            return -errno.ENOENT
        if self.lookup_only:
            self.io.out(mod.name + "\n")
            return 0
        loaded = {m.name for m in self.machine.modules()}
        if not self.ignore_loaded and mod.name in loaded:  # nothing to do, unless told so
            if self.first_time:
                self.error(f"could not insert '{mod.name}': Module already in kernel")
                return -errno.EEXIST
            return 0
        probe = [self.dependency(path) for path in reversed(mod.deps)]
        for each in [*probe, mod]:
            if not self.ignore_loaded and each.name in loaded:
                continue
            opts = options if each is mod else ""
            self.show(f"insmod {each.path} {opts}")
            if self.dry_run:
                continue
            err = self._insert(each.path, opts)
            if err:
                return self._insert_failed(mod.name, err)
        return 0

    def _insert(self, path: str, options: str) -> int:
        """init_module() of one file: 0 or the errno (kmodsim's explanation printed)."""
        try:
            with self.machine.as_program("modprobe"):
                self.machine.insmod(path, [options] if options else [], typed=path)
        except Killed:
            raise
        except KmodError as e:
            self.io.err_lines(e.lines[1:])  # kmodsim's explanation; insmod's own line isn't
            return e.errno or errno.EINVAL
        return 0

    def _insert_failed(self, name: str, err: int) -> int:
        if err == errno.EEXIST:
            self.error(f"could not insert '{name}': Module already in kernel")
        elif err == errno.ENOENT:
            self.error(f"could not insert '{name}': Unknown symbol in module, or unknown "
                       f"parameter (see dmesg)")
        else:
            self.error(f"could not insert '{name}': {strerror(err)}")
        return -err

    # -- removal -------------------------------------------------------------------------
    def rmmod(self, alias: str) -> int:
        mod = self.lookup(alias)
        if mod is None:
            self.log(f"Module {alias} not found.")
            return -errno.ENOENT
        return self._rmmod_module(mod, holders=self.remove_holders)

    def _rmmod_module(self, mod: IndexedModule, holders: bool) -> int:
        if self.refcnt(mod.name) is None:  # not loaded: nothing to do
            if self.first_time:
                self.log(f"Module {mod.name} is not in kernel.")
                return -errno.ENOENT
            return 0
        if holders:
            for holder in reversed(self.holders(mod.name)):
                err = self._rmmod_module(self.lookup(holder) or IndexedModule(holder, holder, []),
                                         holders=False)
                if err < 0:
                    return err
        if not self.wait_msec and (self.refcnt(mod.name) or 0) > 0:
            self.log(f"Module {mod.name} is in use.")
            return -errno.EBUSY
        err = self._remove(mod.name)
        if err < 0:
            return err
        for dep in mod.deps:  # those nothing uses any more go too; their errors don't count
            name = self.dependency(dep).name
            if self.refcnt(name) == 0:
                self._remove(name)
        return 0

    def _remove(self, name: str) -> int:
        self.show(f"rmmod {name}")
        if self.dry_run:
            return 0
        if self.wait_msec and not self._wait_unused(name):
            self.error(f"could not remove '{name}': {strerror(errno.EAGAIN)}")
            return -errno.EAGAIN
        try:
            with self.machine.as_program("modprobe"):
                self.machine.rmmod(name, force=self.force)
        except Killed:
            raise
        except KmodError as e:
            err = e.errno or errno.EBUSY
            self.error(f"{LIBKMOD_REMOVE} could not remove '{name}': {strerror(err)}")
            return -err
        return 0

    def _wait_unused(self, name: str) -> bool:
        """-w MSEC: poll until nothing uses the module (another command may release it)."""
        deadline = time.monotonic() + self.wait_msec / 1000
        while (self.refcnt(name) or 0) > 0:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True


def options_line(words: list[str]) -> str:
    """The module options as modprobe hands them over: a value with a space is quoted."""
    out = []
    for word in words:
        key, eq, value = word.partition("=")
        if eq and value[:1] not in ('"', "'") and " " in value:
            word = f'{key}="{value}"'
        out.append(word)
    return " ".join(out)


def main(argv: list[str], io: Stdio, machine: Machine) -> int:
    run = Modprobe(io, machine)
    use_all = remove = unsupported = False
    root: str | None = None
    kversion: str | None = None
    args: list[str] = []
    try:
        for opt, arg in getopt_long(argv, SHORTOPTS, LONGOPTS):
            if opt == "a":
                run.log_priority = LOG_WARNING
                use_all = True
            elif opt == "r":
                remove = True
            elif opt == "holders":
                run.remove_holders = True
            elif opt == "w":
                try:
                    run.wait_msec = abs(int((arg or "").strip(), 0))  # strtoul's bases
                except ValueError:
                    io.err(f"modprobe: ERROR: unexpected wait value '{arg}'.\n")
                    return 1
            elif opt == "first-time":
                run.first_time = True
            elif opt == "f":
                run.force = True
            elif opt == "D":
                run.ignore_loaded = run.dry_run = run.do_show = True
            elif opt == "R":
                run.lookup_only = True
            elif opt in ("c", "modversions", "exports"):
                unsupported = True
            elif opt == "n":
                run.dry_run = True
            elif opt == "d":
                root = arg
            elif opt == "S":
                kversion = arg
            elif opt == "q":
                run.verbose = LOG_EMERG
            elif opt == "v":
                run.verbose += 1
            elif opt == "V":
                io.out(KMOD_VERSION)
                return 0
            elif opt == "h":
                io.out(HELP)
                return 0
            elif opt == "":
                args.append(arg or "")
            # -i, -b, -s, -C and the --force-* options change nothing here
    except GetoptError as e:
        io.err(f"modprobe: {e.message}\n")
        return 1
    if unsupported:
        io.err("modprobe: ERROR: kmodsim's modprobe has no configuration files and no symbol "
               "versions: -c, --show-modversions and --show-exports are not simulated\n")
        return 1
    if not args:
        io.err("modprobe: ERROR: missing parameters. See -h.\n")
        return 1
    if root is not None or kversion is not None:
        run.dirname = f"{root or ''}/lib/modules/{kversion or KERNEL_RELEASE}"
    if run.dirname == MODULE_DIR:
        run.index = read_index(machine.store.home)
    try:
        if remove:
            results = [run.rmmod(a) for a in args]
        elif use_all:
            results = [run.insmod(a, "") for a in args]
        else:
            results = [run.insmod(args[0], options_line(args[1:]))]
    except KmodError as e:  # the task was killed (an Oops in init or exit)
        io.err_lines(e.lines)
        return e.exit_code
    return 1 if any(r < 0 for r in results) else 0
