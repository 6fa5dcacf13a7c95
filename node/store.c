/*
 * store.c — the LMDB environment: opening, transactions, map growth, and
 * the few raw tables (log, heads, meta) that everything else sits on.
 */
#include "store.h"
#include "store_db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define STORE_MAX_DBS 32
#define STORE_MAP_MAX_DEFAULT (1ull << 40)

/* Free bytes on the file system holding path; UINT64_MAX if unknown. */
static uint64_t free_bytes(const char *path)
{
    struct statvfs v;
    if (statvfs(path, &v))
        return UINT64_MAX;
    return (uint64_t)v.f_bavail * v.f_frsize;
}

int store_mdb_err(int rc, const char *what, sd_err *err)
{
    if (rc == MDB_MAP_FULL)
        return sd_errf(err, SD_EMAPFULL, "%s: store map full", what);
    if (rc == ENOSPC || rc == EDQUOT)
        return sd_errf(err, SD_EFULL,
                       "%s: disk full (nothing was written; free space and "
                       "retry)", what);
    if (rc == MDB_NOTFOUND)
        return sd_errf(err, SD_ENOTFOUND, "%s: not found", what);
    if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID)
        return sd_errf(err, SD_ECORRUPT, "%s: store is corrupt (%s)", what,
                       mdb_strerror(rc));
    return sd_errf(err, SD_EIO, "%s: %s", what, mdb_strerror(rc));
}

/* Makes dir/lock.mdb when it is missing: STORE_LOCK_BYTES long, its blocks
 * allocated. Left to LMDB, the file is made with ftruncate (sparse) and its
 * header written through a shared mapping; with no free block that write
 * is SIGBUS. It is filled in under a name of this process's own and linked
 * into place, so no other process sees it half made, and one that another
 * process linked first is kept. SD_EFULL when the disk has no room for it
 * (nothing is left behind); SD_OK when it exists now, and also when it
 * cannot be made for another reason (say, a directory this process may not
 * write): LMDB then goes on as it would have. */
static int lock_file_make(const char *dir, sd_err *err)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/%s", dir, STORE_LOCK_FILE);
    struct stat st;
    if (stat(path, &st) == 0 || errno != ENOENT)
        return SD_OK;
    snprintf(tmp, sizeof tmp, "%s.%ld.new", path, (long)getpid());
    int rc = 0;
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = errno;
    } else {
        rc = posix_fallocate(fd, 0, STORE_LOCK_BYTES); /* returns the error */
        close(fd);
        if (rc == 0 && link(tmp, path) != 0)
            rc = errno; /* EEXIST: another process made it meanwhile */
        unlink(tmp);
    }
    if (rc == ENOSPC || rc == EDQUOT)
        return sd_errf(err, SD_EFULL, "disk full: cannot create the lock file "
                       "%s (%d KiB; free space and retry)", path,
                       STORE_LOCK_BYTES >> 10);
    return SD_OK;
}

/* A fresh environment handle for s, not yet opened. */
static int env_new(store *s, uint64_t mapsize)
{
    int rc = mdb_env_create(&s->env);
    if (rc)
        return rc;
    mdb_env_set_maxdbs(s->env, STORE_MAX_DBS);
    mdb_env_set_maxreaders(s->env, STORE_MAX_READERS);
    return mdb_env_set_mapsize(s->env, mapsize);
}

static uint64_t map_max_from_env(void)
{
    const char *v = getenv("SADASYA_MAP_MAX_MB");
    if (v && *v) {
        unsigned long long mb = strtoull(v, NULL, 10);
        if (mb > 0)
            return (uint64_t)mb << 20;
    }
    return STORE_MAP_MAX_DEFAULT;
}

int store_open(store **out, const char *dir, int flags, sd_err *err)
{
    *out = NULL;
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (!(flags & STORE_CREATE))
            return sd_errf(err, SD_ENOTFOUND,
                           "no data directory at %s (run `sadasya init` first)",
                           dir);
        if (mkdir(dir, 0700) != 0) {
            if (errno == ENOSPC || errno == EDQUOT)
                return sd_errf(err, SD_EFULL, "disk full: cannot create %s "
                               "(free space and retry)", dir);
            return sd_errf(err, SD_EIO, "cannot create %s: %s", dir,
                           strerror(errno));
        }
    } else if (!S_ISDIR(st.st_mode)) {
        return sd_errf(err, SD_EINVAL, "%s is not a directory", dir);
    }

    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    struct stat dst;
    int have_data = stat(path, &dst) == 0;
    if (!(flags & STORE_RDONLY) && !have_data &&
        free_bytes(dir) < STORE_MIN_FREE)
        /* A new environment whose first pages cannot be written makes
         * LMDB fault when it reads them back: refuse before that. */
        return sd_errf(err, SD_EFULL, "disk full: cannot create a store in %s "
                       "(less than %d KiB free)", dir, STORE_MIN_FREE >> 10);
    /* A read-write open needs the lock file. A read-only one reads the
     * store without it when there is no room to make it: a writer would
     * have to make it first, which the same full disk refuses. A read-only
     * open of a directory without data.mdb fails below and must leave
     * nothing behind. */
    int nolock = 0;
    if (!(flags & STORE_RDONLY)) {
        int lrc = lock_file_make(dir, err);
        if (lrc)
            return lrc;
    } else if (have_data) {
        nolock = lock_file_make(dir, NULL) == SD_EFULL;
    }
    store *s = calloc(1, sizeof *s);
    if (!s)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->rdonly = !!(flags & STORE_RDONLY);
    s->override_fence = !!(flags & STORE_OVERRIDE_FENCE);
    s->map_max = map_max_from_env();

    /* The map starts at STORE_MAP_INITIAL or the file's size, whichever is
     * larger, so that a store another process grew opens whole. */
    uint64_t size = STORE_MAP_INITIAL;
    if (have_data && (uint64_t)dst.st_size > size)
        size = (uint64_t)dst.st_size;
    if (size > s->map_max)
        size = s->map_max;

    unsigned envflags = MDB_NOTLS;
    if (s->rdonly)
        envflags |= MDB_RDONLY;
    if (nolock)
        envflags |= MDB_NOLOCK;
    if (flags & STORE_SCRATCH)
        envflags |= MDB_NOSYNC | MDB_NOMETASYNC;
    int rc = env_new(s, size);
    if (rc)
        goto fail;
    rc = mdb_env_open(s->env, dir, envflags, 0600);
    if (rc == EACCES && s->rdonly && !nolock) {
        /* A read-only copy without a lock file we may write: LMDB can still
         * read it when told that no other process writes. A handle whose
         * open failed must be discarded, so start from a fresh one. */
        mdb_env_close(s->env);
        s->env = NULL;
        if ((rc = env_new(s, size)))
            goto fail;
        rc = mdb_env_open(s->env, dir, envflags | MDB_NOLOCK, 0600);
    }
    if (rc)
        goto fail;

    MDB_txn *txn;
    rc = mdb_txn_begin(s->env, NULL, s->rdonly ? MDB_RDONLY : 0, &txn);
    if (rc)
        goto fail;
    struct { MDB_dbi *dbi; const char *name; unsigned flags; } dbs[] = {
        { &s->log, "log", 0 },
        { &s->personal, "personal", 0 },
        { &s->heads, "heads", 0 },
        { &s->members, "members", 0 },
        { &s->idx_phone, "idx_phone", MDB_DUPSORT },
        { &s->idx_name, "idx_name", MDB_DUPSORT },
        { &s->idx_dist, "idx_dist", MDB_DUPSORT },
        { &s->counters, "counters", 0 },
        { &s->roster, "roster", 0 },
        { &s->evidence, "evidence", 0 },
        { &s->voided, "voided", 0 },
        { &s->meta, "meta", 0 },
        { &s->officers, "officers", 0 },
        { &s->events, "events", 0 },
        { &s->attend, "attend", 0 },
        { &s->honours, "honours", 0 },
        { &s->notices, "notices", 0 },
        { &s->directory, "directory", 0 },
    };
    for (size_t i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
        rc = mdb_dbi_open(txn, dbs[i].name,
                          dbs[i].flags | (s->rdonly ? 0 : MDB_CREATE),
                          dbs[i].dbi);
        if (rc) {
            mdb_txn_abort(txn);
            if (rc == MDB_NOTFOUND) {
                mdb_env_close(s->env);
                free(s);
                if (i == 0)
                    return sd_errf(err, SD_ENOTFOUND,
                                   "%s holds no sadasya store (run `sadasya "
                                   "init`)", dir);
                return sd_errf(err, SD_ENOTFOUND,
                               "%s was made by an older sadasya and lacks the "
                               "\"%s\" table: open it once read-write (run "
                               "its node, or any command that writes) to add "
                               "it", dir, dbs[i].name);
            }
            goto fail;
        }
    }
    rc = mdb_txn_commit(txn);
    if (rc)
        goto fail;
    *out = s;
    return SD_OK;

fail:;
    char what[4200];
    snprintf(what, sizeof what, "opening store %s", dir);
    int code = store_mdb_err(rc, what, err);
    if (s->env)
        mdb_env_close(s->env);
    free(s);
    return code;
}

void store_destroy(store **s)
{
    if (!s || !*s)
        return;
    mdb_env_close((*s)->env);
    free(*s);
    *s = NULL;
}

const char *store_dir(const store *s)
{
    return s->dir;
}

int store_overrides_fence(const store *s)
{
    return s->override_fence;
}

int store_begin(store *s, int write, MDB_txn **txn, sd_err *err)
{
    if (write && s->rdonly)
        return sd_errf(err, SD_EINVAL, "store %s is open read-only", s->dir);
    for (int tries = 0; tries < 3; tries++) {
        int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, txn);
        if (rc == MDB_MAP_RESIZED && !s->map_reserved) {
            /* Another process grew the map: adopt its size. */
            mdb_env_set_mapsize(s->env, 0);
            continue;
        }
        if (rc)
            return store_mdb_err(rc, "beginning a transaction", err);
        return SD_OK;
    }
    return sd_errf(err, SD_EIO, "beginning a transaction: map keeps resizing");
}

void store_end(store_txn *txn)
{
    if (txn)
        mdb_txn_abort(txn);
}

int store_commit(store *s, MDB_txn *txn, sd_err *err)
{
    int rc = mdb_txn_commit(txn);
    if (rc == EIO && free_bytes(s->dir) < STORE_MIN_FREE)
        rc = ENOSPC; /* a full disk can surface as EIO from the flush */
    if (rc)
        return store_mdb_err(rc, "committing", err);
    return SD_OK;
}

int store_map_reserve(store *s, sd_err *err)
{
    int rc = mdb_env_set_mapsize(s->env, s->map_max);
    if (rc)
        return store_mdb_err(rc, "reserving the store map", err);
    s->map_reserved = 1;
    return SD_OK;
}

int store_grow(store *s, sd_err *err)
{
    if (s->map_reserved)
        return sd_errf(err, SD_EFULL,
                       "store map full at its limit of %llu MiB; nothing was "
                       "written", (unsigned long long)(s->map_max >> 20));
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    uint64_t now = info.me_mapsize;
    if (now >= s->map_max)
        return sd_errf(err, SD_EFULL,
                       "store map full at %llu MiB (limit %llu MiB); nothing "
                       "was written",
                       (unsigned long long)(now >> 20),
                       (unsigned long long)(s->map_max >> 20));
    uint64_t next = now * 2;
    if (next > s->map_max)
        next = s->map_max;
    int rc = mdb_env_set_mapsize(s->env, next);
    if (rc)
        return store_mdb_err(rc, "growing the store map", err);
    return SD_OK;
}

void store_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t store_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

void store_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t store_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void store_logkey(uint8_t key[STORE_LOGKEY_BYTES], const uint8_t origin[32],
                  uint64_t seq)
{
    memcpy(key, origin, KEYS_PUBLIC_BYTES);
    store_put_be64(key + KEYS_PUBLIC_BYTES, seq);
}

#define HEAD_BYTES (8 + ENTRY_HASH_BYTES + 8 + STORE_STATE_BYTES)

/* A head record into *h. */
static int head_decode(const MDB_val *v, store_head *h, sd_err *err)
{
    if (v->mv_size != HEAD_BYTES)
        return sd_errf(err, SD_ECORRUPT, "head record of %zu bytes",
                       v->mv_size);
    const uint8_t *p = v->mv_data;
    h->seq = store_be64(p);
    memcpy(h->hash, p + 8, ENTRY_HASH_BYTES);
    h->joins = store_be64(p + 8 + ENTRY_HASH_BYTES);
    memcpy(h->state, p + 16 + ENTRY_HASH_BYTES, STORE_STATE_BYTES);
    h->state[STORE_STATE_BYTES - 1] = '\0';
    return SD_OK;
}

int store_head_get(store *s, MDB_txn *txn, const uint8_t origin[32],
                   store_head *h, sd_err *err)
{
    memset(h, 0, sizeof *h);
    MDB_val k = { KEYS_PUBLIC_BYTES, (void *)origin }, v;
    int rc = mdb_get(txn, s->heads, &k, &v);
    if (rc == MDB_NOTFOUND)
        return SD_OK;
    if (rc)
        return store_mdb_err(rc, "reading a head", err);
    return head_decode(&v, h, err);
}

int store_origins_each(store *s, store_txn *txn,
                       int (*fn)(const uint8_t origin[32], const store_head *h,
                                 void *ctx),
                       void *ctx, sd_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->heads, &c);
    if (rc)
        return store_mdb_err(rc, "reading heads", err);
    MDB_val k, v;
    int ret = SD_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && !ret;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != KEYS_PUBLIC_BYTES)
            continue;
        store_head h;
        uint8_t origin[KEYS_PUBLIC_BYTES];
        /* Copied out: fn may write to the store, which may move pages. */
        memcpy(origin, k.mv_data, sizeof origin);
        if (!(ret = head_decode(&v, &h, err)))
            ret = fn(origin, &h, ctx);
    }
    mdb_cursor_close(c);
    if (!ret && rc != MDB_NOTFOUND)
        ret = store_mdb_err(rc, "reading heads", err);
    return ret;
}

int store_head_put(store *s, MDB_txn *txn, const uint8_t origin[32],
                   const store_head *h, sd_err *err)
{
    uint8_t buf[HEAD_BYTES];
    store_put_be64(buf, h->seq);
    memcpy(buf + 8, h->hash, ENTRY_HASH_BYTES);
    store_put_be64(buf + 8 + ENTRY_HASH_BYTES, h->joins);
    memcpy(buf + 16 + ENTRY_HASH_BYTES, h->state, STORE_STATE_BYTES);
    MDB_val k = { KEYS_PUBLIC_BYTES, (void *)origin }, v = { sizeof buf, buf };
    int rc = mdb_put(txn, s->heads, &k, &v, 0);
    return rc ? store_mdb_err(rc, "writing a head", err) : SD_OK;
}

int store_evidence_first(store *s, MDB_txn *txn, const uint8_t origin[32],
                         uint64_t *seq, sd_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->evidence, &c);
    if (rc)
        return store_mdb_err(rc, "reading evidence", err);
    MDB_val k = { KEYS_PUBLIC_BYTES, (void *)origin }, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    int found = rc == 0 && k.mv_size >= STORE_LOGKEY_BYTES &&
                !memcmp(k.mv_data, origin, KEYS_PUBLIC_BYTES);
    if (found && seq)
        *seq = store_be64((const uint8_t *)k.mv_data + KEYS_PUBLIC_BYTES);
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return store_mdb_err(rc, "reading evidence", err);
    return found;
}

int store_evidence_each(store *s, store_txn *txn,
                        int (*fn)(const uint8_t origin[32], uint64_t seq,
                                  const uint8_t hash[ENTRY_HASH_BYTES],
                                  const uint8_t *sig, const uint8_t *entry,
                                  size_t len, void *ctx),
                        void *ctx, sd_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->evidence, &c);
    if (rc)
        return store_mdb_err(rc, "reading evidence", err);
    MDB_val k, v;
    int ret = SD_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && !ret;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != STORE_LOGKEY_BYTES + ENTRY_HASH_BYTES)
            continue;
        const uint8_t *p = k.mv_data, *val = v.mv_data;
        int whole = v.mv_size > ENTRY_SIG_BYTES;
        ret = fn(p, store_be64(p + KEYS_PUBLIC_BYTES), p + STORE_LOGKEY_BYTES,
                 whole ? val : NULL, whole ? val + ENTRY_SIG_BYTES : NULL,
                 whole ? v.mv_size - ENTRY_SIG_BYTES : 0, ctx);
    }
    mdb_cursor_close(c);
    if (!ret && rc != MDB_NOTFOUND)
        ret = store_mdb_err(rc, "reading evidence", err);
    return ret;
}

int store_evidence_count(store *s, store_txn *txn, uint64_t *n, sd_err *err)
{
    MDB_stat st;
    int rc = mdb_stat(txn, s->evidence, &st);
    *n = rc ? 0 : st.ms_entries;
    return rc ? store_mdb_err(rc, "counting evidence", err) : SD_OK;
}

int store_log_each(store *s, store_txn *txn, const uint8_t origin[32],
                   uint64_t from_seq,
                   int (*fn)(uint64_t seq, const uint8_t *sig,
                             const uint8_t *entry, size_t len, void *ctx),
                   void *ctx, sd_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->log, &c);
    if (rc)
        return store_mdb_err(rc, "reading the log", err);
    uint8_t key[STORE_LOGKEY_BYTES];
    store_logkey(key, origin, from_seq);
    MDB_val k = { sizeof key, key }, v;
    int ret = SD_OK;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && !ret;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size != STORE_LOGKEY_BYTES ||
            memcmp(k.mv_data, origin, KEYS_PUBLIC_BYTES))
            break;
        const uint8_t *val = v.mv_data;
        int whole = v.mv_size > ENTRY_SIG_BYTES;
        ret = fn(store_be64((const uint8_t *)k.mv_data + KEYS_PUBLIC_BYTES),
                 whole ? val : NULL, whole ? val + ENTRY_SIG_BYTES : NULL,
                 whole ? v.mv_size - ENTRY_SIG_BYTES : 0, ctx);
    }
    mdb_cursor_close(c);
    if (!ret && rc && rc != MDB_NOTFOUND)
        ret = store_mdb_err(rc, "reading the log", err);
    return ret;
}

int store_personal_get(store *s, store_txn *txn, const uint8_t origin[32],
                       uint64_t seq, const uint8_t **blob, size_t *len,
                       sd_err *err)
{
    uint8_t key[STORE_LOGKEY_BYTES];
    store_logkey(key, origin, seq);
    MDB_val k = { sizeof key, key }, v;
    int rc = mdb_get(txn, s->personal, &k, &v);
    if (rc == MDB_NOTFOUND)
        return SD_ENOTFOUND;
    if (rc)
        return store_mdb_err(rc, "reading personal data", err);
    *blob = v.mv_data;
    *len = v.mv_size;
    return SD_OK;
}

int store_log_get(store *s, MDB_txn *txn, const uint8_t origin[32],
                  uint64_t seq, const uint8_t **sig, const uint8_t **entry,
                  size_t *entry_len, sd_err *err)
{
    uint8_t key[STORE_LOGKEY_BYTES];
    store_logkey(key, origin, seq);
    MDB_val k = { sizeof key, key }, v;
    int rc = mdb_get(txn, s->log, &k, &v);
    if (rc)
        return store_mdb_err(rc, "reading the log", err);
    if (v.mv_size <= ENTRY_SIG_BYTES)
        return sd_errf(err, SD_ECORRUPT, "log record of %zu bytes",
                       v.mv_size);
    *sig = v.mv_data;
    *entry = (const uint8_t *)v.mv_data + ENTRY_SIG_BYTES;
    *entry_len = v.mv_size - ENTRY_SIG_BYTES;
    return SD_OK;
}

int store_meta_get(store *s, MDB_txn *txn, const char *name, const void **val,
                   size_t *len, sd_err *err)
{
    MDB_val k = { strlen(name), (void *)name }, v;
    int rc = mdb_get(txn, s->meta, &k, &v);
    if (rc)
        return store_mdb_err(rc, name, err);
    *val = v.mv_data;
    *len = v.mv_size;
    return SD_OK;
}

int store_meta_put(store *s, MDB_txn *txn, const char *name, const void *val,
                   size_t len, sd_err *err)
{
    MDB_val k = { strlen(name), (void *)name }, v = { len, (void *)val };
    int rc = mdb_put(txn, s->meta, &k, &v, 0);
    return rc ? store_mdb_err(rc, name, err) : SD_OK;
}

int store_meta_del(store *s, store_txn *txn, const char *name, sd_err *err)
{
    MDB_val k = { strlen(name), (void *)name };
    int rc = mdb_del(txn, s->meta, &k, NULL);
    if (rc == MDB_NOTFOUND)
        return SD_ENOTFOUND;
    return rc ? store_mdb_err(rc, name, err) : SD_OK;
}

int store_meta_key32(store *s, store_txn *txn, const char *name,
                     uint8_t key[KEYS_PUBLIC_BYTES], sd_err *err)
{
    const void *v = NULL;
    size_t n = 0;
    int rc = store_meta_get(s, txn, name, &v, &n, err);
    if (rc)
        return rc;
    if (n != KEYS_PUBLIC_BYTES)
        return sd_errf(err, SD_ECORRUPT, "meta %s of %zu bytes (a key is %d)",
                       name, n, KEYS_PUBLIC_BYTES);
    memcpy(key, v, KEYS_PUBLIC_BYTES);
    return SD_OK;
}

int store_meta_each(store *s, store_txn *txn, const char *prefix,
                    int (*fn)(const char *name, size_t name_len,
                              const void *val, size_t len, void *ctx),
                    void *ctx, sd_err *err)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->meta, &c);
    if (rc)
        return store_mdb_err(rc, "reading meta", err);
    size_t plen = strlen(prefix);
    MDB_val k = { plen, (void *)prefix }, v;
    int ret = SD_OK;
    for (rc = mdb_cursor_get(c, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
         rc == 0 && !ret; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen))
            break;
        ret = fn(k.mv_data, k.mv_size, v.mv_data, v.mv_size, ctx);
    }
    mdb_cursor_close(c);
    if (!ret && rc && rc != MDB_NOTFOUND)
        ret = store_mdb_err(rc, "reading meta", err);
    return ret;
}
