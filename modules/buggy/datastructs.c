// C twin of datastructs.py: bugs with the kernel's data structures, one per
// command written to /proc/datastructs (`add` first, to have entries):
//   add       put a new entry on the list
//   deldel    list_del() the first entry twice: `list_del corruption`, a BUG
//   iterdel   list_del() each entry inside a plain list_for_each_entry(): the
//             loop goes on through the poisoned pointer, a general protection fault
//   freed     kfree() the first entry but leave it on the list, then walk the
//             list: use-after-free
//   refs      drop a reference twice: `refcount_t: underflow; use-after-free.`
//   cache     destroy a slab cache that still has an object
#include <linux/init.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");

struct entry {
	int value;
	struct list_head node;
};

static LIST_HEAD(entries);
static int nentries;

static void entry_ctor(void *obj)
{
}

static ssize_t datastructs_write(struct file *file, const char __user *buf,
				 size_t count, loff_t *ppos)
{
	char cmd[16] = "";
	struct entry *entry;

	if (count >= sizeof(cmd) || copy_from_user(cmd, buf, count))
		return -EFAULT;
	if (sysfs_streq(cmd, "add")) {
		entry = kzalloc(sizeof(*entry), GFP_KERNEL);
		entry->value = ++nentries;
		list_add_tail(&entry->node, &entries);
	} else if (sysfs_streq(cmd, "deldel")) {
		entry = list_first_entry(&entries, struct entry, node);
		list_del(&entry->node);
		list_del(&entry->node); /* the bug: it is no longer on any list */
	} else if (sysfs_streq(cmd, "iterdel")) {
		list_for_each_entry(entry, &entries, node) {
			pr_info("datastructs: deleting %d\n", entry->value);
			list_del(&entry->node); /* the bug: the loop reads entry's next afterwards */
		}
	} else if (sysfs_streq(cmd, "freed")) {
		entry = list_first_entry(&entries, struct entry, node);
		kfree(entry); /* the bug: still on the list */
		list_for_each_entry(entry, &entries, node)
			pr_info("datastructs: entry %d\n", entry->value);
	} else if (sysfs_streq(cmd, "refs")) {
		refcount_t refs = REFCOUNT_INIT(1);

		if (refcount_dec_and_test(&refs))
			pr_info("datastructs: last reference dropped\n");
		if (refcount_dec_and_test(&refs)) /* the bug: one put too many */
			pr_info("datastructs: last reference dropped again\n");
	} else if (sysfs_streq(cmd, "cache")) {
		struct kmem_cache *cache = kmem_cache_create("datastructs_entry",
				sizeof(struct entry), 0, 0, entry_ctor);

		kmem_cache_alloc(cache, GFP_KERNEL);
		kmem_cache_destroy(cache); /* the bug: the object was never freed */
	} else {
		return -EINVAL;
	}
	return count;
}

static const struct proc_ops datastructs_fops = {
	.proc_write = datastructs_write,
};

static int __init datastructs_init(void)
{
	proc_create("datastructs", 0666, NULL, &datastructs_fops);
	return 0;
}

static void __exit datastructs_exit(void)
{
	remove_proc_entry("datastructs", NULL);
}

module_init(datastructs_init);
module_exit(datastructs_exit);
