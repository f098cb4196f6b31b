"""The messages between a grader and the child process that runs one student's machine.

Frames are a 4-byte big-endian length and a JSON document. JSON rather than pickle: the
child runs the student's code, so what it sends back is untrusted, and unpickling it would
run code in the grader. Values are JSON's own types plus bytes, sent as {"$b": base64}.
"""

from __future__ import annotations

import base64
import json
import os
import select
import struct
import time

HEADER = struct.Struct(">I")


class FrameTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a message of {size} bytes (the limit is {limit})")
        self.size = size
        self.limit = limit


def encode(value: object) -> object:
    """A value as JSON can carry it: bytes tagged, tuples as lists."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"can't send a {type(value).__name__}")


def decode(value: object) -> object:
    """The inverse of encode(); builds nothing but bytes, str, numbers, lists, dicts."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"$b"} and isinstance(value["$b"], str):
            return base64.b64decode(value["$b"], validate=True)
        return {k: decode(v) for k, v in value.items()}
    return value


def send(fd: int, message: dict) -> None:
    data = json.dumps(message, separators=(",", ":")).encode()
    data = HEADER.pack(len(data)) + data
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exactly(fd: int, n: int, deadline: float | None = None) -> bytes | None:
    """n bytes from fd, or None at end of file; TimeoutError once time.monotonic() passes
    `deadline`."""
    chunks: list[bytes] = []
    while n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def receive(fd: int, limit: int, deadline: float | None = None) -> dict | None:
    """One message, or None at end of file; FrameTooLarge past `limit` bytes (not read);
    TimeoutError past `deadline` (time.monotonic())."""
    header = read_exactly(fd, HEADER.size, deadline)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > limit:
        raise FrameTooLarge(size, limit)
    data = read_exactly(fd, size, deadline)
    if data is None:
        return None
    message = json.loads(data)
    if not isinstance(message, dict):
        raise ValueError("a message is a JSON object")
    return message
