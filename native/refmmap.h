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
    REFMMAP_E_MOVE_READONLY = -38,
    REFMMAP_E_DEL_ITEM = -39,       /* del m[i] */
    REFMMAP_E_DEL_SLICE = -40,      /* del m[a:b] */
    REFMMAP_E_GET_KEY = -41,        /* m[key] with a key neither an index nor a slice */
    REFMMAP_E_SET_KEY = -42,        /* m[key] = v with such a key */
    REFMMAP_E_WIN_UNALIGNED = -43,  /* Windows constructor: offset not a multiple of
                                     * REFMMAP_WIN_GRANULARITY (EINVAL) */
    REFMMAP_E_WIN_ANON_EMPTY = -44, /* Windows constructor: an empty anonymous map (EINVAL) */
    REFMMAP_E_WIN_EXTEND_READ = -45,/* Windows constructor: ACCESS_READ past the file's end (EACCES) */
    REFMMAP_E_WIN_TOO_BIG = -46,    /* Windows constructor: offset + length past an off_t */
    REFMMAP_E_TAG_NUL = -47,        /* Windows constructor: a new tag's name holds a NUL */
    REFMMAP_E_OS_FILE = -48         /* a system call preparing the file failed (fstat, ftruncate,
                                     * memfd_create), not the mapping itself; see errno */
};

/* What refmmap_run() answers besides REFMMAP_OK (the op ran to its end) and an error code:
 * a REFMMAP_STEP_CONVERT* step code (the Python layer's turn: it converts, then calls again),
 * or REFMMAP_DONE (the op returned early; its result, if any, is in the call). */
enum {
    REFMMAP_DONE = 100,
    REFMMAP_AUDIT = 101  /* the constructor's turn for the mmap.__new__ audit event (3.8+): the
                          * Python layer raises it with the ctor's fd, length, access, offset,
                          * then calls again (or refmmap_ctor_cancel() if a hook raised) */
};

/* The operations whose checks run in a profile's order (refmmap_run). */
enum {
    REFMMAP_OP_GETITEM = 0,         /* m[i]: a[0] the index; out the byte */
    REFMMAP_OP_GETSLICE = 1,        /* m[a:b:c]: a[0..2] start, stop, step (given bits 0, 1) */
    REFMMAP_OP_GETSLICE_NOSTEP = 2, /* m[a:b]: no step (2.7's sq_slice) */
    REFMMAP_OP_GETKEY = 3,          /* m[key] of any other key */
    REFMMAP_OP_SETITEM = 4,         /* m[i] = v: a[0] the index, a[1] the value; flags 1: del */
    REFMMAP_OP_SETSLICE = 5,        /* m[a:b:c] = src; flags 1: del */
    REFMMAP_OP_SETSLICE_NOSTEP = 6,
    REFMMAP_OP_SETKEY = 7,
    REFMMAP_OP_READ = 8,            /* a[0] n (negative: the rest); start, count the bytes */
    REFMMAP_OP_WRITE = 9,           /* src */
    REFMMAP_OP_WRITE_BYTE = 10,     /* a[0] the byte */
    REFMMAP_OP_SEEK = 11,           /* a[0] distance, flags whence; out the new position */
    REFMMAP_OP_FLUSH = 12,          /* a[0] offset, a[1] size (given bit 1), flags msync flags */
    REFMMAP_OP_MOVE = 13,           /* a[0] dest, a[1] src, a[2] count */
    REFMMAP_OP_FIND = 14,           /* src needle, a[0] start, a[1] end (given bits 0, 1),
                                     * flags 1: rfind; out the index or -1 */
    REFMMAP_OP_MADVISE = 15,        /* flags option, a[0] start, a[1] length (given bit 1) */
    REFMMAP_OP_RESIZE = 16,         /* a[0] new size */
    REFMMAP_OP_COUNT = 17
};

/* The steps of an op, in a profile's order (catalogue 1.E, 1.T: an argument's __index__ may
 * close or resize the map while it is converted, so where each check sits is observable). */
enum {
    REFMMAP_STEP_END = 0,
    REFMMAP_STEP_CONVERT = 1,       /* Python: the arguments (or the rest of them; a key) */
    REFMMAP_STEP_CONVERT_FIRST = 2, /* Python: the first argument only */
    REFMMAP_STEP_CONVERT_VALUE = 3, /* Python: an assigned item value or buffer */
    REFMMAP_STEP_VALID = 4,         /* closed: REFMMAP_E_CLOSED */
    REFMMAP_STEP_DEFAULTS = 5,      /* arguments not given take the map's position / size now */
    REFMMAP_STEP_RANGE = 6,         /* the index / seek target / flush range against the size */
    REFMMAP_STEP_DELETE = 7,        /* del m[...] */
    REFMMAP_STEP_VALUE = 8,         /* an item value in range(0, 256) */
    REFMMAP_STEP_SIZE = 9,          /* a slice assignment's length */
    REFMMAP_STEP_EMPTY = 10,        /* nothing to do: returns at once */
    REFMMAP_STEP_UNINIT = 11,       /* <= 3.10: a closed map's NULL data reads as zeros */
    REFMMAP_STEP_WRITABLE = 12,     /* ACCESS_READ: the op's readonly code */
    REFMMAP_STEP_EOF = 13,          /* write_byte() at or past the end */
    REFMMAP_STEP_WHENCE = 14,
    REFMMAP_STEP_BOUNDS = 15,       /* move()'s ranges */
    REFMMAP_STEP_CLAMP = 16,        /* find()'s bounds into [0, size] */
    REFMMAP_STEP_SHORT = 17,        /* <= 3.10 find(): a range shorter than the needle */
    REFMMAP_STEP_NOOP = 18,         /* flush() of an ACCESS_READ/COPY map */
    REFMMAP_STEP_MSYNC = 19,        /* msync() / madvise() / mremap() of a closed map's NULL */
    REFMMAP_STEP_ADVISE = 20,
    REFMMAP_STEP_MREMAP = 21,
    REFMMAP_STEP_START = 22,        /* madvise()'s start */
    REFMMAP_STEP_LENGTH = 23,       /* madvise()'s length */
    REFMMAP_STEP_NEGLENGTH = 24,    /* 3.14 madvise(): a negative length as it is converted */
    REFMMAP_STEP_RESIZEABLE = 25,
    REFMMAP_STEP_NEWSIZE = 26,
    REFMMAP_STEP_ADJUST = 27        /* a slice's bounds against the size now, once more */
};

#define REFMMAP_STEPS_MAX 10

/* A CPython release's behaviour as data: each op's steps (REFMMAP_STEP_END-terminated) and
 * the differences that are not an order. Filled by refmmap_profile_init() from the release. */
typedef struct refmmap_profile {
    int version[3];
    unsigned char order[17][10];   /* [REFMMAP_OP_COUNT][REFMMAP_STEPS_MAX] */
    int setitem_checks_first;      /* item assignment checks "closed" last (3.13.18, 3.14.10) */
    int shared_anon_grow_refused;  /* gh-138204: a shared anonymous map does not grow */
    int flush_to_end;              /* 3.15: flush(offset, -1) flushes to the end */
    int find_empty_past_end;       /* 3.15: find(b"", start > len) is -1 */
    int anon_size;                 /* 3.15: size() of an anonymous map is its length */
    int audit;                     /* 3.8: the constructor raises the mmap.__new__ audit event */
} refmmap_profile_t;

/* One call of an op, walked by refmmap_run() and resumed after each conversion. */
typedef struct refmmap_call {
    int op;             /* REFMMAP_OP_* */
    int step;           /* the index of the next step in the op's order */
    int ready;          /* the Python layer converted every argument before the walk (plain
                         * ints: nothing to call back into), so conversion steps pass */
    int given;          /* bit i: a[i] was passed (else REFMMAP_STEP_DEFAULTS fills it) */
    int flags;          /* whence, madvise option, msync flags, rfind, del */
    ssize_t a[3];       /* the integer arguments, as the op names them */
    const char *src;    /* the bytes argument: written, assigned, or searched for */
    ssize_t srclen;
    ssize_t start, stride, count;  /* the bytes a read or slice covers */
    ssize_t out;        /* a result: the byte, position or index */
    int reent;          /* the op went on with the map its argument closed (seek, flush) */
} refmmap_call_t;

/* set_name(): the kernel takes 80 bytes with the NUL, CPython prefixes "cpython:mmap:". */
#define REFMMAP_NAME_MAX 66

enum {
    REFMMAP_ACCESS_DEFAULT = 0,
    REFMMAP_ACCESS_READ = 1,
    REFMMAP_ACCESS_WRITE = 2,
    REFMMAP_ACCESS_COPY = 3
};

/* Windows maps views at multiples of the allocation granularity, not of the page size. */
#define REFMMAP_WIN_GRANULARITY 65536

/* The constructor arguments passed (by position or name): the branch's clause depends on them. */
enum {
    REFMMAP_GIVEN_FLAGS = 1,
    REFMMAP_GIVEN_PROT = 2,
    REFMMAP_GIVEN_ACCESS = 4,
    REFMMAP_GIVEN_OFFSET = 8
};

/* One constructor call, converted by the Python layer and run by refmmap_construct() (Unix) or
 * refmmap_construct_windows(), resumed after the audit event. */
typedef struct refmmap_ctor {
    int fd;             /* fileno; after the Windows preparation, the descriptor mapped */
    ssize_t length;     /* after the Windows preparation, the length mapped */
    int flags;          /* Unix, if given: MAP_SHARED otherwise */
    int prot;           /* Unix, if given: PROT_READ | PROT_WRITE otherwise */
    int access;
    int64_t offset;
    int trackfd;        /* Unix (3.13+); Windows maps always keep their descriptor */
    int given;          /* REFMMAP_GIVEN_* */
    int tag_fd;         /* Windows: the descriptor of a live map of the tag, or -1 */
    const char *tag;    /* Windows: the tag's name (names a new anonymous map's memfd), or NULL */
    ssize_t taglen;
    int stage;          /* 0: from the start; 1: after the audit event */
    int owned;          /* Windows: the memfd behind a new anonymous map until it is mapped */
    const char *clause; /* out: the constructor's branch (also a REFMMAP_E_OS's clause) */
} refmmap_ctor_t;

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
 * REFMMAP_OK, REFMMAP_E_BADARG, REFMMAP_E_OS (whose clause is the caller's branch) and the
 * errors of preparing a Windows map's file (REFMMAP_E_OS_FILE, _WIN_TOO_BIG, _TAG_NUL: no
 * mmap check's, as CPython meets them in the OS or in argument conversion). */
const char *refmmap_clause(int code);
long refmmap_pagesize(void);
int refmmap_constant(const char *name, long *out);

int refmmap_open(refmmap_t *m, int fd, ssize_t length, int flags, int prot, int access,
                 int64_t offset, int trackfd);
/* The constructor as a profile runs it: defaults, the branch's clause, the audit event's turn
 * (REFMMAP_AUDIT), then refmmap_open(). */
int refmmap_construct(const refmmap_profile_t *p, refmmap_t *m, refmmap_ctor_t *c);
/* The Windows constructor emulated on Linux: its argument checks, an existing tag's memory
 * (c->tag_fd) or a new anonymous map's memfd, the file extended to the map, then as above. */
int refmmap_construct_windows(const refmmap_profile_t *p, refmmap_t *m, refmmap_ctor_t *c);
/* Releases what a constructor stopped at REFMMAP_AUDIT holds (a new anonymous map's memfd). */
void refmmap_ctor_cancel(refmmap_ctor_t *c);
int refmmap_close(refmmap_t *m);
int refmmap_check_valid(const refmmap_t *m);
int refmmap_is_writable(const refmmap_t *m);
int refmmap_is_resizeable(const refmmap_t *m);
int refmmap_export(refmmap_t *m, int delta);

int refmmap_getbyte(const refmmap_t *m, ssize_t i, unsigned char *out);
/* Item i >= 0 of the sequence protocol (iteration, `in`, reversed()): the byte (0-255), else
 * the error code (REFMMAP_E_INDEX past the end); one call per item, no out cell. */
int refmmap_item(const refmmap_t *m, ssize_t i);
/* `b in m` as walking the items finds it, for a 1-byte bytes b (`byte`: its value) or an
 * object no item equals (`byte` outside 0-255): 1 or 0, else item 0's error (a closed map);
 * the walk in one memchr. */
int refmmap_holds(const refmmap_t *m, int byte);
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
/* version: "3.13.18"; unknown releases take the newest profile not newer than them. */
int refmmap_profile_init(refmmap_profile_t *p, const char *version);
/* The per-release tables, read by the Python layer (impls/profiles.py) so it restates none of
 * them: entry i's name into *name, and 1 if profile p has it, 0 if not; REFMMAP_E_BADARG past
 * the last entry. Features are what a release has (native/refmmap.c `features`), constants the
 * module's names this platform defines (refmmap_constant() gives their values). */
int refmmap_feature_at(const refmmap_profile_t *p, int i, const char **name);
int refmmap_constant_at(const refmmap_profile_t *p, int i, const char **name);
/* Runs call->op's steps from call->step on, in the profile's order, then the op itself. */
int refmmap_run(const refmmap_profile_t *p, refmmap_t *m, refmmap_call_t *call);
/* The position / length of an open map, or REFMMAP_E_CLOSED. */
ssize_t refmmap_tell(const refmmap_t *m);
ssize_t refmmap_length(const refmmap_t *m);
int refmmap_madvise(refmmap_t *m, int option, ssize_t start, ssize_t length);
