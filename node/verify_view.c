/*
 * verify_view.c — the view against a fresh fold: verify_run's check that
 * the stored members, indexes, counters, roster and the rest equal, byte
 * for byte, what folding the logs afresh into a scratch store through the
 * one write path gives (verify.h). It compares the two stores' tables
 * with LMDB cursors, so it sees store_db.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply.h"
#include "retract.h"
#include "store_db.h"
#include "verify_int.h"

#define VERIFY_FOLD_BATCH 10000  /* entries per transaction of the fold */
#define VERIFY_MAX_DIFFS 20      /* view differences listed per table */

static int copy_meta(store *from, store_txn *ft, store *to, sd_err *err)
{
    static const char *const names[] = { STORE_META_NATIONAL_KEY, STORE_META_OWN_KEY, STORE_META_STATE };
    store_txn *tt;
    int rc = store_begin(to, 1, &tt, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < 3 && !rc; i++) {
        const void *val;
        size_t n;
        if (store_meta_get(from, ft, names[i], &val, &n, NULL) == SD_OK)
            rc = store_meta_put(to, tt, names[i], val, n, err);
    }
    if (rc) {
        store_end(tt);
        return rc;
    }
    return store_commit(to, tt, err);
}

typedef struct fold_ctx {
    vctx *v;
    const char *state;
} fold_ctx;

static void fold_reject(const entry_signed *es, int kind, const char *why,
                        void *ctx)
{
    fold_ctx *f = ctx;
    (void)es;
    (void)kind;
    verify_finding(f->v, 0, "%s: the log does not fold: %s", f->state, why);
}

/* Where the fold of one origin's log into the scratch store stands. */
typedef struct fold_walk {
    vctx *v;
    store *scratch;
    const uint8_t *origin;
    entry_signed *items;
    size_t n;
    apply_opts *ao;
    sd_err *err;
} fold_walk;

/* Folds the entries gathered so far into the scratch store. */
static int fold_flush(fold_walk *w)
{
    apply_result res;
    int rc = w->n ? apply_batch(w->scratch, w->items, w->n, w->ao, &res,
                                w->err) : SD_OK;
    w->n = 0;
    return rc;
}

/* One log record into the batch (store_log_each), with its blob. */
static int fold_entry_add(uint64_t seq, const uint8_t *sig,
                          const uint8_t *entry, size_t len, void *ctx)
{
    fold_walk *w = ctx;
    if (!len)
        return 0;
    /* Point at the map: the read txn outlives the batch. */
    entry_signed *it = &w->items[w->n++];
    it->entry = (uint8_t *)entry;
    it->entry_len = len;
    memcpy(it->sig, sig, ENTRY_SIG_BYTES);
    const uint8_t *p;
    size_t plen;
    if (store_personal_get(w->v->s, w->v->txn, w->origin, seq, &p, &plen,
                           NULL) == SD_OK) {
        it->personal = (uint8_t *)p;
        it->personal_len = plen;
    } else {
        it->personal = NULL;
        it->personal_len = 0;
    }
    return w->n == VERIFY_FOLD_BATCH ? fold_flush(w) : 0;
}

static int fold_origin(vctx *v, store *scratch, const origin_info *oi,
                       sd_err *err)
{
    entry_signed *items = calloc(VERIFY_FOLD_BATCH, sizeof *items);
    if (!items)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    fold_ctx f = { v, oi->state };
    apply_opts ao = { .flags = APPLY_REBUILD, .on_reject = fold_reject, .ctx = &f };
    fold_walk w = { v, scratch, oi->origin, items, 0, &ao, err };
    int ret = store_log_each(v->s, v->txn, oi->origin, 0, fold_entry_add, &w,
                             err);
    if (!ret)
        ret = fold_flush(&w);
    free(items);
    return ret;
}

typedef struct fold_order {
    vctx *v;
    store *scratch;
    const origin_info *ois;
    size_t n;
    sd_err *err;
} fold_order;

static int fold_next(const uint8_t origin[32], const char *state, void *ctx)
{
    fold_order *fo = ctx;
    (void)state;
    for (size_t i = 0; i < fo->n; i++)
        if (!fo->ois[i].national && !memcmp(fo->ois[i].origin, origin, 32))
            return fold_origin(fo->v, fo->scratch, &fo->ois[i], fo->err);
    return SD_OK;
}

static int compare_table(vctx *v, const char *name, MDB_dbi a, store_txn *ta,
                         MDB_dbi b, store_txn *tb, sd_err *err)
{
    MDB_cursor *ca, *cb;
    int rc = mdb_cursor_open(ta, a, &ca);
    if (rc)
        return store_mdb_err(rc, name, err);
    if ((rc = mdb_cursor_open(tb, b, &cb))) {
        mdb_cursor_close(ca);
        return store_mdb_err(rc, name, err);
    }
    MDB_val ka, va, kb, vb;
    int ra = mdb_cursor_get(ca, &ka, &va, MDB_FIRST);
    int rb = mdb_cursor_get(cb, &kb, &vb, MDB_FIRST);
    int diffs = 0;
    while (ra == 0 || rb == 0) {
        int c;
        if (ra)
            c = 1;
        else if (rb)
            c = -1;
        else {
            size_t m = ka.mv_size < kb.mv_size ? ka.mv_size : kb.mv_size;
            c = memcmp(ka.mv_data, kb.mv_data, m);
            c = c < 0 ? -1 : c > 0; /* memcmp's sign only */
            if (!c)
                c = ka.mv_size < kb.mv_size ? -1 : ka.mv_size > kb.mv_size;
            if (!c && (va.mv_size != vb.mv_size ||
                       memcmp(va.mv_data, vb.mv_data, va.mv_size)))
                c = 2;
        }
        const MDB_val *kk = c == 1 ? &kb : &ka;
        char shown[96];
        size_t sl = 0;
        for (size_t i = 0; i < kk->mv_size && sl + 4 < sizeof shown; i++) {
            unsigned char ch = ((const unsigned char *)kk->mv_data)[i];
            if (ch >= 0x20 && ch < 0x7f)
                shown[sl++] = (char)ch;
            else if (ch == 0)
                shown[sl++] = '/';
            else
                sl += (size_t)snprintf(shown + sl, sizeof shown - sl, "%02x", ch);
        }
        shown[sl] = '\0';
        if (c && diffs++ < VERIFY_MAX_DIFFS) {
            if (c == 2)
                verify_finding(v, 0, "view: %s entry \"%s\" differs from the fold of "
                        "the log", name, shown);
            else if (c == -1)
                verify_finding(v, 0, "view: %s entry \"%s\" is not in the fold of "
                        "the log", name, shown);
            else
                verify_finding(v, 0, "view: %s entry \"%s\" is missing", name, shown);
        }
        if (c <= 0 || c == 2)
            ra = mdb_cursor_get(ca, &ka, &va, MDB_NEXT);
        if (c >= 0)
            rb = mdb_cursor_get(cb, &kb, &vb, MDB_NEXT);
    }
    if (diffs > VERIFY_MAX_DIFFS)
        verify_finding(v, 0, "view: %s: %d more differences", name,
                diffs - VERIFY_MAX_DIFFS);
    mdb_cursor_close(ca);
    mdb_cursor_close(cb);
    return SD_OK;
}

static void remove_scratch(const char *dir)
{
    char path[4200];
    const char *files[] = { "data.mdb", "lock.mdb" };
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

int verify_view_check(vctx *v, origin_info *ois, size_t n, sd_err *err)
{
    char dir[4096];
    const char *base = v->o->scratch_dir;
    if (!base)
        base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    snprintf(dir, sizeof dir, "%s/sadasya-verify-XXXXXX", base);
    if (!mkdtemp(dir))
        return sd_errf(err, SD_EIO, "cannot make a scratch directory in %s",
                       base);
    store *scratch = NULL;
    int rc = store_open(&scratch, dir, STORE_SCRATCH, err);
    if (!rc)
        rc = copy_meta(v->s, v->txn, scratch, err);
    /* National first: its roster authorises the rest. Then each state's
     * keys in epoch order (a later key may change an earlier one's
     * members), as the node folds them (retract.h). */
    for (size_t i = 0; i < n && !rc; i++)
        if (ois[i].national)
            rc = fold_origin(v, scratch, &ois[i], err);
    fold_order fo = { v, scratch, ois, n, err };
    if (!rc)
        rc = retract_each_origin(v->s, v->txn, fold_next, &fo, err);
    store_txn *st = NULL;
    if (!rc)
        rc = store_begin(scratch, 0, &st, err);
    if (!rc) {
        struct { const char *name; MDB_dbi a, b; } t[] = {
            { "members", v->s->members, scratch->members },
            { "counters", v->s->counters, scratch->counters },
            { "phone index", v->s->idx_phone, scratch->idx_phone },
            { "name index", v->s->idx_name, scratch->idx_name },
            { "district index", v->s->idx_dist, scratch->idx_dist },
            { "roster", v->s->roster, scratch->roster },
            { "heads", v->s->heads, scratch->heads },
            { "officers", v->s->officers, scratch->officers },
            { "events", v->s->events, scratch->events },
            { "attendance", v->s->attend, scratch->attend },
            { "honours", v->s->honours, scratch->honours },
            { "notices", v->s->notices, scratch->notices },
            { "directory", v->s->directory, scratch->directory },
            { "personal data", v->s->personal, scratch->personal },
        };
        for (size_t i = 0; i < sizeof t / sizeof t[0] && !rc; i++)
            rc = compare_table(v, t[i].name, t[i].a, v->txn, t[i].b, st, err);
        store_end(st);
    }
    store_destroy(&scratch);
    remove_scratch(dir);
    return rc;
}

void *verify_view_thread(void *arg)
{
    view_job *j = arg;
    j->rc = store_begin(j->v.s, 0, &j->v.txn, &j->err);
    if (j->rc)
        return NULL;
    j->rc = verify_view_check(&j->v, j->ois, j->n, &j->err);
    store_end(j->v.txn);
    return NULL;
}

