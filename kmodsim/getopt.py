"""GNU getopt_long(), as the real tools parse their command lines: permutation, long-option
prefixes, optional arguments, and glibc's error messages (`invalid option -- 'x'`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

# (name, has_arg: 0 none, 1 required, 2 optional, value yielded)
LongOpt = tuple[str, int, str]


class GetoptError(Exception):
    """What glibc's getopt prints after `PROG: ` (the caller adds the program name)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def getopt_long(argv: Sequence[str], shortopts: str, longopts: Sequence[LongOpt] = ()
                ) -> Iterator[tuple[str, str | None]]:
    """Over argv (without the program name): (option, argument) pairs in order, then
    ("", arg) for each operand. Lazy, so that an option is acted on before a later one is
    looked at, as in a C getopt loop. Errors raise GetoptError."""
    operands: list[str] = []
    posix = shortopts.startswith("+") or "POSIXLY_CORRECT" in os.environ
    shortopts = shortopts.lstrip("+")
    i = 0
    n = len(argv)
    while i < n:
        arg = argv[i]
        i += 1
        if arg == "--":
            operands.extend(argv[i:])
            break
        if arg.startswith("--"):
            body = arg[2:]
            name, eq, value = body.partition("=")
            exact = [o for o in longopts if o[0] == name]
            found = exact or [o for o in longopts if o[0].startswith(name)]
            if not found:
                raise GetoptError(f"unrecognized option '--{body}'")
            if len(found) > 1:
                poss = " ".join(f"'--{o[0]}'" for o in found)
                raise GetoptError(f"option '--{body}' is ambiguous; possibilities: {poss}")
            lname, has_arg, val = found[0]
            if eq and has_arg == 0:
                raise GetoptError(f"option '--{lname}' doesn't allow an argument")
            if has_arg == 1 and not eq:
                if i >= n:
                    raise GetoptError(f"option '--{lname}' requires an argument")
                value = argv[i]
                i += 1
            yield val, value if (eq or has_arg == 1) else None
            continue
        if arg.startswith("-") and arg != "-":
            j = 1
            while j < len(arg):
                c = arg[j]
                j += 1
                k = shortopts.find(c)
                if c == ":" or k < 0:
                    raise GetoptError(f"invalid option -- '{c}'")
                colons = shortopts[k + 1:k + 3]
                if colons.startswith(":"):
                    rest = arg[j:]
                    if colons == "::":
                        yield c, rest or None
                    elif rest:
                        yield c, rest
                    elif i < n:
                        yield c, argv[i]
                        i += 1
                    else:
                        raise GetoptError(f"option requires an argument -- '{c}'")
                    break
                yield c, None
            continue
        if posix:
            operands.append(arg)
            operands.extend(argv[i:])
            break
        operands.append(arg)
    for a in operands:
        yield "", a
