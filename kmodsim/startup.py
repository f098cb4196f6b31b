"""The `kmod` process's start-up: its garbage collector waits until the machine is opened.

A command's imports allocate tens of thousands of objects and free almost none, and the
cyclic garbage collector, run every 700 allocations, walks them again each time: about a
sixth of a command (bench/run.py: proc write 42 ms instead of 50). The `kmod` entry point
pauses it; opening the machine resumes it, before any module code can run (module code may
make cycles in a loop: memory must stay bounded), after freezing what start-up made so that
no later collection walks it again. A program that uses the Python API never pauses it.
"""

from __future__ import annotations

import gc

_paused = False


def pause_gc() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_gc() -> None:
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
