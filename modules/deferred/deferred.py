"""Work deferred two ways, driven from /proc/deferred: `echo work >` queues a work item on a
workqueue of the module's own (it runs later, on a kernel worker, and may sleep), `echo
tasklet >` schedules a tasklet (softirq context: it may not sleep), `echo flush >` waits for
the queued work; `cat` shows how often each ran."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_DESCRIPTION("A workqueue and a tasklet, driven from /proc/deferred")

deferred_wq = None
deferred_work = work_struct()
deferred_tasklet = tasklet_struct()
work_runs = 0
tasklet_runs = 0


def work_fn(work):
    global work_runs
    msleep(10)  # process context: a work item may sleep
    work_runs += 1
    pr_info("deferred: work ran (%d)\n", work_runs)


def tasklet_fn(t):
    global tasklet_runs
    tasklet_runs += 1
    pr_info("deferred: tasklet ran (%d), in interrupt: %d\n", tasklet_runs,
            1 if in_interrupt() else 0)


def deferred_read(file, buf, count, ppos):
    text = b"work %d tasklet %d\n" % (work_runs, tasklet_runs)
    return simple_read_from_buffer(buf, count, ppos, text)


def deferred_write(file, buf, count, ppos):
    cmd = bytearray(16)
    n = min(count, 15)
    if copy_from_user(cmd, buf, n):
        return -EFAULT
    word = bytes(cmd[:n]).strip(b"\n\0")
    if word == b"work":
        queue_work(deferred_wq, deferred_work)
    elif word == b"tasklet":
        tasklet_schedule(deferred_tasklet)
    elif word == b"flush":
        flush_workqueue(deferred_wq)
    else:
        return -EINVAL
    return count


deferred_fops = proc_ops(proc_read=deferred_read, proc_write=deferred_write)


@module_init
def deferred_init():
    global deferred_wq
    deferred_wq = alloc_workqueue("deferred", WQ_UNBOUND, 1)
    if not deferred_wq:
        return -ENOMEM
    INIT_WORK(deferred_work, work_fn)
    tasklet_setup(deferred_tasklet, tasklet_fn)
    if not proc_create("deferred", 0o666, None, deferred_fops):
        destroy_workqueue(deferred_wq)
        return -ENOMEM
    return 0


@module_exit
def deferred_exit():
    remove_proc_entry("deferred", None)
    tasklet_kill(deferred_tasklet)
    destroy_workqueue(deferred_wq)  # runs what is still queued first
    pr_info("deferred: work ran %d, tasklet ran %d\n", work_runs, tasklet_runs)
