"""Parsing a line (bashlex) and expanding its words: `$?`, `$NAME`, `${NAME}`, `$$`,
`$(command)`. Quote removal and field splitting are left to shlex, given the word's text
with each expansion's value escaped for where it stands (inside double quotes or not).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

import bashlex
import bashlex.ast
import bashlex.errors

ParseError = bashlex.errors.ParsingError


def parse(line: str) -> list[bashlex.ast.node]:
    return bashlex.parse(line)


def _quoted_at(text: str, index: int) -> str:
    """The quoting in force at text[index]: '', "'" or '"'."""
    quote = ""
    i = 0
    while i < index:
        c = text[i]
        if quote == "'":
            if c == "'":
                quote = ""
        elif c == "\\":
            i += 1
        elif c == '"':
            quote = "" if quote == '"' else '"'
        elif c == "'" and not quote:
            quote = "'"
        i += 1
    return quote


def _escape(value: str, quote: str) -> str:
    if quote == '"':
        return value.replace("\\", "\\\\").replace('"', '\\"')
    # unquoted: the value's own quotes and backslashes are data; its blanks split fields
    return "".join("\\" + c if c in "\\'\"" else c for c in value)


def expand(line: str, word: bashlex.ast.node, value_of: Callable[[bashlex.ast.node], str]
           ) -> list[str]:
    """The fields a word becomes. `value_of` gives a parameter's or a command
    substitution's value."""
    parts = [p for p in getattr(word, "parts", [])
             if p.kind in ("parameter", "commandsubstitution")]
    if not parts:
        return [word.word]
    start = word.pos[0]
    text = line[start:word.pos[1]]
    out = []
    last = 0
    for part in sorted(parts, key=lambda p: p.pos[0]):
        a, b = part.pos[0] - start, part.pos[1] - start
        quote = _quoted_at(text, a)
        if quote == "'":
            continue  # single quotes: no expansion (bashlex notes none there anyway)
        out.append(text[last:a])
        out.append(_escape(value_of(part), quote))
        last = b
    out.append(text[last:])
    return shlex.split("".join(out))
