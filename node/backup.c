/*
 * backup.c — compacting copies and fenced restores. See backup.h.
 */
#include "backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "store_db.h"

/* Copies a file byte for byte into dst, which must not exist, with mode;
 * durable (durable.h): dst is whole or absent. */
static int copy_file(const char *src, const char *dst, mode_t mode, sd_err *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return sd_errf(err, SD_EIO, "cannot read %s: %s", src, strerror(errno));
    durable_file *out;
    int rc = durable_open(&out, NULL, dst, mode, DURABLE_EXCL, err);
    char buf[1 << 16];
    ssize_t n = 0;
    while (!rc && (n = read(in, buf, sizeof buf)) > 0)
        rc = durable_write(out, buf, (size_t)n, err);
    if (!rc && n < 0)
        rc = sd_errf(err, SD_EIO, "reading %s: %s", src, strerror(errno));
    close(in);
    if (rc)
        durable_abort(&out);
    else
        rc = durable_commit(&out, err);
    return rc;
}

int backup_fence(const char *dir, sd_err *err)
{
    store *s;
    int rc = store_open(&s, dir, STORE_OVERRIDE_FENCE, err);
    if (rc)
        return rc;
    MDB_txn *txn;
    if (!(rc = store_begin(s, 1, &txn, err))) {
        if ((rc = store_meta_put(s, txn, STORE_META_FENCE, "1", 1, err)))
            mdb_txn_abort(txn);
        else
            rc = store_commit(s, txn, err);
    }
    store_destroy(&s);
    return rc;
}

static void remove_partial(const char *dir)
{
    char p[4200];
    const char *files[] = { "data.mdb", "lock.mdb", STORE_KEY_FILE };
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

int backup_make(store *s, const char *dest, int flags, sd_err *err)
{
    struct stat st;
    if (stat(dest, &st) == 0)
        return sd_errf(err, SD_ECONFLICT, "%s already exists; a backup goes "
                       "into a new directory", dest);
    if (mkdir(dest, 0700))
        return sd_errf(err, SD_EIO, "cannot create %s: %s", dest, strerror(errno));
    int rc = mdb_env_copy2(s->env, dest, MDB_CP_COMPACT);
    if (rc) {
        remove_partial(dest);
        return rc == ENOSPC ? sd_errf(err, SD_EFULL, "backup to %s: disk full; "
                                      "nothing kept", dest)
                            : store_mdb_err(rc, "copying the store", err);
    }
    char from[4200], to[4200];
    snprintf(from, sizeof from, "%s/%s", s->dir, STORE_KEY_FILE);
    snprintf(to, sizeof to, "%s/%s", dest, STORE_KEY_FILE);
    if ((!(flags & BACKUP_WITHOUT_KEY) && (rc = copy_file(from, to, 0600, err))) ||
        (rc = backup_fence(dest, err))) {
        remove_partial(dest);
        return rc;
    }
    return SD_OK;
}

static int dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            empty = 0;
    closedir(d);
    return empty;
}

int backup_restore(const char *src, const char *dir, sd_err *err)
{
    char from[4200], to[4200];
    struct stat st;
    snprintf(from, sizeof from, "%s/data.mdb", src);
    if (stat(from, &st))
        return sd_errf(err, SD_ENOTFOUND, "%s holds no backup (no data.mdb)", src);
    snprintf(from, sizeof from, "%s/%s", src, STORE_KEY_FILE);
    if (stat(from, &st))
        return sd_errf(err, SD_ENOTFOUND, "%s holds no key file", src);
    if (stat(dir, &st) == 0) {
        if (dir_empty(dir) != 1)
            return sd_errf(err, SD_ECONFLICT, "%s is not empty: restore into a "
                           "new directory (move the damaged one aside first)", dir);
        rmdir(dir);
    }
    if (mkdir(dir, 0700))
        return sd_errf(err, SD_EIO, "cannot create %s: %s", dir, strerror(errno));
    int rc;
    snprintf(from, sizeof from, "%s/data.mdb", src);
    snprintf(to, sizeof to, "%s/data.mdb", dir);
    if (!(rc = copy_file(from, to, 0600, err))) {
        snprintf(from, sizeof from, "%s/%s", src, STORE_KEY_FILE);
        snprintf(to, sizeof to, "%s/%s", dir, STORE_KEY_FILE);
        rc = copy_file(from, to, 0600, err);
    }
    if (!rc)
        rc = backup_fence(dir, err);
    if (rc)
        remove_partial(dir);
    return rc;
}
