"""The runtime: a task in the kernel (entry), module files read and compiled (loader),
module code run as kmodsim.live.NAME (namespace) and its memory kept (memory)."""
