"""A kernel thread that logs a line every second, beside whatever the shells do, until rmmod
asks it to stop (kthread_run, kthread_should_stop, kthread_stop)."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_DESCRIPTION("A kthread that ticks once a second until the module is removed")

ticker_thread = None


def ticker_fn(data):
    ticks = 0  # a local: it keeps its value across each sleep, as a C local does
    while not kthread_should_stop():
        ticks += 1
        pr_info("ticker: tick %d\n", ticks)
        msleep(1000)  # the other tasks run meanwhile
    pr_info("ticker: stopped\n")
    return ticks


@module_init
def ticker_init():
    global ticker_thread
    ticker_thread = kthread_run(ticker_fn, None, "ticker")
    if IS_ERR(ticker_thread):
        return PTR_ERR(ticker_thread)
    pr_info("ticker: started thread %s\n", ticker_thread.comm)
    return 0


@module_exit
def ticker_exit():
    kthread_stop(ticker_thread)  # wakes it and waits until ticker_fn returns
