"""The simulated kernel's release, as `uname -r` and the kernel's reports print it: the
reference kernel's version (Debian 12's 6.1), marked as kmodsim's own, so that a difference
from the reference is never a version's."""

KERNEL_RELEASE = "6.1.0-kmodsim"
KERNEL_IDENT = f"{KERNEL_RELEASE} #1 kmodsim"
LINUX_VERSION_CODE = (6 << 16) + (1 << 8) + 0
HARDWARE = "kmodsim virtual machine, BIOS kmodsim 01/01/2024"
