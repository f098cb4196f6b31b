"""kmodsim: write Linux kernel modules in Python, drive them like the real tools.

Kept empty of imports on purpose: every `kmod` command is a new process, and what this
file imports every command pays for.
"""

__version__ = "0.1.0"
