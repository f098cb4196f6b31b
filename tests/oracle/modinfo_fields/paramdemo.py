"""Licence, author, description (no version) and three parameters, each with a
MODULE_PARM_DESC, declared in a known order."""

from kmodsim.kernel import *

MODULE_LICENSE("GPL")
MODULE_AUTHOR("A. Learner <learner@example.com>")
MODULE_DESCRIPTION("Three parameters for modinfo to show")

count = 1
module_param("count", int, 0o644)
MODULE_PARM_DESC("count", "How many times to greet")

name = "world"
module_param("name", "charp", 0o444)
MODULE_PARM_DESC("name", "Whom to greet")

loud = False
module_param("loud", bool, 0)
MODULE_PARM_DESC("loud", "Greet in capitals")


@module_init
def paramdemo_init():
    for _ in range(count):
        if loud:
            pr_info("paramdemo: HELLO, %s!\n", name)
        else:
            pr_info("paramdemo: hello, %s\n", name)
    return 0


@module_exit
def paramdemo_exit():
    pr_info("paramdemo: bye\n")
