"""Grading students' modules: each machine in a process of its own (IsolatedMachine), the
helpers teachers assert with (KMachine), and the pytest plugin (kmodsim.grading.plugin).

Module code is ordinary Python running with the rights of whoever runs it: see
docs/grading.md for what isolation contains, and what it doesn't.
"""

from kmodsim.grading.isolated import IsolatedMachine, IsolationError, LimitExceeded, RemoteFile
from kmodsim.grading.kmachine import KMachine, WriteResult
from kmodsim.grading.sandbox import IsolationWarning, Limits

__all__ = ["IsolatedMachine", "IsolationError", "IsolationWarning", "KMachine", "LimitExceeded",
           "Limits", "RemoteFile", "WriteResult"]
