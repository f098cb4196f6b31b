"""The second part of startstop (see startstop.py): cleanup_module()."""

from kmodsim.kernel import *


def cleanup_module():
    pr_info("startstop: stopped (stop.py)\n")
