/* SPDX-License-Identifier: MIT */
/* refmmap: the C layer of the reference mmap. It maps, unmaps, bounds-checks and copies;
 * argument conversion and exceptions are the Python layer's job (impls/reference.py). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "refmmap.h"

#ifndef REFMMAP_VERSION
#define REFMMAP_VERSION "unversioned"
#endif

#define SSIZE_MAX_ ((ssize_t)(SIZE_MAX >> 1))

#if defined(__SANITIZE_ADDRESS__)
#define REFMMAP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REFMMAP_ASAN 1
#endif
#endif

#ifdef REFMMAP_ASAN
#include <dlfcn.h>
#endif

/* Copies inside or into the map. Whether a copy onto itself writes is observable: a write
 * un-shares a copy-on-write page, so later writes to the file no longer show. glibc's memmove
 * writes small self-copies and skips large ones; ASan's replacement skips all of them. So the
 * sanitized build lets ASan check the range, then hands a self-copy to libc's own memmove,
 * and both builds behave as the C library that CPython uses does. */
static void copy_bytes(char *dst, const char *src, size_t n)
{
    if (n == 0)
        return;  /* an empty source may be NULL, which memmove must not be given */
    memmove(dst, src, n);
#ifdef REFMMAP_ASAN
    if (dst == src) {
        static void *(*libc_memmove)(void *, const void *, size_t);
        if (libc_memmove == NULL) {
            void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
            if (libc != NULL)
                *(void **)&libc_memmove = dlsym(libc, "memmove");
        }
        if (libc_memmove != NULL)
            libc_memmove(dst, src, n);
    }
#endif
}

/* Re-checked after every step that could have invalidated the map. */
#define REFMMAP_CHECK_VALID(m)                \
    do {                                      \
        if ((m) == NULL || (m)->data == NULL) \
            return REFMMAP_E_CLOSED;          \
    } while (0)

const char *refmmap_version(void) { return REFMMAP_VERSION; }

/* Each check's claim: the catalogue clause an error code reports. */
static const char *const clauses[] = {
    [-REFMMAP_E_CLOSED] = "after-close.raise",
    [-REFMMAP_E_READONLY] = "setitem.readonly",
    [-REFMMAP_E_EXPORTS_CLOSE] = "buffer.close-exported",
    [-REFMMAP_E_EXPORTS_RESIZE] = "buffer.resize-exported",
    [-REFMMAP_E_INDEX] = "getitem.oob",
    [-REFMMAP_E_VALUE] = "setitem.range",
    [-REFMMAP_E_SLICE_SIZE] = "setslice.wrong-size",
    [-REFMMAP_E_READ_BYTE] = "read_byte",
    [-REFMMAP_E_WRITE_BYTE] = "write_byte.eof",
    [-REFMMAP_E_DATA] = "write.past-end",
    [-REFMMAP_E_SEEK] = "seek.oob",
    [-REFMMAP_E_WHENCE] = "seek.whence-bad",
    [-REFMMAP_E_FLUSH] = "flush.range-check",
    [-REFMMAP_E_MOVE] = "move.bounds",
    [-REFMMAP_E_NEWSIZE] = "resize.negative",
    [-REFMMAP_E_NORESIZE] = "resize.readonly-copy",
    [-REFMMAP_E_TRACKFD] = "resize.trackfd-false",
    [-REFMMAP_E_SHARED_ANON] = "resize.anon-shared-grow",
    [-REFMMAP_E_MADV_START] = "madvise.start",
    [-REFMMAP_E_MADV_LENGTH] = "madvise.length",
    [-REFMMAP_E_MADV_OVERFLOW] = "madvise.overflow",
    [-REFMMAP_E_LENGTH_NEG] = "ctor.length.negative",
    [-REFMMAP_E_OFFSET_NEG] = "ctor.offset.negative",
    [-REFMMAP_E_CONFLICT] = "ctor.access.conflict",
    [-REFMMAP_E_ACCESS] = "ctor.access.invalid",
    [-REFMMAP_E_EMPTY] = "ctor.file.empty",
    [-REFMMAP_E_OFFSET_GT] = "ctor.offset.ge-size-length0",
    [-REFMMAP_E_LENGTH_GT] = "ctor.file.length-gt-size",
    [-REFMMAP_E_TOO_LARGE] = "ctor.too-large",
    [-REFMMAP_E_SIZE_TRACKFD] = "size.trackfd-false",
    [-REFMMAP_E_NAME_LONG] = "set_name",
    [-REFMMAP_E_NOT_ANON] = "set_name",
    [-REFMMAP_E_SET_INDEX] = "setitem.oob",
    [-REFMMAP_E_WRITE_READONLY] = "write.readonly",
    [-REFMMAP_E_WRITE_BYTE_READONLY] = "write_byte.readonly",
    [-REFMMAP_E_MOVE_READONLY] = "move.readonly",
    [-REFMMAP_E_DEL_ITEM] = "delitem",
    [-REFMMAP_E_DEL_SLICE] = "delitem",
    [-REFMMAP_E_GET_KEY] = "getitem.badkey",
    [-REFMMAP_E_SET_KEY] = "setitem.badkey",
    [-REFMMAP_E_WIN_UNALIGNED] = "ctor.offset.unaligned",
    [-REFMMAP_E_WIN_ANON_EMPTY] = "ctor.anon.zero-length",
    [-REFMMAP_E_WIN_EXTEND_READ] = "doc.win.length-extends-file",
};

const char *refmmap_clause(int code)
{
    if (code >= 0 || -code >= (int)(sizeof(clauses) / sizeof(clauses[0])))
        return NULL;
    return clauses[-code];
}

long refmmap_pagesize(void) { return sysconf(_SC_PAGESIZE); }

/* Names the Python layer asks for, with the first release that has each on Linux
 * (mod.map-consts); a name missing here is absent on this platform. */
static const struct { const char *name; long value; const char *since; } constants[] = {
    {"MAP_SHARED", MAP_SHARED, "2.7"}, {"MAP_PRIVATE", MAP_PRIVATE, "2.7"},
    {"MAP_ANON", MAP_ANONYMOUS, "2.7"}, {"MAP_ANONYMOUS", MAP_ANONYMOUS, "2.7"},
#ifdef MAP_DENYWRITE
    {"MAP_DENYWRITE", MAP_DENYWRITE, "2.7"},
#endif
#ifdef MAP_EXECUTABLE
    {"MAP_EXECUTABLE", MAP_EXECUTABLE, "2.7"},
#endif
    {"PROT_READ", PROT_READ, "2.7"}, {"PROT_WRITE", PROT_WRITE, "2.7"},
    {"PROT_EXEC", PROT_EXEC, "2.7"},
#ifdef MAP_POPULATE
    {"MAP_POPULATE", MAP_POPULATE, "3.10"},
#endif
#ifdef MAP_STACK
    {"MAP_STACK", MAP_STACK, "3.11"},
#endif
#ifdef MAP_NORESERVE
    {"MAP_NORESERVE", MAP_NORESERVE, "3.13"},
#endif
#ifdef MAP_32BIT
    {"MAP_32BIT", MAP_32BIT, "3.13"},
#endif
    {"MADV_NORMAL", MADV_NORMAL, "3.8"}, {"MADV_RANDOM", MADV_RANDOM, "3.8"},
    {"MADV_SEQUENTIAL", MADV_SEQUENTIAL, "3.8"}, {"MADV_WILLNEED", MADV_WILLNEED, "3.8"},
    {"MADV_DONTNEED", MADV_DONTNEED, "3.8"},
#ifdef MADV_REMOVE
    {"MADV_REMOVE", MADV_REMOVE, "3.8"},
#endif
#ifdef MADV_DONTFORK
    {"MADV_DONTFORK", MADV_DONTFORK, "3.8"}, {"MADV_DOFORK", MADV_DOFORK, "3.8"},
#endif
#ifdef MADV_HWPOISON
    {"MADV_HWPOISON", MADV_HWPOISON, "3.8"},
#endif
#ifdef MADV_MERGEABLE
    {"MADV_MERGEABLE", MADV_MERGEABLE, "3.8"}, {"MADV_UNMERGEABLE", MADV_UNMERGEABLE, "3.8"},
#endif
#ifdef MADV_SOFT_OFFLINE
    {"MADV_SOFT_OFFLINE", MADV_SOFT_OFFLINE, "3.8"},
#endif
#ifdef MADV_HUGEPAGE
    {"MADV_HUGEPAGE", MADV_HUGEPAGE, "3.8"}, {"MADV_NOHUGEPAGE", MADV_NOHUGEPAGE, "3.8"},
#endif
#ifdef MADV_DONTDUMP
    {"MADV_DONTDUMP", MADV_DONTDUMP, "3.8"}, {"MADV_DODUMP", MADV_DODUMP, "3.8"},
#endif
#ifdef MADV_FREE
    {"MADV_FREE", MADV_FREE, "3.8"},
#endif
    {"MS_SYNC", MS_SYNC, "3.15"}, {"MS_ASYNC", MS_ASYNC, "3.15"},
    {"MS_INVALIDATE", MS_INVALIDATE, "3.15"},
};

int refmmap_constant(const char *name, long *out)
{
    size_t i;
    if (name == NULL || out == NULL)
        return REFMMAP_E_BADARG;
    for (i = 0; i < sizeof(constants) / sizeof(constants[0]); i++) {
        if (strcmp(constants[i].name, name) == 0) {
            *out = constants[i].value;
            return REFMMAP_OK;
        }
    }
    return REFMMAP_E_BADARG;
}

/* Checks run in CPython's order, so the first error reported is the one CPython reports. */
int refmmap_open(refmmap_t *m, int fd, ssize_t length, int flags, int prot, int access,
                 int64_t offset, int trackfd)
{
    struct stat st;
    int own_fd = -1;
    void *data;

    if (m == NULL)
        return REFMMAP_E_BADARG;
    memset(m, 0, sizeof(*m));
    m->fd = -1;
    if (length < 0)
        return REFMMAP_E_LENGTH_NEG;
    if (offset < 0)
        return REFMMAP_E_OFFSET_NEG;
    if (access != REFMMAP_ACCESS_DEFAULT &&
        (flags != MAP_SHARED || prot != (PROT_READ | PROT_WRITE)))
        return REFMMAP_E_CONFLICT;
    switch (access) {
    case REFMMAP_ACCESS_READ:
        flags = MAP_SHARED;
        prot = PROT_READ;
        break;
    case REFMMAP_ACCESS_WRITE:
        break;
    case REFMMAP_ACCESS_COPY:
        flags = MAP_PRIVATE;
        break;
    case REFMMAP_ACCESS_DEFAULT:
        /* Without PROT_WRITE the map is read-only, with PROT_WRITE alone it is write-through. */
        if (!(prot & PROT_WRITE))
            access = REFMMAP_ACCESS_READ;
        else if (!(prot & PROT_READ))
            access = REFMMAP_ACCESS_WRITE;
        break;
    default:
        return REFMMAP_E_ACCESS;
    }

    /* Size checks apply to regular files only; a failing fstat is left for dup/mmap to report. */
    if (fd != -1 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        if (length == 0) {
            if (st.st_size == 0)
                return REFMMAP_E_EMPTY;
            if (offset >= st.st_size)
                return REFMMAP_E_OFFSET_GT;
            if (st.st_size - offset > (int64_t)SSIZE_MAX_)
                return REFMMAP_E_TOO_LARGE;
            length = (ssize_t)(st.st_size - offset);
        } else if (offset > st.st_size || st.st_size - offset < (int64_t)length) {
            return REFMMAP_E_LENGTH_GT;
        }
    }

    if (fd == -1) {
        flags |= MAP_ANONYMOUS;
    } else if (trackfd) {
        own_fd = dup(fd);
        if (own_fd == -1)
            return REFMMAP_E_OS;
    }
    data = mmap(NULL, (size_t)length, prot, flags, fd, (off_t)offset);
    if (data == MAP_FAILED) {
        int saved = errno;
        if (own_fd != -1)
            close(own_fd);
        errno = saved;
        return REFMMAP_E_OS;
    }
    m->data = data;
    m->size = length;
    m->created = length;
    m->offset = offset;
    m->access = access;
    m->flags = flags;
    m->prot = prot;
    m->fd = own_fd;
    m->anonymous = fd == -1;
    m->trackfd = trackfd != 0;
    return REFMMAP_OK;
}

/* The constructor's branch as the catalogue splits it: an explicitly passed argument picks its
 * clause, as the rules that pass it mean it to. */
static const char *ctor_clause(const refmmap_ctor_t *c)
{
    static const char *const by_access[] = {"access.DEFAULT", "access.READ", "access.WRITE",
                                            "access.COPY"};
    if (c->fd == -1)
        return c->length == 0 ? "ctor.anon.zero-length" : c->offset ? "ctor.anon.offset"
                                                                   : "ctor.anon";
    if (c->given & REFMMAP_GIVEN_OFFSET)
        return "ctor.offset.aligned";
    if (c->given & REFMMAP_GIVEN_PROT)
        return "ctor.prot.to-access";
    if (c->given & REFMMAP_GIVEN_FLAGS)
        return "ctor.flags.private";
    if ((c->given & REFMMAP_GIVEN_ACCESS) && c->access >= 0 && c->access <= 3)
        return by_access[c->access];
    return c->length == 0 ? "ctor.file.length0" : "ctor.file.length-lt-size";
}

void refmmap_ctor_cancel(refmmap_ctor_t *c)
{
    if (c != NULL && c->owned != -1) {
        int saved = errno;
        close(c->owned);
        c->owned = -1;
        errno = saved;
    }
}

/* A constructor's first call: the map reads as closed (no descriptor to close) until it opens. */
static void ctor_start(refmmap_t *m, refmmap_ctor_t *c)
{
    memset(m, 0, sizeof(*m));
    m->fd = -1;
    c->owned = -1;
}

/* The audit event's turn, then the map. */
static int ctor_finish(const refmmap_profile_t *p, refmmap_t *m, refmmap_ctor_t *c, int audited)
{
    int rc;
    if (c->stage == 0 && p->audit && audited) {
        c->stage = 1;
        return REFMMAP_AUDIT;
    }
    /* mmap(2) refuses an offset off the page grid: EINVAL, the unaligned offset's clause. */
    if (c->offset % refmmap_pagesize() != 0 && (strcmp(c->clause, "ctor.offset.aligned") == 0 ||
                                                strcmp(c->clause, "ctor.anon.offset") == 0))
        c->clause = "ctor.offset.unaligned";
    rc = refmmap_open(m, c->fd, c->length, c->flags, c->prot, c->access, c->offset, c->trackfd);
    refmmap_ctor_cancel(c);  /* the map holds its own dup of a memfd */
    return rc;
}

int refmmap_construct(const refmmap_profile_t *p, refmmap_t *m, refmmap_ctor_t *c)
{
    int conflict;
    if (p == NULL || m == NULL || c == NULL)
        return REFMMAP_E_BADARG;
    if (c->stage == 0) {
        ctor_start(m, c);
        if (!(c->given & REFMMAP_GIVEN_FLAGS))
            c->flags = MAP_SHARED;
        if (!(c->given & REFMMAP_GIVEN_PROT))
            c->prot = PROT_READ | PROT_WRITE;
        c->clause = ctor_clause(c);
    }
    /* Audited after CPython's argument checks (refmmap_open's first ones), before the file is
     * looked at. */
    conflict = c->access != REFMMAP_ACCESS_DEFAULT &&
               (c->flags != MAP_SHARED || c->prot != (PROT_READ | PROT_WRITE));
    return ctor_finish(p, m, c, c->length >= 0 && c->offset >= 0 && c->access >= 0 &&
                                c->access <= 3 && !conflict);
}

/* A file error's errno survives closing what was opened for it. */
static int os_file_error(refmmap_ctor_t *c)
{
    refmmap_ctor_cancel(c);
    return REFMMAP_E_OS_FILE;
}

int refmmap_construct_windows(const refmmap_profile_t *p, refmmap_t *m, refmmap_ctor_t *c)
{
    struct stat st;
    int64_t end;
    if (p == NULL || m == NULL || c == NULL)
        return REFMMAP_E_BADARG;
    if (c->stage != 0)
        return ctor_finish(p, m, c, 1);
    ctor_start(m, c);
    c->flags = MAP_SHARED;  /* Windows has no flags, prot or trackfd */
    c->prot = PROT_READ | PROT_WRITE;
    c->trackfd = 1;
    if (c->length < 0)
        return REFMMAP_E_LENGTH_NEG;
    if (c->offset < 0)
        return REFMMAP_E_OFFSET_NEG;
    if (c->access < 0 || c->access > 3)
        return REFMMAP_E_ACCESS;
    if (c->offset % REFMMAP_WIN_GRANULARITY != 0)
        return REFMMAP_E_WIN_UNALIGNED;
    c->clause = ctor_clause(c);
    /* offset + length as a file size (an off_t), where the map needs the file extended. */
    end = c->offset > INT64_MAX - c->length ? -1 : c->offset + c->length;
    if (c->tag_fd != -1) {
        /* An existing tag is opened whatever file was passed: the maps share memory. */
        c->fd = c->tag_fd;
        if (c->length == 0) {
            if (fstat(c->fd, &st) != 0)
                return REFMMAP_E_OS_FILE;
            c->length = (ssize_t)(st.st_size - c->offset);  /* negative: refmmap_open refuses */
        }
    } else if (c->fd == -1) {
        if (c->length == 0)  /* CreateFileMapping refuses an empty pagefile-backed section */
            return REFMMAP_E_WIN_ANON_EMPTY;
        /* Pagefile-backed memory: a memfd, so a tag can be opened again by a second map. */
        if (c->tag != NULL && memchr(c->tag, 0, (size_t)c->taglen) != NULL)
            return REFMMAP_E_TAG_NUL;
        c->owned = memfd_create(c->tag != NULL ? c->tag : "mmap", MFD_CLOEXEC);
        if (c->owned == -1)
            return REFMMAP_E_OS_FILE;
        if (end == -1) {
            refmmap_ctor_cancel(c);
            return REFMMAP_E_WIN_TOO_BIG;
        }
        if (ftruncate(c->owned, (off_t)end) != 0)
            return os_file_error(c);
        c->fd = c->owned;
    } else {
        if (fstat(c->fd, &st) != 0)
            return REFMMAP_E_OS_FILE;
        /* Documented: Windows cannot map an empty file. CPython on Windows raises ValueError
         * before asking the OS. */
        if (c->length == 0 && st.st_size == 0)
            return REFMMAP_E_EMPTY;
        if (c->length != 0 && (end == -1 || end > st.st_size)) {
            if (c->access == REFMMAP_ACCESS_READ)  /* a read-only section cannot grow its file */
                return REFMMAP_E_WIN_EXTEND_READ;
            if (end == -1)
                return REFMMAP_E_WIN_TOO_BIG;
            if (ftruncate(c->fd, (off_t)end) != 0)  /* Windows extends the file to the map */
                return REFMMAP_E_OS_FILE;
        }
    }
    return ctor_finish(p, m, c, c->length >= 0);
}

int refmmap_close(refmmap_t *m)
{
    char *data;
    ssize_t size;
    int fd;

    if (m == NULL)
        return REFMMAP_E_BADARG;
    if (m->exports > 0)
        return REFMMAP_E_EXPORTS_CLOSE;
    /* Clear first: a second close, or any later call, then sees a closed map. size and pos stay,
     * as in CPython, whose checks after a re-entrant close still read them (catalogue 1.T). */
    data = m->data;
    size = m->size;
    fd = m->fd;
    m->data = NULL;
    m->fd = -1;
    if (fd != -1)
        close(fd);
    if (data != NULL)
        munmap(data, (size_t)size);
    return REFMMAP_OK;
}

int refmmap_check_valid(const refmmap_t *m)
{
    REFMMAP_CHECK_VALID(m);
    return REFMMAP_OK;
}

/* `readonly`: the caller's own code for an ACCESS_READ map (each method has its clause). */
static int writable(const refmmap_t *m, int readonly)
{
    REFMMAP_CHECK_VALID(m);
    return m->access == REFMMAP_ACCESS_READ ? readonly : REFMMAP_OK;
}

int refmmap_is_writable(const refmmap_t *m) { return writable(m, REFMMAP_E_READONLY); }

/* resize()'s own checks, without "closed" (the profile's order puts that where it belongs). */
static int resizeable(const refmmap_t *m)
{
    if (m->exports > 0)
        return REFMMAP_E_EXPORTS_RESIZE;
    if (!m->trackfd)
        return REFMMAP_E_TRACKFD;
    if (m->access != REFMMAP_ACCESS_WRITE && m->access != REFMMAP_ACCESS_DEFAULT)
        return REFMMAP_E_NORESIZE;
    return REFMMAP_OK;
}

int refmmap_is_resizeable(const refmmap_t *m)
{
    REFMMAP_CHECK_VALID(m);
    return resizeable(m);
}

int refmmap_export(refmmap_t *m, int delta)
{
    if (m == NULL || (delta != 1 && delta != -1) || m->exports + delta < 0)
        return REFMMAP_E_BADARG;
    if (delta > 0 && m->data == NULL)  /* a release still counts down on a closed map */
        return REFMMAP_E_CLOSED;
    m->exports += delta;
    return REFMMAP_OK;
}

/* A negative index counts from the end, as in Python. */
static int normalise_index(const refmmap_t *m, ssize_t *i, int out_of_range)
{
    if (*i < 0)
        *i += m->size;
    return (*i < 0 || *i >= m->size) ? out_of_range : REFMMAP_OK;
}

int refmmap_getbyte(const refmmap_t *m, ssize_t i, unsigned char *out)
{
    int rc;
    REFMMAP_CHECK_VALID(m);
    if ((rc = normalise_index(m, &i, REFMMAP_E_INDEX)) != REFMMAP_OK)
        return rc;
    if (out != NULL)
        *out = (unsigned char)m->data[i];
    return REFMMAP_OK;
}

int refmmap_item(const refmmap_t *m, ssize_t i)
{
    unsigned char byte;
    int rc = i < 0 ? REFMMAP_E_INDEX : refmmap_getbyte(m, i, &byte);
    return rc == REFMMAP_OK ? byte : rc;
}

int refmmap_holds(const refmmap_t *m, int byte)
{
    int rc = refmmap_item(m, 0);
    if (rc == REFMMAP_E_INDEX) /* an empty map: the walk ends at once */
        return 0;
    if (rc < 0)
        return rc;
    return byte >= 0 && byte <= 255 && memchr(m->data, byte, (size_t)m->size) != NULL;
}

int refmmap_setbyte(refmmap_t *m, ssize_t i, ssize_t value)
{
    int rc;
    if ((rc = refmmap_is_writable(m)) != REFMMAP_OK)
        return rc;
    if ((rc = normalise_index(m, &i, REFMMAP_E_SET_INDEX)) != REFMMAP_OK)
        return rc;
    if (value < 0 || value > 255)
        return REFMMAP_E_VALUE;
    m->data[i] = (char)value;
    return REFMMAP_OK;
}

/* True when start, start+step, ... (count items) all lie inside the map. A step of 0 over more
 * than one item is no slice (Python refuses it before it gets here). */
static int slice_inside(const refmmap_t *m, ssize_t start, ssize_t step, ssize_t count)
{
    ssize_t span, last;
    if (count < 0 || (step == 0 && count > 1))
        return 0;
    if (count == 0)
        return 1;
    if (__builtin_mul_overflow(step, count - 1, &span) || __builtin_add_overflow(start, span, &last))
        return 0;
    return start >= 0 && start < m->size && last >= 0 && last < m->size;
}

int refmmap_get_slice(const refmmap_t *m, ssize_t start, ssize_t step, ssize_t count, char *out)
{
    ssize_t i;
    REFMMAP_CHECK_VALID(m);
    if (!slice_inside(m, start, step, count) || (count > 0 && out == NULL))
        return REFMMAP_E_INDEX;
    if (count == 0)
        return REFMMAP_OK;  /* out may be NULL, which memcpy must not be given */
    if (step == 1) {
        memcpy(out, m->data + start, (size_t)count);
        return REFMMAP_OK;
    }
    for (i = 0; i < count; i++, start += step)
        out[i] = m->data[start];
    return REFMMAP_OK;
}

int refmmap_set_slice(refmmap_t *m, ssize_t start, ssize_t step, ssize_t count,
                      const char *src, ssize_t srclen)
{
    ssize_t i;
    int rc;
    if ((rc = refmmap_is_writable(m)) != REFMMAP_OK)
        return rc;
    if (srclen != count)
        return REFMMAP_E_SLICE_SIZE;
    if (!slice_inside(m, start, step, count) || (count > 0 && src == NULL))
        return REFMMAP_E_SET_INDEX;
    if (count == 0)
        return REFMMAP_OK;
    if (step == 1) {
        copy_bytes(m->data + start, src, (size_t)count);  /* src may be this very map */
        return REFMMAP_OK;
    }
    /* Byte by byte in source order, as CPython does, so self-overlapping sources agree. */
    for (i = 0; i < count; i++, start += step)
        m->data[start] = src[i];
    return REFMMAP_OK;
}

/* A negative n, or one past the end, means "the rest"; the position may lie past the end. */
int refmmap_read(refmmap_t *m, ssize_t n, ssize_t *start, ssize_t *count)
{
    ssize_t remaining;
    REFMMAP_CHECK_VALID(m);
    if (start == NULL || count == NULL)
        return REFMMAP_E_BADARG;
    remaining = m->pos < m->size ? m->size - m->pos : 0;
    if (n < 0 || n > remaining)
        n = remaining;
    *start = m->pos;
    *count = n;
    m->pos += n;
    return REFMMAP_OK;
}

int refmmap_read_byte(refmmap_t *m, unsigned char *out)
{
    REFMMAP_CHECK_VALID(m);
    if (m->pos >= m->size)
        return REFMMAP_E_READ_BYTE;
    if (out != NULL)
        *out = (unsigned char)m->data[m->pos];
    m->pos++;
    return REFMMAP_OK;
}

int refmmap_readline(refmmap_t *m, ssize_t *start, ssize_t *count)
{
    ssize_t remaining;
    const char *eol;
    REFMMAP_CHECK_VALID(m);
    if (start == NULL || count == NULL)
        return REFMMAP_E_BADARG;
    remaining = m->pos < m->size ? m->size - m->pos : 0;
    *start = m->pos;
    eol = remaining ? memchr(m->data + m->pos, '\n', (size_t)remaining) : NULL;
    *count = eol ? eol - (m->data + m->pos) + 1 : remaining;
    m->pos += *count;
    return REFMMAP_OK;
}

int refmmap_write(refmmap_t *m, const char *src, ssize_t n)
{
    int rc;
    if ((rc = writable(m, REFMMAP_E_WRITE_READONLY)) != REFMMAP_OK)
        return rc;
    if (n < 0 || (n > 0 && src == NULL))
        return REFMMAP_E_BADARG;
    if (m->pos > m->size || m->size - m->pos < n)
        return REFMMAP_E_DATA;
    copy_bytes(m->data + m->pos, src, (size_t)n);  /* src may be this very map */
    m->pos += n;
    return REFMMAP_OK;
}

int refmmap_write_byte(refmmap_t *m, unsigned char value)
{
    int rc;
    if ((rc = writable(m, REFMMAP_E_WRITE_BYTE_READONLY)) != REFMMAP_OK)
        return rc;
    if (m->pos >= m->size)
        return REFMMAP_E_WRITE_BYTE;
    m->data[m->pos++] = (char)value;
    return REFMMAP_OK;
}

int refmmap_seek(refmmap_t *m, ssize_t dist, int whence)
{
    ssize_t base, where;
    REFMMAP_CHECK_VALID(m);
    switch (whence) {
    case 0: base = 0; break;
    case 1: base = m->pos; break;
    case 2: base = m->size; break;
    default: return REFMMAP_E_WHENCE;
    }
    if (__builtin_add_overflow(base, dist, &where) || where < 0 || where > m->size)
        return REFMMAP_E_SEEK;
    m->pos = where;
    return REFMMAP_OK;
}

int refmmap_size(const refmmap_t *m, int64_t *out, int anon_size)
{
    struct stat st;
    REFMMAP_CHECK_VALID(m);
    if (out == NULL)
        return REFMMAP_E_BADARG;
    if (anon_size && !m->trackfd)
        return REFMMAP_E_SIZE_TRACKFD;
    if (anon_size && m->anonymous) {
        *out = m->size;
        return REFMMAP_OK;
    }
    if (m->fd == -1) {
        /* Anonymous and trackfd=False maps have no descriptor to ask, as in CPython <= 3.14. */
        errno = EBADF;
        return REFMMAP_E_OS;
    }
    if (fstat(m->fd, &st) != 0)
        return REFMMAP_E_OS;
    *out = st.st_size;
    return REFMMAP_OK;
}

static ssize_t pages(ssize_t n)
{
    long page = sysconf(_SC_PAGESIZE);
    return n / page + (n % page != 0);
}

int refmmap_resize(refmmap_t *m, ssize_t newsize, int grow_anon)
{
    void *data;
    int rc;
    if ((rc = refmmap_is_resizeable(m)) != REFMMAP_OK)
        return rc;
    if (newsize < 0 || newsize > SSIZE_MAX_ - m->offset)
        return REFMMAP_E_NEWSIZE;
    /* Linux cannot grow a shared anonymous mapping past the shmem object it was created with:
     * pages beyond it SIGBUS. Within those pages mremap() works (and shows the old bytes). */
    if (m->anonymous && (m->flags & MAP_SHARED) && newsize > m->size &&
        (!grow_anon || pages(newsize) > pages(m->created)))
        return REFMMAP_E_SHARED_ANON;
    if (newsize == 0) {
        /* mremap() refuses 0; checked before ftruncate so file and map stay consistent. */
        errno = EINVAL;
        return REFMMAP_E_OS;
    }
    if (m->fd != -1 && ftruncate(m->fd, (off_t)(m->offset + newsize)) != 0)
        return REFMMAP_E_OS;
    data = mremap(m->data, (size_t)m->size, (size_t)newsize, MREMAP_MAYMOVE);
    if (data == MAP_FAILED)
        return REFMMAP_E_OS;  /* as in CPython, the file keeps its new size */
    m->data = data;
    m->size = newsize;
    return REFMMAP_OK;
}

int refmmap_move(refmmap_t *m, ssize_t dest, ssize_t src, ssize_t count)
{
    int rc;
    if ((rc = writable(m, REFMMAP_E_MOVE_READONLY)) != REFMMAP_OK)
        return rc;
    if (dest < 0 || src < 0 || count < 0 || m->size - dest < count || m->size - src < count)
        return REFMMAP_E_MOVE;
    copy_bytes(m->data + dest, m->data + src, (size_t)count);
    return REFMMAP_OK;
}

int refmmap_flush(refmmap_t *m, ssize_t offset, ssize_t size, int flags)
{
    REFMMAP_CHECK_VALID(m);
    if (offset < 0 || size < 0 || m->size - offset < size)
        return REFMMAP_E_FLUSH;
    /* Nothing of a READ or COPY map can reach the file, so there is nothing to sync. */
    if (m->access == REFMMAP_ACCESS_READ || m->access == REFMMAP_ACCESS_COPY)
        return REFMMAP_OK;
    if (msync(m->data + offset, (size_t)size, flags ? flags : MS_SYNC) != 0)
        return REFMMAP_E_OS;
    return REFMMAP_OK;
}

int refmmap_set_name(refmmap_t *m, const char *name, ssize_t len)
{
    if (name == NULL || len < 0)
        return REFMMAP_E_BADARG;
    if (len > REFMMAP_NAME_MAX)
        return REFMMAP_E_NAME_LONG;
    if (!m->anonymous)
        return REFMMAP_E_NOT_ANON;
#ifdef PR_SET_VMA_ANON_NAME
    if (m->data != NULL) {
        char full[sizeof "cpython:mmap:" + REFMMAP_NAME_MAX];
        snprintf(full, sizeof full, "cpython:mmap:%.*s", (int)len, name);
        /* Kernels without CONFIG_ANON_VMA_NAME refuse; CPython ignores that too. */
        (void)prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)m->data,
                    (unsigned long)m->size, (unsigned long)full);
    }
#endif
    return REFMMAP_OK;
}

/* Slice-style bounds: negative counts from the end, then clamp to [0, size]. */
static ssize_t clamp_bound(ssize_t i, ssize_t size)
{
    if (i < 0) {
        i += size;
        if (i < 0)
            i = 0;
    } else if (i > size) {
        i = size;
    }
    return i;
}

/* Forward search: memchr for the needle's first byte (the C library's fastest loop), then the
 * rest compared. Where that byte is rare this runs at memchr's speed, ahead of glibc's memmem
 * (a byte-pair hash that skips at most a needle's length). Dense candidates would make it
 * quadratic, so each is charged (a memchr restart, about 64 bytes' worth of scanning, plus the
 * bytes compared) and once the charge outgrows the bytes passed, memmem takes the rest. */
#define SEARCH_SLACK 4096
#define SEARCH_CANDIDATE 64

/* How many leading bytes of a[0..n) and b[0..n) agree, from index 1 (a[0] == b[0] is known). */
static size_t agreeing(const char *a, const char *b, size_t n)
{
    size_t i = 1;
    while (i < n && a[i] == b[i])
        i++;
    return i;
}

static const char *find_first(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    const char *p = hay, *hit;
    size_t starts = hlen - nlen + 1, charge = 0, agreed;  /* candidate starts: hay[0 .. starts) */
    if (nlen == 1)
        return memchr(hay, needle[0], hlen);
    while ((size_t)(p - hay) < starts) {
        hit = memchr(p, needle[0], starts - (size_t)(p - hay));
        if (hit == NULL)
            return NULL;
        if ((agreed = agreeing(hit, needle, nlen)) == nlen)
            return hit;
        p = hit + 1;
        charge += SEARCH_CANDIDATE + agreed;
        if (charge > SEARCH_SLACK + (size_t)(p - hay))
            return memmem(p, hlen - (size_t)(p - hay), needle, nlen);
    }
    return NULL;
}

/* Reverse search: the C library has none, so Knuth-Morris-Pratt over the needle and the
 * haystack both read backwards (linear in the haystack), skipping with memrchr to the needle's
 * last byte whenever no partial match is pending, which keeps memrchr's speed where that byte
 * is rare. The table lives on the stack for short needles. */
#define KMP_STACK 256
#define KMP_FEW_STARTS 16

static const char *find_last_kmp(const char *hay, size_t hlen, const char *needle, size_t nlen,
                                 size_t *fail)
{
    /* fail[i]: the longest proper border of the needle's last i+1 bytes, read backwards. */
    size_t i, j, k = 0;
    const char *p;
#define BACK(i) needle[nlen - 1 - (i)]  /* the needle's i-th byte from the end */
    fail[0] = 0;
    for (i = 1; i < nlen; i++) {
        while (k > 0 && BACK(i) != BACK(k))
            k = fail[k - 1];
        if (BACK(i) == BACK(k))
            k++;
        fail[i] = k;
    }
    for (j = hlen, k = 0; j > 0; j--) {  /* hay[j - 1] is the next byte, read backwards */
        if (k == 0) {
            if ((p = memrchr(hay, BACK(0), j)) == NULL)
                return NULL;
            j = (size_t)(p - hay) + 1;
        }
        while (k > 0 && hay[j - 1] != BACK(k))
            k = fail[k - 1];
        if (hay[j - 1] == BACK(k) && ++k == nlen)
            return hay + j - 1;
    }
    return NULL;
#undef BACK
}

static const char *find_last(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    size_t stack[KMP_STACK], *fail = stack, starts = hlen - nlen + 1, limit;
    const char *hit;
    if (nlen == 1)
        return memrchr(hay, needle[0], hlen);
    /* Where the needle can start at only a few places, comparing at each costs no more than
     * KMP's table; the same loop serves when a long needle's table finds no memory (slower
     * then, as right). */
    if (starts > KMP_FEW_STARTS && (nlen <= KMP_STACK || (fail = malloc(nlen * sizeof(*fail))))) {
        hit = find_last_kmp(hay, hlen, needle, nlen, fail);
        if (fail != stack)
            free(fail);
        return hit;
    }
    for (limit = starts; limit > 0; limit = (size_t)(hit - hay)) {
        if ((hit = memrchr(hay, needle[0], limit)) == NULL || memcmp(hit, needle, nlen) == 0)
            return hit;
    }
    return NULL;
}

int refmmap_find(const refmmap_t *m, const char *needle, ssize_t nlen, ssize_t start,
                 ssize_t end, int reverse, ssize_t *out)
{
    const char *hit;
    size_t hlen;
    REFMMAP_CHECK_VALID(m);
    if (out == NULL || nlen < 0 || (nlen > 0 && needle == NULL))
        return REFMMAP_E_BADARG;
    start = clamp_bound(start, m->size);
    end = clamp_bound(end, m->size);
    *out = -1;
    if (end < start || end - start < nlen)
        return REFMMAP_OK;  /* also keeps an over-long needle from reading past the range */
    if (nlen == 0) {
        *out = reverse ? end : start;
        return REFMMAP_OK;
    }
    hlen = (size_t)(end - start);
    if (reverse)
        hit = find_last(m->data + start, hlen, needle, (size_t)nlen);
    else
        hit = find_first(m->data + start, hlen, needle, (size_t)nlen);
    if (hit != NULL)
        *out = hit - m->data;
    return REFMMAP_OK;
}

int refmmap_madvise(refmmap_t *m, int option, ssize_t start, ssize_t length)
{
    REFMMAP_CHECK_VALID(m);
    if (start < 0 || start >= m->size)
        return REFMMAP_E_MADV_START;
    if (length < 0)
        return REFMMAP_E_MADV_LENGTH;
    if (SSIZE_MAX_ - start < length)
        return REFMMAP_E_MADV_OVERFLOW;
    if (start + length > m->size)
        length = m->size - start;
    if (madvise(m->data + start, (size_t)length, option) != 0)
        return REFMMAP_E_OS;
    return REFMMAP_OK;
}


/* ---- profiles: each op's checks in each CPython release's order ---- */

/* Item assignment checks the access mode, key, deletion and value before "closed" and the range:
 * seen on 3.13.18 and 3.14.10, not on 3.13.0 and 3.14.2 (Pyodide); the first patch releases with
 * it are not known here, so the releases it was seen on stand for them. */
#define SETITEM_FIRST "3.13.18,3.14.10"

/* What a release has, by the first release that has it: one release, or the first patch release
 * of each branch that got it ("3.13.18,3.14.10"; later branches have it from their .0). The one
 * home of these facts: the flags below that C uses are set from it, and the Python layer reads
 * every entry through refmmap_feature_at() (impls/profiles.py Profile) instead of restating it.
 * Catalogue clauses in the comments. */
static const struct { const char *name; const char *since; } features[] = {
    /* Python 3's object model (2.7 is the only earlier profile): int items, weakref, ordering,
     * pickle protocol 2, str + m, and the wording of Python 3's messages */
    {"int_items", "3.6"},
    {"gc_tracked", "3.10"},           /* mod.gc: before, the C type was not a gc type */
    {"closed_attr", "3.6"},           /* closed.attr (3.2) */
    {"context_manager", "3.6"},       /* ctx (3.2) */
    {"write_returns_count", "3.6"},   /* write.basic (bpo-26335) */
    {"ssize_arg_index", "3.6"},       /* the 'n' argument format accepts __index__ objects */
    {"int_arg_index", "3.8"},         /* the 'i' format too (before: "an integer is required") */
    {"access_default", "3.7"},        /* mod.access-consts */
    {"read_index", "3.7"},            /* read.index: read() accepts __index__ objects, and words
                                       * its TypeError "argument should be integer or None" */
    {"flush_returns_none", "3.8"},    /* flush.return (bpo-2122); 0 before */
    {"madvise", "3.8"},               /* madvise.*, mod.madv-consts */
    {"new_pickle_message", "3.8"},    /* pickle: "cannot pickle 'mmap.mmap' object" */
    {"new_repr", "3.9"},              /* repr.open / repr.closed (bpo-34953) */
    {"pep688", "3.12"},               /* dunder-buffer: a Python class's __buffer__ is a buffer */
    {"index_message", "3.10"},        /* ctor.length.type: "'float' object cannot be ..." */
    {"seekable", "3.13"},             /* seekable */
    {"trackfd", "3.13"},              /* ctor.trackfd */
    {"seek_returns_pos", "3.13"},     /* seek.return (gh-111835) */
    {"attr_dict_message", "3.13"},    /* mod.type: "... and no __dict__ for setting new ..." */
    /* Argument Clinic conversion (not verifiable here: 3.14 sources): arguments are converted
     * before the closed check, find/rfind accept None bounds, flush(offset) flushes to the end,
     * madvise(option, start, None) means "to the end". */
    {"ac_conversion", "3.14"},
    /* 3.15 (probed on 3.15.2): flush(offset, size=-1, /, *, flags) flushes to the end and takes
     * msync() flags (MS_* constants); set_name() names anonymous maps. */
    {"flush_flags", "3.15"},
    {"set_name", "3.15"},
    /* getargs' wording: METH_NOARGS errors name "mmap.<method>()" (3.9), keyword refusals
     * too (3.11); "function missing required argument" (3.7); "unexpected keyword argument",
     * "positional arguments" (3.13) */
    {"noargs_qualname", "3.9"},
    {"kwargs_qualname", "3.11"},
    {"function_message", "3.7"},
    {"keyword_message", "3.13"},
    {"shared_anon_message", SETITEM_FIRST},  /* gh-154258 dropped "on Linux" */
    {"slice_index_message", "3.15"},  /* "slice indices must be integers or have an ..." */
    /* The differences C itself makes (refmmap_profile_t's flags). */
    {"setitem_checks_first", SETITEM_FIRST},
    {"shared_anon_grow_refused", "3.13.8,3.14"},  /* gh-138204 */
    {"flush_to_end", "3.15"},
    {"find_empty_past_end", "3.15"},
    {"anon_size", "3.15"},  /* size() of an anonymous map is its length; trackfd=False: error */
    {"audit", "3.8"},       /* the constructor's mmap.__new__ audit event */
};

#define S(x) REFMMAP_STEP_##x
#define CONV S(CONVERT)

/* {op, first release, steps}: an op takes its last entry that the release has. Steps before
 * CONVERT see the map before any argument is converted; steps after a closing conversion and
 * before VALID see the closed map's stale size and position, as CPython's do. At <= 3.10
 * CPython has no re-check after conversion: there the last VALID is where the real one touches
 * the unmapped memory and crashes, and the reference does what 3.11.4+ does instead. 3.14's
 * Argument Clinic converts arguments before the closed check. */
static const struct order {
    int op;
    const char *since;
    unsigned char steps[REFMMAP_STEPS_MAX];
} orders[] = {
    {REFMMAP_OP_GETITEM, "2.7", {S(VALID), CONV, S(RANGE), S(UNINIT), S(VALID)}},
    {REFMMAP_OP_GETITEM, "3.6", {S(VALID), CONV, S(RANGE), S(VALID)}},
    {REFMMAP_OP_GETSLICE, "2.7", {S(VALID), CONV, S(EMPTY), S(UNINIT), S(VALID)}},
    {REFMMAP_OP_GETSLICE, "3.11", {S(VALID), CONV, S(VALID), S(EMPTY)}},
    /* 2.7's m[a:b] (sq_slice) converts its bounds before the closed check. */
    {REFMMAP_OP_GETSLICE_NOSTEP, "2.7", {CONV, S(VALID), S(EMPTY)}},
    {REFMMAP_OP_GETSLICE_NOSTEP, "3.6", {S(VALID), CONV, S(EMPTY), S(UNINIT), S(VALID)}},
    {REFMMAP_OP_GETSLICE_NOSTEP, "3.11", {S(VALID), CONV, S(VALID), S(EMPTY)}},
    {REFMMAP_OP_GETKEY, "2.7", {S(VALID)}},
    /* 2.7 checks the value before the access mode. */
    {REFMMAP_OP_SETITEM, "2.7", {S(VALID), CONV, S(RANGE), S(DELETE), S(CONVERT_VALUE), S(VALUE),
                                 S(WRITABLE), S(VALID)}},
    {REFMMAP_OP_SETITEM, "3.6", {S(VALID), S(WRITABLE), CONV, S(RANGE), S(DELETE),
                                 S(CONVERT_VALUE), S(VALUE), S(VALID)}},
    {REFMMAP_OP_SETITEM, SETITEM_FIRST, {S(WRITABLE), CONV, S(DELETE), S(CONVERT_VALUE), S(VALUE),
                                         S(VALID), S(RANGE)}},
    {REFMMAP_OP_SETSLICE, "2.7", {S(VALID), CONV, S(DELETE), S(CONVERT_VALUE), S(SIZE),
                                  S(WRITABLE), S(EMPTY), S(VALID)}},
    {REFMMAP_OP_SETSLICE, "3.6", {S(VALID), S(WRITABLE), CONV, S(DELETE), S(CONVERT_VALUE),
                                  S(SIZE), S(EMPTY), S(VALID)}},
    {REFMMAP_OP_SETSLICE, "3.11", {S(VALID), S(WRITABLE), CONV, S(DELETE), S(CONVERT_VALUE),
                                   S(SIZE), S(VALID), S(EMPTY)}},
    /* From SETITEM_FIRST the slice meets the size the value's buffer left (gh-157335). */
    {REFMMAP_OP_SETSLICE, SETITEM_FIRST, {S(WRITABLE), CONV, S(DELETE), S(CONVERT_VALUE),
                                          S(ADJUST), S(VALID), S(SIZE), S(EMPTY)}},
    {REFMMAP_OP_SETSLICE_NOSTEP, "2.7", {CONV, S(VALID), S(DELETE), S(CONVERT_VALUE), S(SIZE),
                                         S(WRITABLE)}},
    {REFMMAP_OP_SETSLICE_NOSTEP, "3.6", {S(VALID), S(WRITABLE), CONV, S(DELETE),
                                         S(CONVERT_VALUE), S(SIZE), S(EMPTY), S(VALID)}},
    {REFMMAP_OP_SETSLICE_NOSTEP, "3.11", {S(VALID), S(WRITABLE), CONV, S(DELETE),
                                          S(CONVERT_VALUE), S(SIZE), S(VALID), S(EMPTY)}},
    {REFMMAP_OP_SETSLICE_NOSTEP, SETITEM_FIRST, {S(WRITABLE), CONV, S(DELETE), S(CONVERT_VALUE),
                                                 S(ADJUST), S(VALID), S(SIZE), S(EMPTY)}},
    {REFMMAP_OP_SETKEY, "2.7", {S(VALID)}},
    {REFMMAP_OP_SETKEY, "3.6", {S(VALID), S(WRITABLE)}},
    {REFMMAP_OP_SETKEY, SETITEM_FIRST, {S(WRITABLE)}},
    {REFMMAP_OP_READ, "2.7", {S(VALID), CONV, S(EMPTY), S(UNINIT), S(VALID)}},
    {REFMMAP_OP_READ, "3.11", {S(VALID), CONV, S(VALID)}},
    {REFMMAP_OP_READ, "3.14", {CONV, S(VALID)}},
    /* <= 3.13 checks the access mode after taking the data and before "closed" again: a
     * buffer that closes a read-only map is a TypeError there. */
    {REFMMAP_OP_WRITE, "2.7", {S(VALID), CONV, S(WRITABLE)}},
    {REFMMAP_OP_WRITE, "3.14", {CONV}},
    {REFMMAP_OP_WRITE_BYTE, "2.7", {S(VALID), CONV, S(WRITABLE), S(EOF), S(VALID)}},
    {REFMMAP_OP_WRITE_BYTE, "3.11", {S(VALID), CONV, S(WRITABLE), S(VALID), S(EOF)}},
    {REFMMAP_OP_WRITE_BYTE, "3.14", {CONV, S(VALID), S(WRITABLE), S(EOF)}},
    {REFMMAP_OP_SEEK, "2.7", {S(VALID), CONV, S(WHENCE), S(RANGE)}},
    {REFMMAP_OP_SEEK, "3.14", {CONV, S(VALID), S(WHENCE), S(RANGE)}},
    /* <= 3.13: the size defaults to the map's before any conversion; 3.14 checks "closed"
     * between converting the offset and the size, and a size of None is the size then. */
    {REFMMAP_OP_FLUSH, "2.7", {S(VALID), S(DEFAULTS), CONV, S(RANGE), S(NOOP), S(MSYNC)}},
    {REFMMAP_OP_FLUSH, "3.14", {S(CONVERT_FIRST), S(VALID), S(DEFAULTS), CONV, S(RANGE), S(NOOP),
                                S(MSYNC)}},
    {REFMMAP_OP_FLUSH, "3.15", {CONV, S(VALID), S(RANGE), S(NOOP), S(MSYNC)}},
    {REFMMAP_OP_MOVE, "2.7", {S(VALID), CONV, S(WRITABLE), S(BOUNDS), S(EMPTY), S(VALID)}},
    {REFMMAP_OP_MOVE, "3.11", {S(VALID), CONV, S(WRITABLE), S(BOUNDS), S(VALID)}},
    {REFMMAP_OP_MOVE, "3.14", {CONV, S(VALID), S(WRITABLE), S(BOUNDS)}},
    /* <= 3.13: the bounds default to the position and size before any conversion; 3.14
     * converts the needle, checks "closed", takes the defaults, then converts the bounds. */
    {REFMMAP_OP_FIND, "2.7", {S(VALID), S(DEFAULTS), CONV, S(CLAMP), S(SHORT), S(VALID)}},
    {REFMMAP_OP_FIND, "3.11", {S(VALID), S(DEFAULTS), CONV, S(CLAMP), S(VALID)}},
    {REFMMAP_OP_FIND, "3.14", {S(CONVERT_FIRST), S(VALID), S(DEFAULTS), CONV, S(VALID), S(CLAMP),
                               S(VALID)}},
    {REFMMAP_OP_MADVISE, "2.7", {S(VALID), S(DEFAULTS), CONV, S(START), S(LENGTH), S(ADVISE)}},
    {REFMMAP_OP_MADVISE, "3.11", {S(VALID), S(DEFAULTS), CONV, S(START), S(LENGTH), S(VALID)}},
    {REFMMAP_OP_MADVISE, "3.14", {CONV, S(NEGLENGTH), S(VALID), S(DEFAULTS), S(START),
                                  S(LENGTH)}},
    {REFMMAP_OP_RESIZE, "2.7", {S(VALID), CONV, S(RESIZEABLE), S(NEWSIZE), S(MREMAP)}},
    {REFMMAP_OP_RESIZE, "3.14", {CONV, S(VALID), S(RESIZEABLE), S(NEWSIZE)}},
};

#undef CONV
#undef S

static int version_cmp(const int a[3], const int b[3])
{
    int i;
    for (i = 0; i < 3; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* Whether release v has what was first released in `since`: one release, or the first patch
 * release of each branch that got it ("3.13.18,3.14.10"; later branches have it from .0). */
static int applies(const int v[3], const char *since)
{
    int first[3] = {0, 0, 0}, n;
    while (*since) {
        first[2] = 0;  /* "3.14": from the branch's first release */
        if (sscanf(since, "%d.%d.%d%n", &first[0], &first[1], &first[2], &n) < 3)
            sscanf(since, "%d.%d%n", &first[0], &first[1], &n);
        since += n;
        if (*since == ',')
            since++;
        if (first[0] == v[0] && first[1] == v[1])
            return version_cmp(v, first) >= 0;
    }
    /* The list ascends, so its last branch is the newest: later branches have it from .0. */
    return v[0] > first[0] || (v[0] == first[0] && v[1] > first[1]);
}

/* Whether profile p has the feature `name` of the `features` table (a name not in it: no). */
static int has(const refmmap_profile_t *p, const char *name)
{
    size_t i;
    for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
        if (strcmp(features[i].name, name) == 0)
            return applies(p->version, features[i].since);
    return 0;
}

int refmmap_profile_init(refmmap_profile_t *p, const char *version)
{
    size_t i;
    int n;
    if (p == NULL || version == NULL)
        return REFMMAP_E_BADARG;
    memset(p, 0, sizeof(*p));
    n = sscanf(version, "%d.%d.%d", &p->version[0], &p->version[1], &p->version[2]);
    if (n < 2)
        return REFMMAP_E_BADARG;
    for (i = 0; i < sizeof(orders) / sizeof(orders[0]); i++)
        if (applies(p->version, orders[i].since))
            memcpy(p->order[orders[i].op], orders[i].steps, REFMMAP_STEPS_MAX);
    p->setitem_checks_first = has(p, "setitem_checks_first");
    p->shared_anon_grow_refused = has(p, "shared_anon_grow_refused");
    p->flush_to_end = has(p, "flush_to_end");
    p->find_empty_past_end = has(p, "find_empty_past_end");
    p->anon_size = has(p, "anon_size");
    p->audit = has(p, "audit");
    return REFMMAP_OK;
}

int refmmap_feature_at(const refmmap_profile_t *p, int i, const char **name)
{
    if (p == NULL || name == NULL || i < 0 || (size_t)i >= sizeof(features) / sizeof(features[0]))
        return REFMMAP_E_BADARG;
    *name = features[i].name;
    return applies(p->version, features[i].since);
}

int refmmap_constant_at(const refmmap_profile_t *p, int i, const char **name)
{
    if (p == NULL || name == NULL || i < 0 ||
        (size_t)i >= sizeof(constants) / sizeof(constants[0]))
        return REFMMAP_E_BADARG;
    *name = constants[i].name;
    return applies(p->version, constants[i].since);
}

ssize_t refmmap_tell(const refmmap_t *m)
{
    REFMMAP_CHECK_VALID(m);
    return m->pos;
}

ssize_t refmmap_length(const refmmap_t *m)
{
    REFMMAP_CHECK_VALID(m);
    return m->size;
}

static ssize_t page_end(ssize_t size)
{
    long page = sysconf(_SC_PAGESIZE);
    return pages(size) * page;
}

/* madvise() of a closed map's NULL pointer as the kernel answers it: an unknown option or an
 * unaligned start is EINVAL, a non-empty range is unmapped (ENOMEM), an empty one succeeds. */
static int madv_known(int option)
{
    size_t i;
    for (i = 0; i < sizeof(constants) / sizeof(constants[0]); i++)
        if (strncmp(constants[i].name, "MADV_", 5) == 0 && constants[i].value == option)
            return 1;
    return 0;
}

static int null_call(int known, ssize_t start, ssize_t length)
{
    if (!known || start % sysconf(_SC_PAGESIZE) != 0) {
        errno = EINVAL;
        return REFMMAP_E_OS;
    }
    if (length != 0) {
        errno = ENOMEM;
        return REFMMAP_E_OS;
    }
    return REFMMAP_DONE;
}

/* PySlice_AdjustIndices against the size as it is after conversion: a[0..2] are start, stop
 * and step (given bits 0 and 1 for start and stop; the step is never 0). */
static void adjust_slice(const refmmap_t *m, refmmap_call_t *c)
{
    ssize_t len = m->size, step = c->a[2], bound[2];
    int i;
    for (i = 0; i < 2; i++) {
        ssize_t v = c->a[i];
        if (!(c->given & (1 << i))) {
            bound[i] = step < 0 ? (i == 0 ? len - 1 : -1) : (i == 0 ? 0 : len);
            continue;
        }
        if (v < 0) {
            v += len;
            if (v < 0)
                v = step < 0 ? -1 : 0;
        } else if (v >= len) {
            v = step < 0 ? len - 1 : len;
        }
        bound[i] = v;
    }
    c->start = bound[0];
    c->stride = step;
    if (step < 0)
        c->count = bound[1] < bound[0] ? (bound[0] - bound[1] - 1) / (-step) + 1 : 0;
    else
        c->count = bound[0] < bound[1] ? (bound[1] - bound[0] - 1) / step + 1 : 0;
}

/* What a converted argument means once the conversion is done (slices: their indices). A
 * zero step never arrives from the Python layer, which refuses it first. */
static int converted(const refmmap_t *m, refmmap_call_t *c)
{
    switch (c->op) {
    case REFMMAP_OP_GETSLICE:
    case REFMMAP_OP_GETSLICE_NOSTEP:
    case REFMMAP_OP_SETSLICE:
    case REFMMAP_OP_SETSLICE_NOSTEP:
        if (c->a[2] == 0)
            return REFMMAP_E_BADARG;
        adjust_slice(m, c);
        return REFMMAP_OK;
    default:
        return REFMMAP_OK;
    }
}

/* The bytes read() gives: n of them, or the rest; the position may lie past the end. */
static ssize_t wanted(const refmmap_t *m, ssize_t n)
{
    ssize_t remaining = m->pos < m->size ? m->size - m->pos : 0;
    return n < 0 || n > remaining ? remaining : n;
}

static int readonly_code(int op)
{
    switch (op) {
    case REFMMAP_OP_WRITE_BYTE: return REFMMAP_E_WRITE_BYTE_READONLY;
    case REFMMAP_OP_MOVE: return REFMMAP_E_MOVE_READONLY;
    default: return REFMMAP_E_READONLY;
    }
}

/* One step of an op: REFMMAP_OK to go on, REFMMAP_DONE when the op returns here, or an error. */
static int check(const refmmap_profile_t *p, refmmap_t *m, refmmap_call_t *c, int step)
{
    ssize_t *a = c->a, base;
    switch (step) {
    case REFMMAP_STEP_VALID:
        REFMMAP_CHECK_VALID(m);
        return REFMMAP_OK;
    case REFMMAP_STEP_DEFAULTS:  /* find's start and end, flush's size, madvise's length */
        if (c->op == REFMMAP_OP_FIND && !(c->given & 1))
            a[0] = m->pos;
        if (!(c->given & 2))
            a[1] = m->size;
        return REFMMAP_OK;
    case REFMMAP_STEP_RANGE:
        if (c->op == REFMMAP_OP_SEEK) {
            base = c->flags == 0 ? 0 : c->flags == 1 ? m->pos : m->size;
            if (__builtin_add_overflow(base, a[0], &c->out) || c->out < 0 || c->out > m->size)
                return REFMMAP_E_SEEK;
            return REFMMAP_OK;
        }
        if (c->op == REFMMAP_OP_FLUSH) {
            if (p->flush_to_end && a[1] == -1)
                a[1] = m->size - a[0];
            return a[0] < 0 || a[1] < 0 || m->size - a[0] < a[1] ? REFMMAP_E_FLUSH : REFMMAP_OK;
        }
        return normalise_index(m, &a[0], c->op == REFMMAP_OP_GETITEM ? REFMMAP_E_INDEX
                                                                     : REFMMAP_E_SET_INDEX);
    case REFMMAP_STEP_DELETE:
        if (c->flags & 1)
            return c->op == REFMMAP_OP_SETITEM ? REFMMAP_E_DEL_ITEM : REFMMAP_E_DEL_SLICE;
        return REFMMAP_OK;
    case REFMMAP_STEP_VALUE:
        return a[1] < 0 || a[1] > 255 ? REFMMAP_E_VALUE : REFMMAP_OK;
    case REFMMAP_STEP_SIZE:
        return c->srclen != c->count ? REFMMAP_E_SLICE_SIZE : REFMMAP_OK;
    case REFMMAP_STEP_ADJUST:
        adjust_slice(m, c);
        return REFMMAP_OK;
    case REFMMAP_STEP_EMPTY:
        if (c->op == REFMMAP_OP_READ)
            c->count = wanted(m, a[0]);
        else if (c->op == REFMMAP_OP_MOVE)
            c->count = a[2];
        return c->count <= 0 ? REFMMAP_DONE : REFMMAP_OK;  /* read/slices: count zero bytes */
    case REFMMAP_STEP_UNINIT:  /* <= 3.10: PyBytes_FromStringAndSize(NULL, n) of a closed map */
        if (m->data != NULL)
            return REFMMAP_OK;
        if (c->op == REFMMAP_OP_READ) {
            c->count = wanted(m, a[0]);
            return m->pos == 0 ? REFMMAP_DONE : REFMMAP_OK;
        }
        if (c->op == REFMMAP_OP_GETITEM)  /* one uninitialised byte: the Python layer's 0 */
            return a[0] == 0 ? REFMMAP_DONE : REFMMAP_OK;
        return c->stride == 1 && c->start == 0 ? REFMMAP_DONE : REFMMAP_OK;
    case REFMMAP_STEP_WRITABLE:  /* reads only the access mode, so it answers when closed too */
        return m->access == REFMMAP_ACCESS_READ ? readonly_code(c->op) : REFMMAP_OK;
    case REFMMAP_STEP_EOF:
        return m->pos >= m->size ? REFMMAP_E_WRITE_BYTE : REFMMAP_OK;
    case REFMMAP_STEP_WHENCE:
        return c->flags < 0 || c->flags > 2 ? REFMMAP_E_WHENCE : REFMMAP_OK;
    case REFMMAP_STEP_BOUNDS:
        if (a[0] < 0 || a[1] < 0 || a[2] < 0 || m->size - a[0] < a[2] || m->size - a[1] < a[2])
            return REFMMAP_E_MOVE;
        return REFMMAP_OK;
    case REFMMAP_STEP_CLAMP:
        if (p->find_empty_past_end && a[0] > m->size) {  /* 3.15: nothing starts past the end */
            c->out = -1;
            return REFMMAP_DONE;
        }
        a[0] = clamp_bound(a[0], m->size);
        a[1] = clamp_bound(a[1], m->size);
        return REFMMAP_OK;
    case REFMMAP_STEP_SHORT:
        if ((c->flags & 1) && a[1] < c->srclen)
            REFMMAP_CHECK_VALID(m);  /* <= 3.10: data + end - n wraps below NULL and faults */
        if (a[1] - a[0] < c->srclen) {
            c->out = -1;
            return REFMMAP_DONE;
        }
        if (c->srclen == 0) {
            c->out = (c->flags & 1) ? a[1] : a[0];
            return REFMMAP_DONE;
        }
        return REFMMAP_OK;
    case REFMMAP_STEP_NOOP:
        if (m->access == REFMMAP_ACCESS_READ || m->access == REFMMAP_ACCESS_COPY)
            return REFMMAP_DONE;
        return REFMMAP_OK;
    case REFMMAP_STEP_MSYNC:  /* msync() of the closed map's NULL pointer */
        if (m->data != NULL)
            return REFMMAP_OK;
        c->reent = 1;
        return null_call(1, a[0], a[1]);
    case REFMMAP_STEP_ADVISE:
        if (m->data != NULL)
            return REFMMAP_OK;
        return null_call(madv_known(c->flags), a[0], a[1]);
    case REFMMAP_STEP_MREMAP:
        if (m->data != NULL)
            return REFMMAP_OK;
        /* The closed map has no descriptor left, so it passes for an anonymous one: a shared one
         * may not grow (gh-138204). Else mremap() of its NULL pointer. */
        if (p->shared_anon_grow_refused && a[0] > m->size && (m->flags & MAP_SHARED))
            return REFMMAP_E_SHARED_ANON;
        errno = a[0] == 0 ? EINVAL : EFAULT;
        return REFMMAP_E_OS;
    case REFMMAP_STEP_START:
        return a[0] < 0 || a[0] >= m->size ? REFMMAP_E_MADV_START : REFMMAP_OK;
    case REFMMAP_STEP_LENGTH:
        if (a[1] < 0)
            return REFMMAP_E_MADV_LENGTH;
        /* No clamp here: refmmap_madvise() clamps, and a closed map's answer only asks
         * whether the length is 0, which clamping a start inside the map never makes it. */
        return SSIZE_MAX_ - a[0] < a[1] ? REFMMAP_E_MADV_OVERFLOW : REFMMAP_OK;
    case REFMMAP_STEP_NEGLENGTH:
        return (c->given & 2) && a[1] < 0 ? REFMMAP_E_MADV_LENGTH : REFMMAP_OK;
    case REFMMAP_STEP_RESIZEABLE:
        return resizeable(m);
    case REFMMAP_STEP_NEWSIZE:
        return a[0] < 0 || a[0] > SSIZE_MAX_ - m->offset ? REFMMAP_E_NEWSIZE : REFMMAP_OK;
    default:
        return REFMMAP_E_BADARG;
    }
}

/* The op itself, once its checks passed. */
static int act(const refmmap_profile_t *p, refmmap_t *m, refmmap_call_t *c)
{
    unsigned char byte;
    int rc;
    switch (c->op) {
    case REFMMAP_OP_GETITEM:
        rc = refmmap_getbyte(m, c->a[0], &byte);
        c->out = byte;
        return rc;
    case REFMMAP_OP_GETSLICE:
    case REFMMAP_OP_GETSLICE_NOSTEP:
        REFMMAP_CHECK_VALID(m);  /* the Python layer copies start, stride, count */
        return slice_inside(m, c->start, c->stride, c->count) ? REFMMAP_OK : REFMMAP_E_INDEX;
    case REFMMAP_OP_GETKEY:
        return REFMMAP_E_GET_KEY;
    case REFMMAP_OP_SETITEM:
        /* The value's __index__ shrank the map after the index was checked: CPython writes into
         * the tail of the last page, past the map's end (a shared anonymous map shows it again
         * when it grows back). Further out it would fault. */
        if (m->data != NULL && c->a[0] >= m->size && c->a[0] < page_end(m->size)) {
            m->data[c->a[0]] = (char)c->a[1];
            return REFMMAP_OK;
        }
        return refmmap_setbyte(m, c->a[0], c->a[1]);
    case REFMMAP_OP_SETSLICE:
    case REFMMAP_OP_SETSLICE_NOSTEP:
        return refmmap_set_slice(m, c->start, c->stride, c->count, c->src, c->srclen);
    case REFMMAP_OP_SETKEY:
        return REFMMAP_E_SET_KEY;
    case REFMMAP_OP_READ:
        return refmmap_read(m, c->a[0], &c->start, &c->count);
    case REFMMAP_OP_WRITE:
        return refmmap_write(m, c->src, c->srclen);
    case REFMMAP_OP_WRITE_BYTE:
        return refmmap_write_byte(m, (unsigned char)c->a[0]);
    case REFMMAP_OP_SEEK:
        if (m->data == NULL) {
            /* <= 3.13: a seek on the map its argument closed succeeds (the position is moot). */
            c->reent = 1;
            return REFMMAP_OK;
        }
        rc = refmmap_seek(m, c->a[0], c->flags);
        c->out = m->pos;
        return rc;
    case REFMMAP_OP_FLUSH:
        return refmmap_flush(m, c->a[0], c->a[1], c->flags);
    case REFMMAP_OP_MOVE:
        return refmmap_move(m, c->a[0], c->a[1], c->a[2]);
    case REFMMAP_OP_FIND:
        return refmmap_find(m, c->src, c->srclen, c->a[0], c->a[1], c->flags & 1, &c->out);
    case REFMMAP_OP_MADVISE:
        return refmmap_madvise(m, c->flags, c->a[0], c->a[1]);
    default:  /* REFMMAP_OP_RESIZE: refmmap_run() admits no op past it */
        return refmmap_resize(m, c->a[0], !p->shared_anon_grow_refused);
    }
}

int refmmap_run(const refmmap_profile_t *p, refmmap_t *m, refmmap_call_t *c)
{
    const unsigned char *order;
    int rc, step;
    if (p == NULL || m == NULL || c == NULL || c->op < 0 || c->op >= REFMMAP_OP_COUNT ||
        c->step < 0 || c->step >= REFMMAP_STEPS_MAX)
        return REFMMAP_E_BADARG;
    order = p->order[c->op];
    /* Resumed after the Python layer's conversion at order[step - 1]. */
    if (c->step > 0 && order[c->step - 1] == REFMMAP_STEP_CONVERT && (rc = converted(m, c)))
        return rc;
    for (; c->step < REFMMAP_STEPS_MAX && (step = order[c->step]) != REFMMAP_STEP_END; ) {
        c->step++;
        if (step <= REFMMAP_STEP_CONVERT_VALUE) {
            if (!c->ready)
                return step;
            if (step == REFMMAP_STEP_CONVERT && (rc = converted(m, c)))
                return rc;
            continue;
        }
        if ((rc = check(p, m, c, step)) != REFMMAP_OK)
            return rc;
    }
    return act(p, m, c);
}
