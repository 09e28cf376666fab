# SPDX-License-Identifier: MIT
"""Its factory returns something that is not an mmap at all."""


def factory(fileno, length, *args, **kwargs):
    return bytearray(max(length, 0))
