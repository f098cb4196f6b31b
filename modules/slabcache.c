// C twin of slabcache.py: objects from a slab cache of their own;
// /proc/slabcache takes some and gives them back.
//   echo alloc > /proc/slabcache   takes an object from the cache (numbered from 1)
//   echo free > /proc/slabcache    gives the newest back
//   cat /proc/slabcache            the objects held: "objects 2: 1 2"
#include <linux/init.h>
#include <linux/kernel.h>
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
MODULE_DESCRIPTION("Objects from a slab cache of their own");

struct obj {
	int serial;
	struct list_head node;
};

static struct kmem_cache *obj_cache;
static LIST_HEAD(objs);
static int nobjs;
static int serial;
static DEFINE_MUTEX(objs_lock);

static int slabcache_show(struct seq_file *m, void *v)
{
	struct obj *obj;

	seq_printf(m, "objects %d:", nobjs);
	list_for_each_entry(obj, &objs, node)
		seq_printf(m, " %d", obj->serial);
	seq_putc(m, '\n');
	return 0;
}

static int slabcache_open(struct inode *inode, struct file *file)
{
	return single_open(file, slabcache_show, NULL);
}

static int slabcache_alloc(void)
{
	struct obj *obj = kmem_cache_alloc(obj_cache, GFP_KERNEL);

	if (!obj)
		return -ENOMEM;
	mutex_lock(&objs_lock);
	obj->serial = ++serial;
	list_add(&obj->node, &objs);
	nobjs++;
	mutex_unlock(&objs_lock);
	pr_info("slabcache: object %d allocated\n", obj->serial);
	return 0;
}

static int slabcache_free(void)
{
	struct obj *obj;

	mutex_lock(&objs_lock);
	obj = list_first_entry_or_null(&objs, struct obj, node);
	if (!obj) {
		mutex_unlock(&objs_lock);
		return -ENOENT;
	}
	list_del(&obj->node);
	nobjs--;
	mutex_unlock(&objs_lock);
	pr_info("slabcache: object %d freed\n", obj->serial);
	kmem_cache_free(obj_cache, obj);
	return 0;
}

static ssize_t slabcache_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	char kbuf[8] = "";
	int ret;

	if (copy_from_user(kbuf, buf, min(count, sizeof(kbuf) - 1)))
		return -EFAULT;
	if (sysfs_streq(kbuf, "alloc"))
		ret = slabcache_alloc();
	else if (sysfs_streq(kbuf, "free"))
		ret = slabcache_free();
	else
		ret = -EINVAL;
	return ret < 0 ? ret : count;
}

static const struct proc_ops slabcache_fops = {
	.proc_open = slabcache_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = slabcache_write,
};

static int __init slabcache_init(void)
{
	obj_cache = kmem_cache_create("slabcache_obj", sizeof(struct obj), 0,
				      SLAB_HWCACHE_ALIGN, NULL);
	if (!obj_cache)
		return -ENOMEM;
	if (!proc_create("slabcache", 0666, NULL, &slabcache_fops)) {
		kmem_cache_destroy(obj_cache);
		return -ENOMEM;
	}
	pr_info("slabcache: cache created\n");
	return 0;
}

static void __exit slabcache_exit(void)
{
	remove_proc_entry("slabcache", NULL);
	while (slabcache_free() == 0)
		;
	kmem_cache_destroy(obj_cache);
	pr_info("slabcache: cache destroyed\n");
}

module_init(slabcache_init);
module_exit(slabcache_exit);
