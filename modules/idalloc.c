// C twin of idalloc.py: an allocator of small ids in a bitmap;
// /proc/idalloc hands out the lowest free id.
//   echo get > /proc/idalloc     allocates an id (the log says which)
//   echo put 3 > /proc/idalloc   frees id 3
//   cat /proc/idalloc            the ids in use: "ids 0 1 2 (3 of 16 in use)"
// The number of ids is a parameter: insmod idalloc.ko max_ids=64 (at most 256).
#include <linux/bitmap.h>
#include <linux/bitops.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodsim");
MODULE_DESCRIPTION("An allocator of small ids, kept in a bitmap");

#define MAX_IDS 256

static unsigned int max_ids = 16;
module_param(max_ids, uint, 0444);
MODULE_PARM_DESC(max_ids, "how many ids there are (at most 256)");

static DECLARE_BITMAP(ids, MAX_IDS);
static DEFINE_SPINLOCK(ids_lock);

static int idalloc_get(void)
{
	unsigned int id;

	spin_lock(&ids_lock);
	id = find_first_zero_bit(ids, max_ids);
	if (id >= max_ids) {
		spin_unlock(&ids_lock);
		return -ENOSPC;
	}
	set_bit(id, ids);
	spin_unlock(&ids_lock);
	return id;
}

static int idalloc_put(int id)
{
	if (id < 0 || id >= max_ids)
		return -EINVAL;
	if (!test_and_clear_bit(id, ids)) {
		pr_warn("idalloc: id %d was not allocated\n", id);
		return -EINVAL;
	}
	return 0;
}

static int idalloc_show(struct seq_file *m, void *v)
{
	unsigned int id;

	seq_puts(m, "ids");
	for_each_set_bit(id, ids, max_ids)
		seq_printf(m, " %d", id);
	seq_printf(m, " (%d of %u in use)\n", bitmap_weight(ids, max_ids), max_ids);
	return 0;
}

static int idalloc_open(struct inode *inode, struct file *file)
{
	return single_open(file, idalloc_show, NULL);
}

static ssize_t idalloc_write(struct file *file, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	char kbuf[16] = "";
	char cmd[4];
	int n, id, ret;

	if (count >= sizeof(kbuf))
		return -EINVAL;
	if (copy_from_user(kbuf, buf, count))
		return -EFAULT;
	n = sscanf(kbuf, "%3s %d", cmd, &id);
	if (n == 1 && strcmp(cmd, "get") == 0) {
		ret = idalloc_get();
		if (ret >= 0)
			pr_info("idalloc: got id %d\n", ret);
	} else if (n == 2 && strcmp(cmd, "put") == 0) {
		ret = idalloc_put(id);
		if (ret == 0)
			pr_info("idalloc: put id %d\n", id);
	} else {
		ret = -EINVAL;
	}
	return ret < 0 ? ret : count;
}

static const struct proc_ops idalloc_fops = {
	.proc_open = idalloc_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = idalloc_write,
};

static int __init idalloc_init(void)
{
	if (max_ids == 0 || max_ids > MAX_IDS) {
		pr_err("idalloc: max_ids must be 1 to %d\n", MAX_IDS);
		return -EINVAL;
	}
	if (!proc_create("idalloc", 0666, NULL, &idalloc_fops))
		return -ENOMEM;
	pr_info("idalloc: %u ids\n", max_ids);
	return 0;
}

static void __exit idalloc_exit(void)
{
	remove_proc_entry("idalloc", NULL);
	pr_info("idalloc: %d ids still in use\n", bitmap_weight(ids, max_ids));
}

module_init(idalloc_init);
module_exit(idalloc_exit);
