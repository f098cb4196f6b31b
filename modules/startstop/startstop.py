"""A module built from two files, as Kbuild links LKMPG's startstop.ko from start.c and stop.c:

    obj-m := startstop.o
    startstop-objs := start.o stop.o      (this folder's Kbuild)

Here the module's own file names its parts: include() runs each in the module, as if its
text were here. `insmod startstop.ko` in this folder loads them together.
"""

from kmodsim.kernel import *

include("start.py")  # startstop-objs := start.o stop.o
include("stop.py")
