/* SPDX-License-Identifier: MIT */
/* refmmap: the C layer of the reference mmap (memory work and bounds checks, no Python).
 * Plain declarations only, so cffi can read this file as its cdef. */

/* Every operation returns REFMMAP_OK or one of these; each code is one Python exception
 * (see impls/reference.py _ERRORS) and names the catalogue clause of its check
 * (refmmap_clause()). REFMMAP_E_OS leaves errno as the failing call set it. */
enum {
    REFMMAP_OK = 0,
    REFMMAP_E_CLOSED = -1,          /* the map is closed */
    REFMMAP_E_READONLY = -2,        /* mutation of an ACCESS_READ map */
    REFMMAP_E_EXPORTS_CLOSE = -3,   /* close() while buffers are exported */
    REFMMAP_E_EXPORTS_RESIZE = -4,  /* resize() while buffers are exported */
    REFMMAP_E_INDEX = -5,           /* item index out of range */
    REFMMAP_E_VALUE = -6,           /* item value not in range(0, 256) */
    REFMMAP_E_SLICE_SIZE = -7,      /* slice assignment of the wrong size */
    REFMMAP_E_READ_BYTE = -8,       /* read_byte() at or past the end */
    REFMMAP_E_WRITE_BYTE = -9,      /* write_byte() at or past the end */
    REFMMAP_E_DATA = -10,           /* write() past the end */
    REFMMAP_E_SEEK = -11,           /* seek() target out of range */
    REFMMAP_E_WHENCE = -12,         /* seek() whence not 0, 1 or 2 */
    REFMMAP_E_FLUSH = -13,          /* flush() range out of the map */
    REFMMAP_E_MOVE = -14,           /* move() range out of the map */
    REFMMAP_E_NEWSIZE = -15,        /* resize() to a negative or huge size */
    REFMMAP_E_NORESIZE = -16,       /* resize() of an ACCESS_READ or ACCESS_COPY map */
    REFMMAP_E_TRACKFD = -17,        /* resize() of a trackfd=False map */
    REFMMAP_E_SHARED_ANON = -18,    /* growing a shared anonymous map (Linux cannot) */
    REFMMAP_E_MADV_START = -19,
    REFMMAP_E_MADV_LENGTH = -20,
    REFMMAP_E_MADV_OVERFLOW = -21,
    REFMMAP_E_LENGTH_NEG = -22,     /* constructor: length < 0 */
    REFMMAP_E_OFFSET_NEG = -23,     /* constructor: offset < 0 */
    REFMMAP_E_CONFLICT = -24,       /* constructor: access together with flags/prot */
    REFMMAP_E_ACCESS = -25,         /* constructor: access not one of ACCESS_* */
    REFMMAP_E_EMPTY = -26,          /* constructor: length 0 on an empty file */
    REFMMAP_E_OFFSET_GT = -27,      /* constructor: length 0 and offset >= file size */
    REFMMAP_E_LENGTH_GT = -28,      /* constructor: offset + length > file size */
    REFMMAP_E_TOO_LARGE = -29,      /* constructor: file too large for the address space */
    REFMMAP_E_BADARG = -30,         /* a NULL or negative argument the Python layer never passes */
    REFMMAP_E_OS = -31,             /* a system call failed; see errno */
    REFMMAP_E_SIZE_TRACKFD = -32,   /* size() of a trackfd=False map (3.15) */
    REFMMAP_E_NAME_LONG = -33,      /* set_name(): more than REFMMAP_NAME_MAX bytes */
    REFMMAP_E_NOT_ANON = -34,       /* set_name() of a file map */
    REFMMAP_E_SET_INDEX = -35,      /* item assignment: index out of range */
    REFMMAP_E_WRITE_READONLY = -36, /* write() on an ACCESS_READ map */
    REFMMAP_E_WRITE_BYTE_READONLY = -37,
    REFMMAP_E_MOVE_READONLY = -38
};

/* set_name(): the kernel takes 80 bytes with the NUL, CPython prefixes "cpython:mmap:". */
#define REFMMAP_NAME_MAX 66

enum {
    REFMMAP_ACCESS_DEFAULT = 0,
    REFMMAP_ACCESS_READ = 1,
    REFMMAP_ACCESS_WRITE = 2,
    REFMMAP_ACCESS_COPY = 3
};

/* One map. Fields are read by the Python layer but written only by refmmap_* calls. */
typedef struct refmmap {
    char *data;       /* NULL once closed */
    ssize_t size;     /* mapped length; kept by close(), as CPython keeps it (catalogue 1.T) */
    ssize_t pos;      /* current position, may exceed size after a shrink; kept by close() */
    ssize_t created;  /* the length mmap(2) was called with (shared anonymous growth) */
    int64_t offset;   /* file offset of data[0] */
    int access;       /* REFMMAP_ACCESS_*, resolved from prot when DEFAULT */
    int flags;        /* the MAP_* flags given to mmap(2) */
    int prot;
    int fd;           /* our own dup, or -1 (anonymous, or trackfd=0) */
    int anonymous;
    int trackfd;
    ssize_t exports;  /* live buffer exports */
} refmmap_t;

const char *refmmap_version(void);
/* The clause id (conformance/clauses.toml) of the check that returns `code`; NULL for
 * REFMMAP_OK, REFMMAP_E_BADARG and REFMMAP_E_OS (whose clause is the caller's branch). */
const char *refmmap_clause(int code);
long refmmap_pagesize(void);
int refmmap_constant(const char *name, long *out);

int refmmap_open(refmmap_t *m, int fd, ssize_t length, int flags, int prot, int access,
                 int64_t offset, int trackfd);
int refmmap_close(refmmap_t *m);
int refmmap_check_valid(const refmmap_t *m);
int refmmap_is_writable(const refmmap_t *m);
int refmmap_is_resizeable(const refmmap_t *m);
int refmmap_export(refmmap_t *m, int delta);

int refmmap_getbyte(const refmmap_t *m, ssize_t i, unsigned char *out);
int refmmap_setbyte(refmmap_t *m, ssize_t i, ssize_t value);
int refmmap_get_slice(const refmmap_t *m, ssize_t start, ssize_t step, ssize_t count, char *out);
int refmmap_set_slice(refmmap_t *m, ssize_t start, ssize_t step, ssize_t count,
                      const char *src, ssize_t srclen);
int refmmap_read(refmmap_t *m, ssize_t n, ssize_t *start, ssize_t *count);
int refmmap_read_byte(refmmap_t *m, unsigned char *out);
int refmmap_readline(refmmap_t *m, ssize_t *start, ssize_t *count);
int refmmap_write(refmmap_t *m, const char *src, ssize_t n);
int refmmap_write_byte(refmmap_t *m, unsigned char value);
int refmmap_seek(refmmap_t *m, ssize_t dist, int whence);
/* anon_size: an anonymous map's size is its length, trackfd=False an error (3.15); 0 asks the
 * descriptor, which such maps do not have (EBADF, as CPython <= 3.14). */
int refmmap_size(const refmmap_t *m, int64_t *out, int anon_size);
/* grow_anon: a shared anonymous map may grow within the pages it was created with (CPython
 * <= 3.13 lets it; beyond them the real one faults); 0 refuses any growth (the fixed CPython). */
int refmmap_resize(refmmap_t *m, ssize_t newsize, int grow_anon);
int refmmap_move(refmmap_t *m, ssize_t dest, ssize_t src, ssize_t count);
/* flags: msync() flags; 0 is MS_SYNC. */
int refmmap_flush(refmmap_t *m, ssize_t offset, ssize_t size, int flags);
/* Names an anonymous map for /proc/PID/maps where the kernel can (3.15); no closed check. */
int refmmap_set_name(refmmap_t *m, const char *name, ssize_t len);
int refmmap_find(const refmmap_t *m, const char *needle, ssize_t nlen, ssize_t start,
                 ssize_t end, int reverse, ssize_t *out);
int refmmap_madvise(refmmap_t *m, int option, ssize_t start, ssize_t length);
