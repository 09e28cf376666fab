# SPDX-License-Identifier: MIT
"""A naive pure-Python mmap: a bytearray copy of the file, written back on flush() and close().
No real mapping. What a newcomer might write first; docs/your-implementation.md runs the suite
on it (`--impl naive_mmap:mmap`) to show what a first run looks like."""

import os

ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY = 0, 1, 2, 3
PAGESIZE = ALLOCATIONGRANULARITY = 4096
error = OSError


class mmap:  # noqa: N801 - the stdlib's name
    def __init__(self, fileno, length, access=ACCESS_DEFAULT, offset=0):
        self._fd, self._access, self._offset, self._pos = fileno, access, offset, 0
        if fileno == -1:
            self._data = bytearray(length)
        else:
            size = os.fstat(fileno).st_size
            if length == 0:
                length = size - offset
            if offset + length > size:
                raise ValueError("mmap length is greater than file size")
            self._data = bytearray(os.pread(fileno, length, offset))
        self.closed = False

    def _check(self, writing=False):
        if self.closed:
            raise ValueError("mmap closed or invalid")
        if writing and self._access == ACCESS_READ:
            raise TypeError("mmap can't modify a readonly memory map.")

    def __len__(self):
        self._check()
        return len(self._data)

    def size(self):
        return len(self)

    def tell(self):
        self._check()
        return self._pos

    def seek(self, pos, whence=0):
        self._check()
        new = [pos, self._pos + pos, len(self._data) + pos][whence]
        if not 0 <= new <= len(self._data):
            raise ValueError("seek out of range")
        self._pos = new

    def read(self, n=None):
        self._check()
        end = len(self._data) if n is None or n < 0 else min(self._pos + n, len(self._data))
        out, self._pos = bytes(self._data[self._pos:end]), max(end, self._pos)
        return out

    def read_byte(self):
        self._check()
        if self._pos >= len(self._data):
            raise ValueError("read byte out of range")
        self._pos += 1
        return self._data[self._pos - 1]

    def readline(self):
        self._check()
        end = self._data.find(b"\n", self._pos)
        return self.read(len(self._data) - self._pos if end < 0 else end + 1 - self._pos)

    def write(self, data):
        self._check(writing=True)
        data = bytes(data)
        if self._pos + len(data) > len(self._data):
            raise ValueError("data out of range")
        self._data[self._pos:self._pos + len(data)] = data
        self._pos += len(data)
        return len(data)

    def write_byte(self, byte):
        self.write(bytes([byte]))

    def find(self, sub, start=None, end=None):
        self._check()
        return self._data.find(sub, self._pos if start is None else start, end)

    def rfind(self, sub, start=None, end=None):
        self._check()
        return self._data.rfind(sub, self._pos if start is None else start, end)

    def move(self, dest, src, count):
        self._check(writing=True)
        self._data[dest:dest + count] = self._data[src:src + count]

    def resize(self, newsize):
        self._check(writing=True)
        self._data = self._data[:newsize] + bytearray(max(0, newsize - len(self._data)))
        if self._fd != -1:
            os.ftruncate(self._fd, self._offset + newsize)

    def flush(self, offset=0, size=None):
        self._check()
        if self._fd != -1 and self._access in (ACCESS_DEFAULT, ACCESS_WRITE):
            os.pwrite(self._fd, bytes(self._data), self._offset)

    def madvise(self, option, start=0, length=None):
        self._check()

    def close(self):
        if not self.closed:
            self.flush()
            self.closed = True

    def __getitem__(self, index):
        self._check()
        return self._data[index]

    def __setitem__(self, index, value):
        self._check(writing=True)
        self._data[index] = value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
