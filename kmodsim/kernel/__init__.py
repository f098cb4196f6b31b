"""The kernel API a module file imports: `from kmodsim.kernel import *`.

Names and semantics follow the C API; where C passes a pointer to be filled in, the Python
form returns the value instead (documented on each function).
"""

from kmodsim.kernel.completion import (
    DECLARE_COMPLETION,
    complete,
    complete_all,
    completion,
    completion_done,
    init_completion,
    reinit_completion,
    try_wait_for_completion,
    wait_for_completion,
    wait_for_completion_interruptible,
    wait_for_completion_timeout,
)
from kmodsim.kernel.delay import (
    cond_resched,
    fsleep,
    mdelay,
    msleep,
    msleep_interruptible,
    ndelay,
    schedule,
    ssleep,
    udelay,
    usleep_range,
)
from kmodsim.kernel.errno import *
from kmodsim.kernel.errno import IS_ERR_VALUE
from kmodsim.kernel.locking import (
    DEFINE_MUTEX,
    DEFINE_SPINLOCK,
    mutex,
    mutex_init,
    mutex_is_locked,
    mutex_lock,
    mutex_lock_interruptible,
    mutex_trylock,
    mutex_unlock,
    spin_is_locked,
    spin_lock,
    spin_lock_bh,
    spin_lock_init,
    spin_lock_irq,
    spin_lock_irqsave,
    spin_trylock,
    spin_unlock,
    spin_unlock_bh,
    spin_unlock_irq,
    spin_unlock_irqrestore,
    spinlock_t,
)
from kmodsim.kernel.module import (
    EXPORT_SYMBOL,
    EXPORT_SYMBOL_GPL,
    MODULE_ALIAS,
    MODULE_AUTHOR,
    MODULE_DESCRIPTION,
    MODULE_INFO,
    MODULE_LICENSE,
    MODULE_PARM_DESC,
    MODULE_VERSION,
    THIS_MODULE,
    module_exit,
    module_init,
    module_param,
    module_param_array,
)
from kmodsim.kernel.panic import BUG, BUG_ON, WARN, WARN_ON, WARN_ON_ONCE, dump_stack, panic
from kmodsim.kernel.printk import (
    KERN_ALERT,
    KERN_CONT,
    KERN_CRIT,
    KERN_DEBUG,
    KERN_DEFAULT,
    KERN_EMERG,
    KERN_ERR,
    KERN_INFO,
    KERN_NOTICE,
    KERN_SOH,
    KERN_WARNING,
    pr_alert,
    pr_cont,
    pr_crit,
    pr_debug,
    pr_devel,
    pr_emerg,
    pr_err,
    pr_info,
    pr_notice,
    pr_warn,
    pr_warning,
    printk,
)
from kmodsim.kernel.procfs import (
    GLOBAL_ROOT_GID,
    GLOBAL_ROOT_UID,
    O_APPEND,
    O_NONBLOCK,
    O_RDONLY,
    O_RDWR,
    O_WRONLY,
    PDE_DATA,
    S_IALLUGO,
    S_IFDIR,
    S_IFREG,
    S_IRGRP,
    S_IROTH,
    S_IRUGO,
    S_IRUSR,
    S_IRWXG,
    S_IRWXO,
    S_IRWXU,
    S_IWGRP,
    S_IWOTH,
    S_IWUGO,
    S_IWUSR,
    S_IXUGO,
    SEEK_CUR,
    SEEK_END,
    SEEK_SET,
    file_inode,
    pde_data,
    proc_create,
    proc_create_data,
    proc_dir_entry,
    proc_mkdir,
    proc_mkdir_data,
    proc_mkdir_mode,
    proc_ops,
    proc_remove,
    proc_set_size,
    proc_set_user,
    remove_proc_entry,
    remove_proc_subtree,
)
from kmodsim.kernel.sched import current, signal_pending
from kmodsim.kernel.semaphore import (
    DEFINE_SEMAPHORE,
    down,
    down_interruptible,
    down_trylock,
    sema_init,
    semaphore,
    up,
)
from kmodsim.kernel.slab import (
    GFP_ATOMIC,
    GFP_KERNEL,
    GFP_NOWAIT,
    GFP_USER,
    KernelBuffer,
    kcalloc,
    kfree,
    kmalloc,
    kmalloc_array,
    kmemdup,
    krealloc,
    ksize,
    kvfree,
    kvmalloc,
    kvzalloc,
    kzalloc,
    vfree,
    vmalloc,
    vzalloc,
)
from kmodsim.kernel.time import HZ, get_jiffies, jiffies_now, jiffies_to_msecs, msecs_to_jiffies
from kmodsim.kernel.timer import (
    DEFINE_TIMER,
    TIMER_DEFERRABLE,
    add_timer,
    del_timer,
    del_timer_sync,
    mod_timer,
    timer_delete,
    timer_delete_sync,
    timer_list,
    timer_pending,
    timer_setup,
)
from kmodsim.kernel.uaccess import (
    copy_from_user,
    copy_to_user,
    get_user,
    loff_t,
    put_user,
    simple_read_from_buffer,
    simple_write_to_buffer,
)
from kmodsim.kernel.wait import (
    DECLARE_WAIT_QUEUE_HEAD,
    MAX_SCHEDULE_TIMEOUT,
    init_waitqueue_head,
    wait_event,
    wait_event_interruptible,
    wait_event_interruptible_timeout,
    wait_event_timeout,
    wait_queue_head_t,
    wake_up,
    wake_up_all,
    wake_up_interruptible,
    wake_up_interruptible_all,
)

NULL = None


def IS_ERR(x: object) -> bool:
    return isinstance(x, int) and IS_ERR_VALUE(x)


def PTR_ERR(x: int) -> int:
    return x


def ARRAY_SIZE(x: object) -> int:
    return len(x)  # type: ignore[arg-type]


def min_t(_type: object, a: int, b: int) -> int:
    return a if a < b else b


def max_t(_type: object, a: int, b: int) -> int:
    return a if a > b else b
