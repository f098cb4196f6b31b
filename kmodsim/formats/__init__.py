"""Byte-exact renderings of the real tools' output, one file per tool."""
