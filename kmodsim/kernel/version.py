"""The simulated kernel's release, as `uname -r` and the kernel's reports print it."""

KERNEL_RELEASE = "6.8.0-kmodsim"
KERNEL_IDENT = f"{KERNEL_RELEASE} #1"
HARDWARE = "kmodsim virtual machine, BIOS kmodsim 01/01/2024"
