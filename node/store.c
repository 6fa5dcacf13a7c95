/*
 * store.c — the LMDB environment: opening, transactions, map growth, and
 * the few raw tables (log, heads, meta) that everything else sits on.
 */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

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
        if (mkdir(dir, 0700) != 0)
            return sd_errf(err, SD_EIO, "cannot create %s: %s", dir,
                           strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return sd_errf(err, SD_EINVAL, "%s is not a directory", dir);
    }

    char dpath[4200];
    snprintf(dpath, sizeof dpath, "%s/data.mdb", dir);
    if (!(flags & STORE_RDONLY) && stat(dpath, &st) != 0 &&
        free_bytes(dir) < STORE_MIN_FREE)
        /* A new environment whose first pages cannot be written makes
         * LMDB fault when it reads them back: refuse before that. */
        return sd_errf(err, SD_EFULL, "disk full: cannot create a store in %s "
                       "(less than %d KiB free)", dir, STORE_MIN_FREE >> 10);
    store *s = calloc(1, sizeof *s);
    if (!s)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->rdonly = !!(flags & STORE_RDONLY);
    s->override_fence = !!(flags & STORE_OVERRIDE_FENCE);
    s->map_max = map_max_from_env();

    int rc = mdb_env_create(&s->env);
    if (rc)
        goto fail;
    mdb_env_set_maxdbs(s->env, STORE_MAX_DBS);
    mdb_env_set_maxreaders(s->env, 126);

    /* The map starts at STORE_MAP_INITIAL or the file's size, whichever is
     * larger, so that a store another process grew opens whole. */
    char path[4200];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    uint64_t size = STORE_MAP_INITIAL;
    if (stat(path, &st) == 0 && (uint64_t)st.st_size > size)
        size = (uint64_t)st.st_size;
    if (size > s->map_max)
        size = s->map_max;
    mdb_env_set_mapsize(s->env, size);

    unsigned envflags = MDB_NOTLS;
    if (s->rdonly)
        envflags |= MDB_RDONLY;
    if (flags & STORE_SCRATCH)
        envflags |= MDB_NOSYNC | MDB_NOMETASYNC;
    rc = mdb_env_open(s->env, dir, envflags, 0600);
    if (rc == EACCES && s->rdonly) {
        /* A read-only copy without a lock file we may write: LMDB can still
         * read it when told that no other process writes. A handle whose
         * open failed must be discarded, so start from a fresh one. */
        mdb_env_close(s->env);
        s->env = NULL;
        if ((rc = mdb_env_create(&s->env)))
            goto fail;
        mdb_env_set_maxdbs(s->env, STORE_MAX_DBS);
        mdb_env_set_maxreaders(s->env, 126);
        mdb_env_set_mapsize(s->env, size);
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

int store_begin(store *s, int write, MDB_txn **txn, sd_err *err)
{
    if (write && s->rdonly)
        return sd_errf(err, SD_EINVAL, "store %s is open read-only", s->dir);
    for (int tries = 0; tries < 3; tries++) {
        int rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, txn);
        if (rc == MDB_MAP_RESIZED) {
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

int store_commit(store *s, MDB_txn *txn, sd_err *err)
{
    int rc = mdb_txn_commit(txn);
    if (rc == EIO && free_bytes(s->dir) < STORE_MIN_FREE)
        rc = ENOSPC; /* a full disk can surface as EIO from the flush */
    if (rc)
        return store_mdb_err(rc, "committing", err);
    return SD_OK;
}

int store_grow(store *s, sd_err *err)
{
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
    if (v.mv_size != HEAD_BYTES)
        return sd_errf(err, SD_ECORRUPT, "head record of %zu bytes",
                       v.mv_size);
    const uint8_t *p = v.mv_data;
    h->seq = store_be64(p);
    memcpy(h->hash, p + 8, ENTRY_HASH_BYTES);
    h->joins = store_be64(p + 8 + ENTRY_HASH_BYTES);
    memcpy(h->state, p + 16 + ENTRY_HASH_BYTES, STORE_STATE_BYTES);
    h->state[STORE_STATE_BYTES - 1] = '\0';
    return SD_OK;
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
