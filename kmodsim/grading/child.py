"""The child side of an IsolatedMachine: one student's machine, served over two pipes.

    python -m kmodsim.grading.child IN_FD OUT_FD HOME UID

Requests come on IN_FD and answers go out on OUT_FD (kmodsim.grading.wire); standard input
is /dev/null and standard output and error are a file the grader reads when something goes
wrong, so nothing module code prints can break the conversation. Module code runs here, in
this process, with whatever the sandbox left it: the grader's process never runs it.
"""

from __future__ import annotations

import io
import sys

# What the grader may call; each one is Machine's method of that name.
CALLS = frozenset({
    "insmod", "rmmod", "modules", "module_path", "proc_list", "proc_read", "proc_write",
    "log_records", "clear_log", "read_clear_log", "boot_time", "set_console_level",
    "set_console_enabled", "run_timers", "advance_clock", "tainted", "reboot",
    "read_file", "write_file", "list_dir", "stat", "kthreads",
})
FILE_CALLS = frozenset({"read", "read1", "readline", "write", "seek", "tell", "ioctl", "poll",
                        "close"})


def error_of(e: BaseException) -> dict:
    """What the grader needs to raise the same error on its side."""
    from kmodsim.errors import KmodError

    if isinstance(e, KmodError):
        return {"type": type(e).__name__, "lines": [str(x) for x in e.lines],
                "errno": int(e.errno), "exit_code": int(e.exit_code),
                "path": getattr(e, "path", None), "signal": getattr(e, "signal", None),
                "partial": getattr(e, "partial", None)}
    try:
        text = str(e)
    except BaseException:  # noqa: B036  # an exception whose str() fails is still an answer
        text = "<unprintable>"
    return {"type": type(e).__name__, "message": text}


def serve(in_fd: int, out_fd: int, home: str, uid: int) -> None:
    from kmodsim.files import ProcFile
    from kmodsim.formats.kmsg import Record
    from kmodsim.grading import wire
    from kmodsim.grading.audit import leftover_proc_entries
    from kmodsim.machine import Machine

    console = io.StringIO()
    machine = Machine(home, console=console, uid=uid)
    files: dict[int, ProcFile] = {}
    next_file = 1

    def result_of(value: object) -> object:
        if isinstance(value, list) and value and isinstance(value[0], Record):
            return [[r.seq, r.ts_usec, r.level, r.text, r.facility, r.cont, r.caller]
                    for r in value]
        return value

    while True:
        request = wire.receive(in_fd, limit=1 << 31)
        if request is None:
            break
        request = wire.decode(request)
        assert isinstance(request, dict)
        machine.comm = str(request.get("comm", "sh"))
        args = request.get("args", [])
        kw = request.get("kw", {})
        answer: dict
        try:
            op = request["op"]
            if op == "call" and request["method"] in CALLS:
                value = result_of(getattr(machine, request["method"])(*args, **kw))
            elif op == "leftover_proc":
                value = leftover_proc_entries(machine)
            elif op == "open":
                files[next_file] = machine.open(*args, **kw)
                value, next_file = next_file, next_file + 1
            elif op == "file" and request["method"] in FILE_CALLS:
                f = files[request["file"]]
                if request["method"] == "ioctl":  # a buffer comes back with what was written
                    cmd, arg = args
                    buffer = bytearray(arg) if isinstance(arg, (bytes, bytearray)) else None
                    ret = f.ioctl(cmd, buffer if buffer is not None else arg)
                    value = [ret, None if buffer is None else bytes(buffer)]
                else:
                    value = getattr(f, request["method"])(*args)
                if request["method"] == "close":
                    del files[request["file"]]
            else:
                raise ValueError(f"no such request: {request!r}")
            answer = {"ok": value}
        except BaseException as e:  # noqa: B036  # every failure is an answer, even Ctrl-C's
            answer = {"error": error_of(e)}
        answer["console"] = console.getvalue()
        console.seek(0)
        console.truncate()
        try:
            answer = wire.encode(answer)  # type: ignore[assignment]
            wire.send(out_fd, answer)
        except TypeError as e:  # a value the wire can't carry
            wire.send(out_fd, {"error": {"type": "TypeError", "message": str(e)},
                               "console": answer["console"]})
    # as the kernel closes a process's files at its exit: a sandbox can't count on the host
    # to release them (it can't tell that this process ended)
    for f in files.values():
        try:
            f.close()
        except BaseException:  # noqa: BLE001, S110 - its report, if any, is in the log
            pass
    machine.close()


def main(argv: list[str]) -> None:
    in_fd, out_fd, home, uid = int(argv[1]), int(argv[2]), argv[3], int(argv[4])
    serve(in_fd, out_fd, home, uid)


if __name__ == "__main__":
    main(sys.argv)
