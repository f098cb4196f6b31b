"""Namespace under which loaded modules run: `kmodsim.live.<name>`.

A stable module name lets pickle save references to a module's own functions and classes
(a proc_ops holding its handlers, an instance of a class the module defines) by name, and
find them again when the next command executes the module's stored code.
"""
