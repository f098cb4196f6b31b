"""kmodsim's benchmark: start-up, scale, batch, API throughput, concurrency, the CPU a
sleeping task uses, and memory.

Run it as `.venv/bin/python bench/run.py` (or any interpreter with kmodsim installed). Each
figure is measured side by side with what it is compared to, repeated, and the median kept;
one line per figure gives the value, the ratio and the target. Every scenario runs in its
own temporary KMODSIM_HOME. Exit status 1 if a target is missed.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNTER = str(ROOT / "modules" / "counter.py")
PYTHON = sys.executable
KMOD = str(Path(PYTHON).parent / "kmod")
FLOOR = [PYTHON, "-c", "import sqlite3, click, platformdirs"]
BARE = [PYTHON, "-c", "import sqlite3"]
REPS = int(os.environ.get("KMODSIM_BENCH_REPS", "15"))
WRITE = ["proc", "write", "counter", "I"]

# A module that fills the ring buffer fast: 100 lines of ~100 bytes per write.
CHATTY = """
from kmodsim.kernel import *
MODULE_LICENSE("GPL")

def chatty_write(file, buf, count, ppos):
    for i in range(100):
        pr_info("chatty: %03d %s\\n", i, "x" * 88)
    return count

@module_init
def chatty_init():
    proc_create("chatty", 0o666, None, proc_ops(proc_write=chatty_write))
    return 0
"""
HELLO = """
from kmodsim.kernel import *
MODULE_LICENSE("GPL")

@module_init
def init():
    pr_info("{name}: hello\\n")
    return 0

@module_exit
def exit():
    pass
"""

# A reader that sleeps on a wait queue until a write, and a kthread asleep in schedule().
WAITER = """
from kmodsim.kernel import *
MODULE_LICENSE("GPL")
ready = 0
queue = DECLARE_WAIT_QUEUE_HEAD()
thread = None

def waiter_read(file, buf, count, ppos):
    if wait_event_interruptible(queue, lambda: ready):
        return -ERESTARTSYS
    return 0

def waiter_write(file, buf, count, ppos):
    global ready
    ready = 1
    wake_up_interruptible(queue)
    return count

def thread_read(file, buf, count, ppos):
    return simple_read_from_buffer(buf, count, ppos, b"%d" % thread.pid)

def sleeper(data):
    while not kthread_should_stop():
        set_current_state(TASK_INTERRUPTIBLE)
        schedule()
    return 0

@module_init
def init():
    global thread
    thread = kthread_run(sleeper, None, "sleeper")
    proc_create("waiter", 0o666, None, proc_ops(proc_read=waiter_read, proc_write=waiter_write))
    proc_create("waiter_thread", 0o444, None, proc_ops(proc_read=thread_read))
    return 0

@module_exit
def exit():
    remove_proc_entry("waiter", None)
    remove_proc_entry("waiter_thread", None)
    kthread_stop(thread)
"""

missed: list[str] = []


# -- measuring -------------------------------------------------------------------------------

def env_for(home: Path) -> dict[str, str]:
    return dict(os.environ, KMODSIM_HOME=str(home))


def run_once(argv: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if p.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)} failed: {p.stderr.decode()}")
    return elapsed


def medians(*runs: Callable[[], float], reps: int = REPS) -> list[float]:
    """Interleaved (a, b, a, b, ...) so that drift in the machine's load hits all alike."""
    for run in runs:  # warm the page cache and the .pyc files
        run()
    samples: list[list[float]] = [[] for _ in runs]
    for _ in range(reps):
        for i, run in enumerate(runs):
            samples[i].append(run())
    return [statistics.median(s) for s in samples]


def report(what: str, value: str, ratio: float | None, target: str, ok: bool,
           extra: str = "") -> None:
    ratio_text = f"ratio {ratio:5.2f}  " if ratio is not None else ""
    verdict = "ok" if ok else "MISSED"
    if not ok:
        missed.append(what)
    print(f"{what:<44} {value:<34} {ratio_text}target {target:<10} {verdict}"
          + (f"  ({extra})" if extra else ""), flush=True)


def kmod(home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([KMOD, *args], env=env_for(home), capture_output=True)


def machine_with_counter(home: Path) -> Path:
    from kmodsim.machine import Machine

    m = Machine(home)
    m.insmod(COUNTER)
    m.proc_write("counter", b"I\n")
    m.close()
    return home


# -- the figures -----------------------------------------------------------------------------

def startup(tmp: Path) -> None:
    home = machine_with_counter(tmp / "startup")
    env = env_for(home)
    has_dmesg = kmod(home, "dmesg").returncode == 0
    floor, bare = medians(lambda: run_once(FLOOR), lambda: run_once(BARE))
    for args in (WRITE, ["lsmod"], ["dmesg"]):
        label = f"start-up: kmod {' '.join(args)}"
        if args == ["dmesg"] and not has_dmesg:
            print(f"{label:<44} skipped: kmod dmesg doesn't run here yet", flush=True)
            continue
        cmd, floor_now = medians(lambda a=args: run_once([KMOD, *a], env),
                                 lambda: run_once(FLOOR))
        report(label, f"{cmd * 1e3:6.1f} ms vs floor {floor_now * 1e3:5.1f} ms",
               cmd / floor_now, "<= 1.25x", cmd / floor_now <= 1.25,
               f"{cmd / bare:.2f}x bare `import sqlite3` at {bare * 1e3:.1f} ms")


def scale(tmp: Path) -> None:
    from kmodsim.machine import Machine

    empty = machine_with_counter(tmp / "scale-empty")
    busy = machine_with_counter(tmp / "scale-busy")
    m = Machine(busy)
    for i in range(100):
        path = tmp / f"mod{i:03d}.py"
        path.write_text(HELLO.format(name=f"mod{i:03d}"))
        m.insmod(str(path))
    chatty = tmp / "chatty.py"
    chatty.write_text(CHATTY)
    m.insmod(str(chatty))
    for _ in range(20):
        m.proc_write("chatty", b"x\n")
    with m._look() as k:  # the ring's counters as the kernel has them (the store's may lag)
        used = {key: k.meta.get(key) for key in ("printk.log_bytes", "printk.log_buf_len")}
    m.close()
    fill = int(used["printk.log_bytes"] or 0) / int(used["printk.log_buf_len"] or 128 * 1024)
    small, big = medians(lambda: run_once([KMOD, *WRITE], env_for(empty)),
                         lambda: run_once([KMOD, *WRITE], env_for(busy)))
    report("scale: proc write, 102 modules + full log",
           f"{big * 1e3:6.1f} ms vs empty {small * 1e3:5.1f} ms", big / small, "<= 1.1x",
           big / small <= 1.1, f"ring buffer {fill:.0%} full")


def batch(tmp: Path) -> None:
    home = machine_with_counter(tmp / "batch")
    script = tmp / "batch.kmod"
    lines = 10_000
    script.write_text("proc write counter I\n" * lines)
    (elapsed,) = medians(lambda: run_once([KMOD, "-b", str(script)], env_for(home)), reps=3)
    rate = lines / elapsed
    value = kmod(home, "proc", "read", "counter").stdout.decode().strip()
    expected = str(1 + lines * 4)  # warm-up + 3 repetitions
    report("batch: kmod -b, 10,000 proc writes", f"{rate:8.0f} lines/s ({elapsed:.2f} s)",
           rate / 2000, ">= 2000/s", rate >= 2000 and value == expected,
           f"counter {value}, expected {expected}")


def api(tmp: Path) -> None:
    from kmodsim.machine import Machine

    m = Machine(machine_with_counter(tmp / "api"))
    n = 2000

    def run() -> float:
        started = time.perf_counter()
        for _ in range(n):
            m.proc_write("counter", b"I\n")
        return time.perf_counter() - started

    (elapsed,) = medians(run, reps=5)
    m.close()
    rate = n / elapsed
    report("API: Machine.proc_write('counter', b'I\\n')", f"{rate:8.0f} writes/s",
           rate / 10_000, ">= 10000/s", rate >= 10_000)


def concurrency(tmp: Path) -> None:
    home = machine_with_counter(tmp / "concurrency")
    kmod(home, "reboot")
    kmod(home, "insmod", COUNTER)  # counter.py: its update under a mutex
    env = env_for(home)
    errors: list[str] = []
    (one,) = medians(lambda: run_once([KMOD, "proc", "read", "counter"], env))

    def worker() -> None:
        for _ in range(100):
            p = subprocess.run([KMOD, *WRITE], env=env, capture_output=True)
            if p.returncode != 0 or p.stderr:
                errors.append(p.stderr.decode() or f"exit {p.returncode}")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    value = kmod(home, "proc", "read", "counter").stdout.decode().strip()
    report("concurrency: 8 processes x 100 proc writes", f"counter {value}, {len(errors)} errors",
           None, "800, 0", value == "800" and not errors,
           f"wall {wall:.2f} s" + (f"; first error: {errors[0].strip()}" if errors else ""))
    rate, cores = 800 / wall, os.cpu_count() or 1
    fair = 0.8 * cores / one  # what the cores could do if commands never waited on each other
    report("concurrency: throughput", f"{rate:5.1f} commands/s", rate / fair,
           ">= 0.8x", rate >= fair,
           f"{cores} CPUs, one command {one * 1e3:.0f} ms: 0.8 x {cores} / {one:.3f} s "
           f"= {fair:.1f}/s")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process so far (/proc/PID/stat, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def blocked(tmp: Path) -> None:
    """A reader asleep on a wait queue, and a kthread asleep in schedule(): the CPU each
    uses while it waits (it blocks on its doorbell, never polling the store)."""
    module = tmp / "waiter.py"
    module.write_text(WAITER)
    home = tmp / "blocked"
    env = env_for(home)
    kmod(home, "insmod", str(module))
    reader = subprocess.Popen([KMOD, "proc", "read", "waiter"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # asleep by now
    thread_pid = int(kmod(home, "proc", "read", "waiter_thread").stdout or b"0")
    pids = {"reader": reader.pid, "kthread": thread_pid}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    time.sleep(3.0)
    used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    kmod(home, "proc", "write", "waiter", "go")
    reader.wait(timeout=30)
    kmod(home, "rmmod", "waiter")
    worst = max(used.values())
    report("blocked: CPU of a task asleep for 3 s", f"{worst:5.2f} s",
           None, "<= 0.05 s", worst <= 0.05,
           ", ".join(f"{name} {value:.2f} s" for name, value in used.items()))


def max_rss_kib(argv: list[str], env: dict[str, str]) -> int:
    p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss  # KiB on Linux


def memory(tmp: Path) -> None:
    home = machine_with_counter(tmp / "memory")
    env = env_for(home)
    fresh = env_for(tmp / "memory-fresh")
    peaks = {"proc write counter I": max_rss_kib([KMOD, *WRITE], env),
             "lsmod": max_rss_kib([KMOD, "lsmod"], env),
             "dmesg": max_rss_kib([KMOD, "dmesg"], env),
             "insmod counter.py": max_rss_kib([KMOD, "insmod", COUNTER], fresh)}
    floor = max_rss_kib(FLOOR, env)
    worst = max(peaks, key=peaks.__getitem__)
    mib = peaks["proc write counter I"] / 1024
    report("memory: peak RSS of kmod proc write", f"{mib:6.1f} MiB", None, "<= 40 MiB",
           max(peaks.values()) <= 40 * 1024,
           f"worst: {worst} {peaks[worst] / 1024:.1f} MiB; floor {floor / 1024:.1f} MiB")


def main() -> int:
    started = time.perf_counter()
    print(f"kmodsim bench: {PYTHON} ({sys.version.split()[0]}), {REPS} repetitions, medians",
          flush=True)
    # Bytecode as an installed kmodsim has it: where PYTHONDONTWRITEBYTECODE is set, every
    # file changed since its last .pyc would be compiled again by each command measured
    import compileall

    compileall.compile_dir(str(ROOT / "kmodsim"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="kmodsim-bench-") as tmp:
        for figure in (startup, scale, batch, api, concurrency, blocked, memory):
            folder = Path(tmp) / figure.__name__
            folder.mkdir()
            figure(folder)
    print(f"done in {time.perf_counter() - started:.0f} s; "
          + (f"missed: {', '.join(missed)}" if missed else "all targets met"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
