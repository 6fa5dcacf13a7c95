/*
 * durable.c — temp file, write, fsync, rename, fsync the directory. See
 * durable.h.
 */
#define _GNU_SOURCE /* mkostemp */
#include "durable.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DURABLE_TMP_SUFFIX ".tmp-XXXXXX"

struct durable_file {
    int fd;
    FILE *fp;          /* durable_stream's, over fd */
    int flags;
    char *path;        /* the name it will take */
    char *dir;         /* its directory, to sync */
    char *tmp;         /* where it is written meanwhile */
};

static int full(int e)
{
    return e == ENOSPC || e == EDQUOT;
}

/* The error for a write that failed with errno e. */
static int write_err(const durable_file *f, int e, sd_err *err)
{
    if (full(e))
        return sd_errf(err, SD_EFULL, "disk full writing %s: nothing was "
                       "written there (what it held before is kept)",
                       f->path);
    return sd_errf(err, SD_EIO, "cannot write %s: %s", f->path,
                   strerror(e ? e : EIO));
}

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + 1 + lb + 1);
    if (p) {
        memcpy(p, a, la);
        p[la] = '/';
        memcpy(p + la + 1, b, lb + 1);
    }
    return p;
}

static void file_free(durable_file *f)
{
    free(f->path);
    free(f->dir);
    free(f->tmp);
    free(f);
}

int durable_open(durable_file **out, const char *dir, const char *name,
                 mode_t mode, int flags, sd_err *err)
{
    *out = NULL;
    durable_file *f = calloc(1, sizeof *f);
    if (!f)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    f->fd = -1;
    f->flags = flags;
    if (dir) {
        f->dir = strdup(dir);
        f->path = join(dir, name);
    } else {
        const char *slash = strrchr(name, '/');
        f->path = strdup(name);
        f->dir = slash == name ? strdup("/")
                 : slash ? strndup(name, (size_t)(slash - name))
                         : strdup(".");
    }
    if (f->path)
        f->tmp = malloc(strlen(f->path) + sizeof DURABLE_TMP_SUFFIX);
    if (!f->dir || !f->path || !f->tmp) {
        file_free(f);
        return sd_errf(err, SD_ENOMEM, "out of memory");
    }
    strcpy(f->tmp, f->path);
    strcat(f->tmp, DURABLE_TMP_SUFFIX);
    /* mkstemp makes it 0600: nobody else reads it while it is written. */
    f->fd = mkostemp(f->tmp, O_CLOEXEC);
    if (f->fd < 0 || fchmod(f->fd, mode) != 0) {
        int e = errno;
        if (f->fd >= 0) {
            close(f->fd);
            unlink(f->tmp);
        }
        int rc = full(e) ? write_err(f, e, err)
                         : sd_errf(err, SD_EIO, "cannot create %s: %s",
                                   f->path, strerror(e));
        file_free(f);
        return rc;
    }
    *out = f;
    return SD_OK;
}

int durable_write(durable_file *f, const void *bytes, size_t len, sd_err *err)
{
    const char *p = bytes;
    while (len > 0) {
        ssize_t n = write(f->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return write_err(f, errno, err);
        }
        p += n;
        len -= (size_t)n;
    }
    return SD_OK;
}

FILE *durable_stream(durable_file *f)
{
    if (!f->fp)
        f->fp = fdopen(f->fd, "wb");
    return f->fp;
}

/* Closes the file (the stream and descriptor). errno-style: 0 or errno. */
static int close_file(durable_file *f)
{
    int e = 0;
    if (f->fp) {
        if (fflush(f->fp) != 0 || ferror(f->fp))
            e = errno ? errno : EIO;
        if (!e && !(f->flags & DURABLE_NOSYNC) && fsync(f->fd) != 0)
            e = errno;
        if (fclose(f->fp) != 0 && !e)
            e = errno;
    } else if (f->fd >= 0) {
        if (!(f->flags & DURABLE_NOSYNC) && fsync(f->fd) != 0)
            e = errno;
        if (close(f->fd) != 0 && !e)
            e = errno;
    }
    f->fp = NULL;
    f->fd = -1;
    return e;
}

/* Makes the new name durable. Best effort: some file systems refuse to
 * fsync a directory, and the file itself is synced already. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int durable_commit(durable_file **pf, sd_err *err)
{
    durable_file *f = *pf;
    *pf = NULL;
    int rc = SD_OK;
    int e = close_file(f);
    if (e) {
        rc = write_err(f, e, err);
    } else if (f->flags & DURABLE_EXCL) {
        /* link() fails rather than replace: the name is checked and taken
         * in one step. */
        if (link(f->tmp, f->path) != 0) {
            e = errno;
            rc = e == EEXIST
                     ? sd_errf(err, SD_ECONFLICT, "%s already exists; not "
                               "overwriting it", f->path)
                     : sd_errf(err, full(e) ? SD_EFULL : SD_EIO,
                               "cannot create %s: %s", f->path, strerror(e));
        }
    } else if (rename(f->tmp, f->path) != 0) {
        e = errno;
        rc = sd_errf(err, full(e) ? SD_EFULL : SD_EIO, "cannot rename %s to "
                     "%s: %s", f->tmp, f->path, strerror(e));
    }
    if (rc || (f->flags & DURABLE_EXCL))
        unlink(f->tmp);
    if (!rc && !(f->flags & DURABLE_NOSYNC))
        sync_dir(f->dir);
    file_free(f);
    return rc;
}

void durable_abort(durable_file **pf)
{
    if (!pf || !*pf)
        return;
    durable_file *f = *pf;
    *pf = NULL;
    if (f->fp)
        fclose(f->fp);
    else if (f->fd >= 0)
        close(f->fd);
    unlink(f->tmp);
    file_free(f);
}

int durable_write_file(const char *dir, const char *name, const void *bytes,
                       size_t len, mode_t mode, int flags, sd_err *err)
{
    durable_file *f;
    int rc = durable_open(&f, dir, name, mode, flags, err);
    if (rc)
        return rc;
    if ((rc = durable_write(f, bytes, len, err))) {
        durable_abort(&f);
        return rc;
    }
    return durable_commit(&f, err);
}
