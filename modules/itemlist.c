// C twin of itemlist.py: a linked list of items in /proc/itemlist, built
// from /proc writes and printed with seq_file.
//   echo add apple > /proc/itemlist   adds an item, numbered from 1
//   echo del 2 > /proc/itemlist       removes item 2
//   echo clear > /proc/itemlist       removes them all
//   cat /proc/itemlist                lists them, one a line: "1 apple"
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kstrtox.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("kmodsim");
MODULE_DESCRIPTION("A linked list of items, built from /proc writes and printed with seq_file");

#define NAME_LEN 16

struct item {
	int id;
	char name[NAME_LEN];
	struct list_head node;
};

static LIST_HEAD(items);
static DEFINE_MUTEX(items_lock);
static int next_id = 1;

static void item_del(struct item *item)
{
	list_del(&item->node);
	kfree(item);
}

/* reading: one item a line, through seq_file */

static void *itemlist_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&items_lock);
	return seq_list_start(&items, *pos);
}

static void *itemlist_next(struct seq_file *m, void *v, loff_t *pos)
{
	return seq_list_next(v, &items, pos);
}

static void itemlist_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&items_lock);
}

static int itemlist_show(struct seq_file *m, void *v)
{
	struct item *item = list_entry(v, struct item, node);

	seq_printf(m, "%d %s\n", item->id, item->name);
	return 0;
}

static const struct seq_operations itemlist_seq_ops = {
	.start = itemlist_start,
	.next = itemlist_next,
	.stop = itemlist_stop,
	.show = itemlist_show,
};

static int itemlist_open(struct inode *inode, struct file *file)
{
	return seq_open(file, &itemlist_seq_ops);
}

/* writing: add NAME, del ID, clear */

static int itemlist_add(const char *name)
{
	struct item *item = kzalloc(sizeof(*item), GFP_KERNEL);

	if (!item)
		return -ENOMEM;
	if (strscpy(item->name, name, NAME_LEN) < 0) {
		kfree(item);
		return -E2BIG;
	}
	mutex_lock(&items_lock);
	item->id = next_id++;
	list_add_tail(&item->node, &items);
	mutex_unlock(&items_lock);
	pr_info("itemlist: added %d %s\n", item->id, item->name);
	return 0;
}

static int itemlist_del(int id)
{
	struct item *item;

	mutex_lock(&items_lock);
	list_for_each_entry(item, &items, node) {
		if (item->id == id) {
			item_del(item);
			mutex_unlock(&items_lock);
			pr_info("itemlist: deleted %d\n", id);
			return 0;
		}
	}
	mutex_unlock(&items_lock);
	return -ENOENT;
}

static int itemlist_clear(void)
{
	struct item *item, *tmp;
	int count = 0;

	mutex_lock(&items_lock);
	list_for_each_entry_safe(item, tmp, &items, node) {
		item_del(item);
		count++;
	}
	mutex_unlock(&items_lock);
	return count;
}

static ssize_t itemlist_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	char kbuf[64] = "";
	char cmd[8], arg[16];
	int n, id, ret;

	if (count >= sizeof(kbuf))
		return -EINVAL;
	if (copy_from_user(kbuf, buf, count))
		return -EFAULT;
	n = sscanf(kbuf, "%7s %15s", cmd, arg);
	if (n == 2 && strcmp(cmd, "add") == 0) {
		ret = itemlist_add(arg);
	} else if (n == 2 && strcmp(cmd, "del") == 0) {
		ret = kstrtoint(arg, 10, &id);
		if (!ret)
			ret = itemlist_del(id);
	} else if (n == 1 && strcmp(cmd, "clear") == 0) {
		pr_info("itemlist: cleared %d\n", itemlist_clear());
		ret = 0;
	} else {
		ret = -EINVAL;
	}
	return ret < 0 ? ret : count;
}

static const struct proc_ops itemlist_fops = {
	.proc_open = itemlist_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = seq_release,
	.proc_write = itemlist_write,
};

static int __init itemlist_init(void)
{
	if (!proc_create("itemlist", 0666, NULL, &itemlist_fops))
		return -ENOMEM;
	pr_info("itemlist: loaded\n");
	return 0;
}

static void __exit itemlist_exit(void)
{
	remove_proc_entry("itemlist", NULL);
	pr_info("itemlist: unloaded, %d items freed\n", itemlist_clear());
}

module_init(itemlist_init);
module_exit(itemlist_exit);
