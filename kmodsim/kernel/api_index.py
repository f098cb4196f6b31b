"""Which file of kmodsim/kernel each name of the kernel API (api.py) comes from:
a module's `from kmodsim.kernel import *` loads only the files of the names it uses.
Generated from api.py by `python tests/test_api_index.py`; tests/test_api_index.py checks it.
"""

# file -> its API names, space-separated (one string a file: the cheapest to load)
FILES: dict[str, str] = {
    "atomic": (
        "ATOMIC64_INIT ATOMIC_INIT ATOMIC_LONG_INIT KREF_INIT REFCOUNT_INIT REFCOUNT_MAX "
        "REFCOUNT_SATURATED atomic64_add atomic64_add_negative atomic64_add_return "
        "atomic64_add_unless atomic64_and atomic64_andnot atomic64_cmpxchg atomic64_dec "
        "atomic64_dec_and_test atomic64_dec_if_positive atomic64_dec_return "
        "atomic64_dec_unless_positive atomic64_fetch_add atomic64_fetch_add_unless "
        "atomic64_fetch_and atomic64_fetch_dec atomic64_fetch_inc atomic64_fetch_or "
        "atomic64_fetch_sub atomic64_fetch_xor atomic64_inc atomic64_inc_and_test "
        "atomic64_inc_not_zero atomic64_inc_return atomic64_inc_unless_negative atomic64_or "
        "atomic64_read atomic64_set atomic64_sub atomic64_sub_and_test atomic64_sub_return "
        "atomic64_t atomic64_try_cmpxchg atomic64_xchg atomic64_xor atomic_add "
        "atomic_add_negative atomic_add_return atomic_add_unless atomic_and atomic_andnot "
        "atomic_cmpxchg atomic_dec atomic_dec_and_test atomic_dec_if_positive atomic_dec_return "
        "atomic_dec_unless_positive atomic_fetch_add atomic_fetch_add_unless atomic_fetch_and "
        "atomic_fetch_dec atomic_fetch_inc atomic_fetch_or atomic_fetch_sub atomic_fetch_xor "
        "atomic_inc atomic_inc_and_test atomic_inc_not_zero atomic_inc_return "
        "atomic_inc_unless_negative atomic_long_add atomic_long_add_negative "
        "atomic_long_add_return atomic_long_add_unless atomic_long_and atomic_long_andnot "
        "atomic_long_cmpxchg atomic_long_dec atomic_long_dec_and_test atomic_long_dec_if_positive "
        "atomic_long_dec_return atomic_long_dec_unless_positive atomic_long_fetch_add "
        "atomic_long_fetch_add_unless atomic_long_fetch_and atomic_long_fetch_dec "
        "atomic_long_fetch_inc atomic_long_fetch_or atomic_long_fetch_sub atomic_long_fetch_xor "
        "atomic_long_inc atomic_long_inc_and_test atomic_long_inc_not_zero atomic_long_inc_return "
        "atomic_long_inc_unless_negative atomic_long_or atomic_long_read atomic_long_set "
        "atomic_long_sub atomic_long_sub_and_test atomic_long_sub_return atomic_long_t "
        "atomic_long_try_cmpxchg atomic_long_xchg atomic_long_xor atomic_or atomic_read "
        "atomic_set atomic_sub atomic_sub_and_test atomic_sub_return atomic_t atomic_try_cmpxchg "
        "atomic_xchg atomic_xor kref kref_get kref_get_unless_zero kref_init kref_put kref_read "
        "refcount_add refcount_add_not_zero refcount_dec refcount_dec_and_test "
        "refcount_dec_if_one refcount_dec_not_one refcount_inc refcount_inc_not_zero "
        "refcount_read refcount_set refcount_sub_and_test refcount_t "
    ),
    "bitops": (
        "BIT BITS_PER_BYTE BITS_PER_LONG BITS_PER_LONG_LONG BITS_TO_LONGS BIT_MASK BIT_ULL "
        "BIT_WORD DECLARE_BITMAP GENMASK GENMASK_ULL bitmap_alloc bitmap_and bitmap_clear "
        "bitmap_copy bitmap_empty bitmap_equal bitmap_fill bitmap_find_next_zero_area bitmap_free "
        "bitmap_full bitmap_or bitmap_set bitmap_weight bitmap_xor bitmap_zalloc bitmap_zero "
        "change_bit clear_bit ffs ffz find_first_bit find_first_zero_bit find_last_bit "
        "find_next_bit find_next_zero_bit fls fls64 for_each_clear_bit for_each_set_bit hweight16 "
        "hweight32 hweight64 hweight8 hweight_long set_bit test_and_change_bit test_and_clear_bit "
        "test_and_set_bit test_bit "
    ),
    "chrdev": (
        "MAJOR MINOR MINORBITS MINORMASK MKDEV alloc_chrdev_region cdev cdev_add cdev_alloc "
        "cdev_del cdev_init fixed_size_llseek imajor iminor nonseekable_open register_chrdev "
        "register_chrdev_region unregister_chrdev unregister_chrdev_region "
    ),
    "completion": (
        "DECLARE_COMPLETION complete complete_all completion completion_done init_completion "
        "reinit_completion try_wait_for_completion wait_for_completion "
        "wait_for_completion_interruptible wait_for_completion_timeout "
    ),
    "ctype": (
        "NULL char dev_t gfp_t int16_t int32_t int64_t int8_t long longlong offsetof pid_t "
        "ptrdiff_t s16 s32 s64 s8 short size_t sizeof ssize_t u16 u32 u64 u8 uint uint16_t "
        "uint32_t uint64_t uint8_t uintptr_t ulong ulonglong umode_t unchar ushort "
    ),
    "debugfs": (
        "DEFINE_DEBUGFS_ATTRIBUTE DEFINE_SIMPLE_ATTRIBUTE debugfs_blob_wrapper "
        "debugfs_create_blob debugfs_create_bool debugfs_create_dir debugfs_create_file "
        "debugfs_create_file_unsafe debugfs_create_size_t debugfs_create_u16 debugfs_create_u32 "
        "debugfs_create_u64 debugfs_create_u8 debugfs_create_x16 debugfs_create_x32 "
        "debugfs_create_x64 debugfs_create_x8 debugfs_initialized debugfs_lookup debugfs_remove "
        "debugfs_remove_recursive simple_attr_read simple_attr_release simple_attr_write "
        "simple_open "
    ),
    "delay": (
        "cond_resched fsleep mdelay msleep msleep_interruptible ndelay ssleep udelay usleep_range "
    ),
    "device": (
        "class_ class_create class_destroy dev_alert dev_crit dev_dbg dev_driver_string dev_emerg "
        "dev_err dev_get_drvdata dev_info dev_name dev_notice dev_printk dev_set_drvdata dev_warn "
        "device device_create device_destroy "
    ),
    "errno": (
        "E2BIG EACCES EAGAIN EBADF EBUSY ECANCELED ECHILD EDEADLK EDOM EEXIST EFAULT EFBIG EILSEQ "
        "EINTR EINVAL EIO EISDIR EMFILE EMLINK ENAMETOOLONG ENFILE ENODATA ENODEV ENOENT ENOEXEC "
        "ENOLCK ENOMEM ENOSPC ENOSYS ENOTBLK ENOTDIR ENOTEMPTY ENOTSUPP ENOTTY ENXIO EOPNOTSUPP "
        "EOVERFLOW EPERM EPIPE ERANGE ERESTARTSYS EROFS ESPIPE ESRCH ETIME ETIMEDOUT ETXTBSY "
        "EWOULDBLOCK EXDEV IS_ERR_VALUE MAX_ERRNO "
    ),
    "ioctl": (
        "_IO _IOC _IOC_DIR _IOC_NONE _IOC_NR _IOC_READ _IOC_SIZE _IOC_TYPE _IOC_WRITE _IOR _IOW "
        "_IOWR "
    ),
    "kernel_helpers": (
        "ALIGN ALIGN_DOWN ARRAY_SIZE BUILD_BUG_ON BUILD_BUG_ON_MSG BUILD_BUG_ON_ZERO "
        "DIV_ROUND_CLOSEST DIV_ROUND_UP ERR_CAST ERR_PTR INT_MAX INT_MIN IS_ALIGNED IS_ERR "
        "IS_ERR_OR_NULL KERNEL_VERSION LINUX_VERSION_CODE LINUX_VERSION_MAJOR "
        "LINUX_VERSION_PATCHLEVEL LINUX_VERSION_SUBLEVEL LLONG_MAX LLONG_MIN LONG_MAX LONG_MIN "
        "PAGE_MASK PAGE_SHIFT PAGE_SIZE PTR_ALIGN PTR_ERR PTR_ERR_OR_ZERO READ_ONCE S16_MAX "
        "S16_MIN S32_MAX S32_MIN S64_MAX S64_MIN S8_MAX S8_MIN SHRT_MAX SHRT_MIN SIZE_MAX "
        "SSIZE_MAX U16_MAX U32_MAX U64_MAX U8_MAX UINT_MAX ULLONG_MAX ULONG_MAX USHRT_MAX "
        "abs_diff barrier clamp clamp_t clamp_val cpu_relax get_current get_task_comm ilog2 "
        "in_interrupt in_softirq in_task irqs_disabled is_power_of_2 likely lower_32_bits max3 "
        "max_t mb min3 min_t order_base_2 rmb round_down round_up rounddown rounddown_pow_of_two "
        "roundup roundup_pow_of_two smp_mb smp_rmb smp_wmb static_assert task_pid_nr task_tgid_nr "
        "unlikely upper_32_bits wmb "
    ),
    "kobject": (
        "CLASS_ATTR_RO CLASS_ATTR_RW CLASS_ATTR_WO DEVICE_ATTR DEVICE_ATTR_ADMIN_RW "
        "DEVICE_ATTR_RO DEVICE_ATTR_RW DEVICE_ATTR_WO KERNEL_KOBJECTS VERIFY_OCTAL_PERMISSIONS "
        "__ATTR __ATTR_RO __ATTR_RO_MODE __ATTR_RW __ATTR_RW_MODE __ATTR_WO attribute "
        "attribute_group class_attribute class_create_file class_remove_file device_attribute "
        "device_create_file device_remove_file firmware_kobj fs_kobj hypervisor_kobj kernel_kobj "
        "kobj_attribute kobj_type kobject kobject_add kobject_create_and_add kobject_del "
        "kobject_get kobject_init kobject_init_and_add kobject_name kobject_put mm_kobj "
        "power_kobj sysfs_create_file sysfs_create_files sysfs_create_group sysfs_create_groups "
        "sysfs_emit sysfs_emit_at sysfs_ops sysfs_remove_file sysfs_remove_files "
        "sysfs_remove_group sysfs_remove_groups "
    ),
    "kstrtox": (
        "kstrtobool kstrtoint kstrtol kstrtoll kstrtos16 kstrtos32 kstrtos64 kstrtos8 kstrtou16 "
        "kstrtou32 kstrtou64 kstrtou8 kstrtouint kstrtoul kstrtoull simple_strtol simple_strtoll "
        "simple_strtoul simple_strtoull "
    ),
    "kthread": (
        "TASK_INTERRUPTIBLE TASK_RUNNING TASK_UNINTERRUPTIBLE kthread_complete_and_exit "
        "kthread_create kthread_exit kthread_run kthread_should_stop kthread_stop schedule "
        "schedule_timeout schedule_timeout_interruptible schedule_timeout_uninterruptible "
        "set_current_state task_struct wake_up_process "
    ),
    "lists": (
        "DECLARE_HASHTABLE DEFINE_HASHTABLE HASH_BITS HLIST_HEAD HLIST_HEAD_INIT INIT_HLIST_HEAD "
        "INIT_HLIST_NODE INIT_LIST_HEAD LIST_HEAD LIST_HEAD_INIT LIST_POISON1 LIST_POISON2 "
        "container_of hash_32 hash_64 hash_add hash_del hash_empty hash_for_each "
        "hash_for_each_possible hash_for_each_safe hash_hashed hash_init hash_long hash_min "
        "hlist_add_before hlist_add_behind hlist_add_head hlist_del hlist_del_init hlist_empty "
        "hlist_entry hlist_entry_safe hlist_for_each hlist_for_each_entry "
        "hlist_for_each_entry_safe hlist_for_each_safe hlist_head hlist_node hlist_unhashed "
        "list_add list_add_tail list_count_nodes list_cut_position list_del list_del_init "
        "list_empty list_empty_careful list_entry list_first_entry list_first_entry_or_null "
        "list_for_each list_for_each_entry list_for_each_entry_continue list_for_each_entry_from "
        "list_for_each_entry_reverse list_for_each_entry_safe list_for_each_entry_safe_reverse "
        "list_for_each_prev list_for_each_prev_safe list_for_each_safe list_head list_is_first "
        "list_is_head list_is_last list_is_singular list_last_entry list_last_entry_or_null "
        "list_move list_move_tail list_next_entry list_prev_entry list_replace list_replace_init "
        "list_rotate_left list_splice list_splice_init list_splice_tail list_splice_tail_init "
        "list_swap "
    ),
    "locking": (
        "DEFINE_MUTEX DEFINE_SPINLOCK mutex mutex_init mutex_is_locked mutex_lock "
        "mutex_lock_interruptible mutex_trylock mutex_unlock spin_is_locked spin_lock "
        "spin_lock_bh spin_lock_init spin_lock_irq spin_lock_irqsave spin_trylock spin_unlock "
        "spin_unlock_bh spin_unlock_irq spin_unlock_irqrestore spinlock_t "
    ),
    "module": (
        "EXPORT_SYMBOL EXPORT_SYMBOL_GPL MODULE_ALIAS MODULE_AUTHOR MODULE_DESCRIPTION "
        "MODULE_INFO MODULE_LICENSE MODULE_PARM_DESC MODULE_VERSION THIS_MODULE include "
        "module_exit module_init module_param module_param_array module_param_array_named "
        "module_param_cb module_param_named module_param_string module_put module_refcount "
        "try_module_get "
    ),
    "panic": (
        "BUG BUG_ON WARN WARN_ON WARN_ON_ONCE dump_stack panic "
    ),
    "params": (
        "KERNEL_PARAM_OPS_FL_NOARG bint byte charp hexint invbool kernel_param kernel_param_ops "
        "param_array_ops param_get_bool param_get_byte param_get_charp param_get_hexint "
        "param_get_int param_get_invbool param_get_long param_get_short param_get_string "
        "param_get_uint param_get_ullong param_get_ulong param_get_ushort param_ops_bint "
        "param_ops_bool param_ops_byte param_ops_charp param_ops_hexint param_ops_int "
        "param_ops_invbool param_ops_long param_ops_short param_ops_string param_ops_uint "
        "param_ops_ullong param_ops_ulong param_ops_ushort param_set_bint param_set_bool "
        "param_set_byte param_set_charp param_set_copystring param_set_hexint param_set_int "
        "param_set_invbool param_set_long param_set_short param_set_uint param_set_ullong "
        "param_set_ulong param_set_ushort ullong "
    ),
    "poll": (
        "DEFAULT_POLLMASK EPOLLERR EPOLLHUP EPOLLIN EPOLLOUT EPOLLPRI EPOLLRDNORM EPOLLWRNORM "
        "POLLERR POLLHUP POLLIN POLLNVAL POLLOUT POLLPRI POLLRDBAND POLLRDNORM POLLWRBAND "
        "POLLWRNORM poll_table poll_wait "
    ),
    "printk": (
        "KERN_ALERT KERN_CONT KERN_CRIT KERN_DEBUG KERN_DEFAULT KERN_EMERG KERN_ERR KERN_INFO "
        "KERN_NOTICE KERN_SOH KERN_WARNING pr_alert pr_cont pr_crit pr_debug pr_devel pr_emerg "
        "pr_err pr_info pr_notice pr_warn pr_warning printk "
    ),
    "procfs": (
        "GLOBAL_ROOT_GID GLOBAL_ROOT_UID O_APPEND O_NONBLOCK O_RDONLY O_RDWR O_WRONLY PDE_DATA "
        "SEEK_CUR SEEK_END SEEK_SET S_IALLUGO S_IFDIR S_IFREG S_IRGRP S_IROTH S_IRUGO S_IRUSR "
        "S_IRWXG S_IRWXO S_IRWXU S_IWGRP S_IWOTH S_IWUGO S_IWUSR S_IXUGO file_inode pde_data "
        "proc_create proc_create_data proc_dir_entry proc_mkdir proc_mkdir_data proc_mkdir_mode "
        "proc_ops proc_remove proc_set_size proc_set_user remove_proc_entry remove_proc_subtree "
    ),
    "rwlock": (
        "DEFINE_RWLOCK DEFINE_SEQLOCK SEQCNT_ZERO read_lock read_lock_bh read_lock_irq "
        "read_lock_irqsave read_seqbegin read_seqcount_begin read_seqcount_retry "
        "read_seqlock_excl read_seqretry read_sequnlock_excl read_trylock read_unlock "
        "read_unlock_bh read_unlock_irq read_unlock_irqrestore rwlock_init rwlock_t seqcount_init "
        "seqcount_t seqlock_init seqlock_t write_lock write_lock_bh write_lock_irq "
        "write_lock_irqsave write_seqcount_begin write_seqcount_end write_seqlock "
        "write_seqlock_bh write_seqlock_irqsave write_sequnlock write_sequnlock_bh "
        "write_sequnlock_irqrestore write_trylock write_unlock write_unlock_bh write_unlock_irq "
        "write_unlock_irqrestore "
    ),
    "sched": (
        "current signal_pending "
    ),
    "semaphore": (
        "DEFINE_SEMAPHORE down down_interruptible down_trylock sema_init semaphore up "
    ),
    "seq_file": (
        "DEFINE_PROC_SHOW_ATTRIBUTE DEFINE_SEQ_ATTRIBUTE DEFINE_SHOW_ATTRIBUTE SEQ_SKIP "
        "SEQ_START_TOKEN proc_create_seq proc_create_seq_data proc_create_seq_private "
        "proc_create_single proc_create_single_data seq_file seq_has_overflowed seq_hlist_next "
        "seq_hlist_start seq_hlist_start_head seq_list_next seq_list_start seq_list_start_head "
        "seq_lseek seq_open seq_open_private seq_operations seq_pad seq_printf seq_put_decimal_ll "
        "seq_put_decimal_ull seq_put_hex_ll seq_putc seq_puts seq_read seq_release "
        "seq_release_private seq_setwidth seq_vprintf seq_write single_next single_open "
        "single_open_size single_release single_start single_stop "
    ),
    "slab": (
        "GFP_ATOMIC GFP_KERNEL GFP_NOWAIT GFP_USER KMEM_CACHE KernelBuffer SLAB_ACCOUNT "
        "SLAB_HWCACHE_ALIGN SLAB_PANIC SLAB_POISON SLAB_RECLAIM_ACCOUNT SLAB_RED_ZONE "
        "SLAB_TYPESAFE_BY_RCU kcalloc kfree kmalloc kmalloc_array kmem_cache kmem_cache_alloc "
        "kmem_cache_create kmem_cache_destroy kmem_cache_free kmem_cache_size kmem_cache_zalloc "
        "kmemdup krealloc ksize kvfree kvfree_sensitive kvmalloc kvzalloc kzalloc vfree vmalloc "
        "vzalloc "
    ),
    "softirq": (
        "DECLARE_TASKLET DECLARE_TASKLET_OLD from_tasklet tasklet_disable tasklet_enable "
        "tasklet_hi_schedule tasklet_init tasklet_kill tasklet_schedule tasklet_setup "
        "tasklet_struct "
    ),
    "string": (
        "isalnum isalpha iscntrl isdigit islower isprint ispunct isspace isupper isxdigit "
        "match_string memchr memcmp memcpy memmove memset memzero_explicit scnprintf skip_spaces "
        "snprintf sprintf sscanf strcasecmp strcat strchr strcmp strcpy strcspn strim strlcat "
        "strlcpy strlen strncasecmp strncat strnchr strncmp strncpy strnlen strnstr strpbrk "
        "strrchr strreplace strscpy strsep strspn strstr strstrip sysfs_streq tolower toupper "
        "vscnprintf vsnprintf vsprintf vsscanf "
    ),
    "time": (
        "HZ get_jiffies jiffies_now jiffies_to_msecs msecs_to_jiffies "
    ),
    "timer": (
        "DEFINE_TIMER TIMER_DEFERRABLE add_timer del_timer del_timer_sync mod_timer timer_delete "
        "timer_delete_sync timer_list timer_pending timer_setup "
    ),
    "uaccess": (
        "__get_user __put_user copy_from_user copy_to_user get_user kstrtobool_from_user "
        "kstrtoint_from_user kstrtol_from_user kstrtoll_from_user kstrtos16_from_user "
        "kstrtos32_from_user kstrtos64_from_user kstrtos8_from_user kstrtou16_from_user "
        "kstrtou32_from_user kstrtou64_from_user kstrtou8_from_user kstrtouint_from_user "
        "kstrtoul_from_user kstrtoull_from_user loff_t put_user simple_read_from_buffer "
        "simple_write_to_buffer "
    ),
    "vfs": (
        "default_llseek file_operations no_llseek noop_llseek "
    ),
    "wait": (
        "DECLARE_WAIT_QUEUE_HEAD MAX_SCHEDULE_TIMEOUT init_waitqueue_head wait_event "
        "wait_event_interruptible wait_event_interruptible_timeout wait_event_timeout "
        "wait_queue_head_t wake_up wake_up_all wake_up_interruptible wake_up_interruptible_all "
    ),
    "workqueue": (
        "DECLARE_DELAYED_WORK DECLARE_WORK INIT_DELAYED_WORK INIT_WORK WQ_CPU_INTENSIVE "
        "WQ_FREEZABLE WQ_HIGHPRI WQ_MEM_RECLAIM WQ_POWER_EFFICIENT WQ_SYSFS WQ_UNBOUND "
        "alloc_workqueue cancel_delayed_work cancel_delayed_work_sync cancel_work "
        "cancel_work_sync create_singlethread_workqueue create_workqueue delayed_work "
        "delayed_work_pending destroy_workqueue drain_workqueue flush_delayed_work "
        "flush_scheduled_work flush_work flush_workqueue mod_delayed_work queue_delayed_work "
        "queue_work schedule_delayed_work schedule_work system_highpri_wq system_long_wq "
        "system_unbound_wq system_wq to_delayed_work work_pending work_struct workqueue_struct "
    ),
}

WHERE: dict[str, str] = {name: file for file, names in FILES.items() for name in names.split()}
