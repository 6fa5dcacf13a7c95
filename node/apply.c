/*
 * apply.c — verify → append → fold, one transaction per batch or several
 * (apply_txn_*). See apply.h. What needs no store is in apply_prepare.c;
 * the evidence table and hold-back in apply_evidence.c.
 */
#include "apply.h"
#include "apply_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fence.h"
#include "fold.h"
#include "retract.h"
#include "rules.h"
#include "roster.h"
#include "store_db.h"
#include "view.h"
#include "view_int.h" /* the batch's cursors */

struct apply_note {
    const entry_signed *es;
    const apply_opts *opts;
    int kind;
    char *why;
};

struct apply_txn {
    store *s;
    MDB_txn *txn;
    view_batch *vb;
    size_t added;
    /* Reports held until the transaction commits. */
    struct apply_note *notes;
    size_t nnotes, capnotes;
};

/* What one batch knows of this node, read once per batch. */
typedef struct apply_ctx {
    store *s;
    MDB_txn *txn;
    view_batch *vb;
    apply_txn *t;
    const apply_opts *opts;
    apply_result *res;
    uint8_t national[32];
    int have_national;
    uint8_t own[32];
    int have_own;
    char own_state[STORE_STATE_BYTES];
    /* The run being applied: one origin's head, written back at its end. */
    uint8_t cur[32];
    int have_cur, cur_dirty, cur_held_back;
    store_head head;
    /* The run's origin as the roster has it, once known (a run is one
     * origin's, and only the national origin's runs change the roster). */
    int cur_known, cur_national;
    char cur_state[STORE_STATE_BYTES];
    roster_key cur_key;   /* its roster record (first serial, cut) */
    int own_seen;         /* an entry of this node's own key came from outside */
    char first_refusal[SD_ERR_MSG_MAX];
} apply_ctx;

static void note(apply_ctx *a, const entry_signed *es, int kind,
                 const char *why)
{
    apply_txn *t = a->t;
    if (!a->opts || !a->opts->on_reject)
        return;
    if (t->nnotes == t->capnotes) {
        size_t cap = t->capnotes ? t->capnotes * 2 : 32;
        struct apply_note *nn = realloc(t->notes, cap * sizeof *nn);
        if (!nn)
            return; /* counted all the same; only the report is lost */
        t->notes = nn;
        t->capnotes = cap;
    }
    char *w = strdup(why);
    if (!w)
        return;
    t->notes[t->nnotes++] = (struct apply_note){ es, a->opts, kind, w };
}

static void notes_free(apply_txn *t)
{
    for (size_t i = 0; i < t->nnotes; i++)
        free(t->notes[i].why);
    free(t->notes);
    t->notes = NULL;
    t->nnotes = t->capnotes = 0;
}

/* Refuses es; kind is one of the refusal kinds of apply.h. */
static void reject_as(apply_ctx *a, const entry_signed *es, int kind,
                      const char *why)
{
    if (!a->res->rejected++)
        snprintf(a->first_refusal, sizeof a->first_refusal, "%s", why);
    note(a, es, kind, why);
}

static void reject(apply_ctx *a, const entry_signed *es, const char *why)
{
    reject_as(a, es, APPLY_REFUSED, why);
}

/* An error that refuses one entry, rather than failing the batch. */
static int is_refusal(int rc)
{
    return rc == SD_EINVAL || rc == SD_EAUTH || rc == SD_ECONFLICT;
}

/* Entries this node signed itself, or a log re-folded after it was
 * verified: no signature to check, nothing held back, and no sign of
 * another copy signing with this node's key. */
static int trusted(const apply_ctx *a)
{
    return a->opts && (a->opts->flags & (APPLY_OWN | APPLY_REBUILD));
}

static void load_identity(apply_ctx *a)
{
    const void *v;
    size_t n;
    a->have_national = roster_national_key(a->s, a->txn, a->national, NULL) == SD_OK;
    a->have_own = store_meta_key32(a->s, a->txn, STORE_META_OWN_KEY, a->own, NULL) == SD_OK;
    memset(a->own_state, 0, sizeof a->own_state);
    if (store_meta_get(a->s, a->txn, STORE_META_STATE, &v, &n, NULL) == SD_OK &&
        n < sizeof a->own_state)
        memcpy(a->own_state, v, n);
}

static int end_run(apply_ctx *a, sd_err *err)
{
    int rc = SD_OK;
    if (a->have_cur && a->cur_dirty)
        rc = store_head_put(a->s, a->txn, a->cur, &a->head, err);
    a->have_cur = a->cur_dirty = a->cur_held_back = a->cur_known = 0;
    return rc;
}

static int start_run(apply_ctx *a, const uint8_t origin[32], sd_err *err)
{
    if (a->have_cur && !memcmp(a->cur, origin, 32))
        return SD_OK;
    int rc = end_run(a, err);
    if (rc)
        return rc;
    memcpy(a->cur, origin, 32);
    a->have_cur = 1;
    if ((rc = store_head_get(a->s, a->txn, origin, &a->head, err)))
        return rc;
    /* This node's own entries and a rebuild's re-fold are not held back
     * (the writer's fence stops a node that equivocated, fence.h). */
    if (trusted(a))
        return SD_OK;
    int held = apply_held_back(a->s, a->txn, origin, err);
    if (held < 0)
        return held;
    a->cur_held_back = held;
    return SD_OK;
}

/* The state an origin writes for, or a refusal saying why it may not. */
static int rebuilding(const apply_ctx *a)
{
    return a->opts && (a->opts->flags & APPLY_REBUILD);
}

static int origin_state(apply_ctx *a, const uint8_t origin[32],
                        char state[STORE_STATE_BYTES], int *national,
                        roster_key *rk, sd_err *err)
{
    *national = 0;
    roster_key_unlisted(rk);
    if (a->have_national && !memcmp(origin, a->national, 32)) {
        *national = 1;
        snprintf(state, STORE_STATE_BYTES, "%s", ROSTER_NATIONAL_STATE);
        return SD_OK;
    }
    int rc = roster_key_get(a->s, a->txn, origin, rk, err);
    if (rc == SD_OK) {
        memcpy(state, rk->state, STORE_STATE_BYTES);
        return SD_OK;
    }
    if (rc != SD_ENOTFOUND)
        return rc;
    if (a->have_own && !memcmp(origin, a->own, 32)) {
        /* Our own entries, written before our roster entry reached us. */
        memcpy(state, a->own_state, STORE_STATE_BYTES);
        return SD_OK;
    }
    return sd_errf(err, SD_EAUTH, "key not in the roster");
}

/* Whether the run's key may have written seq (node/README.md): entries up
 * to its cut stay valid for ever; a rebuild re-folds what was valid. */
static int key_allows(apply_ctx *a, uint64_t seq, sd_err *err)
{
    if (a->cur_national || rebuilding(a))
        return SD_OK;
    return roster_key_allows(&a->cur_key, seq, err);
}

/* An entry at a seq we already hold: a duplicate, or equivocation. A
 * duplicate may bring the Personal blob the held entry came without. */
static int held_seq(apply_ctx *a, const entry_signed *es,
                    const apply_prepared *pr, sd_err *err)
{
    const Sadasya__Entry *e = pr->e;
    const uint8_t *hash = pr->hash;
    const uint8_t *sig, *bytes;
    size_t len;
    int rc = store_log_get(a->s, a->txn, e->origin.data, e->seq, &sig, &bytes,
                           &len, err);
    if (rc)
        return rc;
    uint8_t held[ENTRY_HASH_BYTES];
    entry_hash(bytes, len, sig, held);
    if (!memcmp(held, hash, ENTRY_HASH_BYTES)) {
        a->res->duplicate++;
        int taken = 0;
        if (pr->p && (rc = view_personal_healed(a->s, a->txn, a->vb, e, pr->p,
                                                es->personal, es->personal_len,
                                                &taken, err)))
            return rc;
        a->res->personal_healed += (size_t)taken;
        return SD_OK;
    }
    if (a->opts && (a->opts->flags & APPLY_OWN))
        return sd_errf(err, SD_ECONFLICT,
                       "seq %llu of this node's log was written meanwhile",
                       (unsigned long long)e->seq);
    if (!entry_verify_sig(e->origin.data, es->entry, es->entry_len, es->sig)) {
        reject(a, es, "bad signature on an entry for a seq already held");
        return SD_OK;
    }
    /* Keep both signed entries: the one we hold and the conflicting one. */
    entry_signed mine = { (uint8_t *)bytes, len, { 0 }, NULL, 0 };
    memcpy(mine.sig, sig, ENTRY_SIG_BYTES);
    if ((rc = apply_evidence_both(a->s, a->txn, e->origin.data, e->seq, es,
                                  hash, &mine, held, err)) < 0)
        return rc;
    a->res->evidence++;
    a->cur_held_back = 1;
    char why[128];
    snprintf(why, sizeof why,
             "equivocation: two entries signed for seq %llu; evidence kept, "
             "later entries of this origin held back",
             (unsigned long long)e->seq);
    reject_as(a, es, APPLY_EQUIVOCATION, why);
    return SD_OK;
}

/* Whether prepared index entries may be used for these items: no entry
 * changes a member (its index entries are deleted at once, and must not
 * precede the join's puts). */
static int index_ahead_ok(const apply_prepared *pr, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (pr[i].e && pr[i].e->body_case != SADASYA__ENTRY__BODY_JOINED &&
            (pr[i].e->body_case != SADASYA__ENTRY__BODY_ROSTER ||
             pr[i].e->roster->n_cuts)) /* a cut may fold the view again */
            return 0;
    return 1;
}

/* --- applying ----------------------------------------------------------- */

/* A roster entry just folded ended keys: entries this node took beyond a
 * cut leave the log, and the view is folded again (retract.h). The run
 * being applied is the national one, whose head is unaffected. */
static int apply_cuts(apply_ctx *a, const Sadasya__RosterUpdate *ru,
                      sd_err *err)
{
    size_t total = 0;
    for (size_t i = 0; i < ru->n_cuts; i++) {
        roster_key rk;
        int rc = roster_key_get(a->s, a->txn, ru->cuts[i]->key.data, &rk, err);
        if (rc == SD_ENOTFOUND)
            continue;
        size_t n = 0;
        if (rc || (rc = retract_beyond(a->s, a->txn, ru->cuts[i]->key.data,
                                       rk.last_seq, &n, err)))
            return rc;
        total += n;
    }
    if (!total)
        return SD_OK;
    a->res->retracted += total;
    int rc = view_flush(a->s, a->txn, a->vb, err);
    return rc ? rc : retract_refold(a->s, a->txn, err);
}

static int apply_one(apply_ctx *a, entry_signed *es, const apply_prepared *pr,
                     sd_err *err)
{
    sd_err why;
    sd_err_clear(&why);
    const Sadasya__Entry *e = pr->e;
    if (!e) {
        reject(a, es, pr->why ? pr->why : "entry does not decode");
        return SD_OK;
    }
    int rc;
    if ((rc = start_run(a, e->origin.data, err)))
        return rc;
    const uint8_t *hash = pr->hash;
    if (e->seq <= a->head.seq)
        return held_seq(a, es, pr, err);
    if (a->cur_held_back) {
        a->res->held_back++;
        reject_as(a, es, APPLY_HELD_BACK,
                  "held back: its origin equivocated (evidence held here)");
        return SD_OK;
    }
    char state[STORE_STATE_BYTES] = { 0 };
    int national = 0;
    if (e->seq > a->head.seq + 1)
        rc = sd_errf(&why, SD_EINVAL, "gap: seq %llu after held head %llu",
                     (unsigned long long)e->seq,
                     (unsigned long long)a->head.seq);
    else if (memcmp(e->prev.data, a->head.hash, ENTRY_HASH_BYTES))
        rc = sd_errf(&why, SD_EINVAL, "broken chain: prev of seq %llu is not "
                     "the hash of seq %llu", (unsigned long long)e->seq,
                     (unsigned long long)a->head.seq);
    else if (a->cur_known) {
        memcpy(state, a->cur_state, STORE_STATE_BYTES);
        national = a->cur_national;
    } else if (!(rc = origin_state(a, e->origin.data, state, &national,
                                   &a->cur_key, &why))) {
        memcpy(a->cur_state, state, STORE_STATE_BYTES);
        a->cur_national = national;
        a->cur_known = 1;
    }
    if (!rc)
        rc = key_allows(a, e->seq, &why);
    /* The signature before the body rules: only a key holder reaches them. */
    if (!rc && !trusted(a) &&
        !pr->vouched &&
        !entry_verify_sig(e->origin.data, es->entry, es->entry_len, es->sig))
        rc = sd_errf(&why, SD_EAUTH, "bad signature");
    if (!rc)
        rc = fold_check(a->s, a->txn, e, state, national,
                        a->cur_key.first_serial, &a->head, &why);
    /* The Personal data the entry committed to meets the same rules as
     * the body (a blank name is refused here as at `register`). */
    if (!rc && pr->p)
        rc = rules_personal(pr->p, e->time_ms, &why);
    if (rc) {
        if (!is_refusal(rc)) { /* a store failure, not the entry's fault */
            if (err)
                *err = why;
            return rc;
        }
        /* A join for a number another member holds: signed, so kept. */
        if (rc == SD_ECONFLICT && e->body_case == SADASYA__ENTRY__BODY_JOINED &&
            (rc = retract_keep(a->s, a->txn, e->origin.data, e->seq,
                               VOIDED_NUMBER_HELD, es->sig, es->entry,
                               es->entry_len, err)))
            return rc;
        reject(a, es, why.msg);
        return SD_OK;
    }
    /* This node's own key, signing somewhere else: another copy of this
     * data directory writes (fence.h). Taken, and this node stops signing. */
    if (a->have_own && !memcmp(e->origin.data, a->own, 32) && !trusted(a))
        a->own_seen = 1;
    if (pr->personal_bad) {
        a->res->personal_dropped++;
        note(a, es, APPLY_PERSONAL_DROPPED,
             "personal data does not match its signed hash: dropped, "
             "entry kept");
    }
    const Sadasya__Personal *p = pr->p;

    uint8_t key[STORE_LOGKEY_BYTES];
    store_logkey(key, e->origin.data, e->seq);
    MDB_val k = { sizeof key, key };
    MDB_val v = { ENTRY_SIG_BYTES + es->entry_len, NULL };
    MDB_cursor *c;
    if ((rc = view_cursor(a->vb, a->txn, a->s->log, &c, err)))
        return rc;
    int mrc = mdb_cursor_put(c, &k, &v, MDB_RESERVE);
    if (mrc)
        return store_mdb_err(mrc, "appending to the log", err);
    memcpy(v.mv_data, es->sig, ENTRY_SIG_BYTES);
    memcpy((uint8_t *)v.mv_data + ENTRY_SIG_BYTES, es->entry, es->entry_len);
    if (p) {
        MDB_val pv = { es->personal_len, es->personal };
        if ((rc = view_cursor(a->vb, a->txn, a->s->personal, &c, err)))
            return rc;
        if ((mrc = mdb_cursor_put(c, &k, &pv, 0)))
            return store_mdb_err(mrc, "writing personal data", err);
    }
    a->head.seq = e->seq;
    memcpy(a->head.hash, hash, ENTRY_HASH_BYTES);
    if (e->body_case == SADASYA__ENTRY__BODY_JOINED)
        a->head.joins++;
    memcpy(a->head.state, state, STORE_STATE_BYTES);
    a->cur_dirty = 1;
    if ((rc = fold_entry(a->s, a->txn, a->vb, e, state, p, err)))
        return rc;
    a->res->added++;
    if (e->body_case == SADASYA__ENTRY__BODY_ROSTER && e->roster->n_cuts &&
        !rebuilding(a))
        return apply_cuts(a, e->roster, err);
    return SD_OK;
}

int apply_txn_begin(store *s, apply_txn **out, sd_err *err)
{
    *out = NULL;
    apply_txn *t = calloc(1, sizeof *t);
    if (!t)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    t->s = s;
    int rc = view_batch_new(&t->vb, err);
    if (!rc)
        rc = store_begin(s, 1, &t->txn, err);
    if (rc) {
        view_batch_destroy(&t->vb);
        free(t);
        return rc;
    }
    *out = t;
    return SD_OK;
}

MDB_txn *apply_txn_handle(apply_txn *t)
{
    return t->txn;
}

size_t apply_txn_added(const apply_txn *t)
{
    return t->added;
}

int apply_txn_add(apply_txn *t, entry_signed *items, size_t n,
                  const apply_opts *opts, apply_result *res, sd_err *err)
{
    apply_ctx a;
    memset(&a, 0, sizeof a);
    a.s = t->s;
    a.txn = t->txn;
    a.vb = t->vb;
    a.t = t;
    a.opts = opts;
    a.res = res;
    memset(res, 0, sizeof *res);
    apply_prepared *own = NULL;
    const apply_prepared *pr = opts ? opts->prepared : NULL;
    int rc = SD_OK;
    if (!pr) {
        if ((rc = apply_prepare(items, n, opts ? opts->flags : 0, &own, err)))
            return rc;
        pr = own;
    }
    load_identity(&a);
    view_batch *ix = opts && opts->prepared && index_ahead_ok(pr, n)
                         ? opts->prepared_index : NULL;
    uint8_t *added = NULL;
    if (ix && !(added = calloc(n ? n : 1, 1)))
        ix = NULL;
    view_batch_indexed(t->vb, ix != NULL);
    for (size_t i = 0; i < n && !rc; i++) {
        size_t before = res->added;
        rc = apply_one(&a, &items[i], &pr[i], err);
        if (added && res->added > before)
            added[i] = 1;
    }
    view_batch_indexed(t->vb, 0);
    if (!rc && ix)
        rc = view_index_put(ix, added, n, t->txn, t->vb, err);
    if (!rc && a.own_seen)
        rc = fence_mark_copy(t->s, t->txn, a.own, err);
    free(added);
    if (!rc && opts && (opts->flags & APPLY_OWN) && res->rejected)
        /* This node's own entries go in whole or not at all. */
        rc = sd_errf(err, SD_EINVAL, "%s", a.first_refusal);
    if (!rc)
        rc = end_run(&a, err);
    /* Index puts wait for the commit: sorted all together, more of them
     * land next to each other. */
    if (!rc && opts && opts->meta_name)
        rc = store_meta_put(t->s, t->txn, opts->meta_name, opts->meta_val,
                            opts->meta_len, err);
    apply_prepared_free(&own, n);
    if (rc)
        view_batch_discard(t->vb);
    else
        t->added += res->added;
    return rc;
}

static void txn_free(apply_txn *t)
{
    notes_free(t);
    view_batch_destroy(&t->vb);
    free(t);
}

void apply_txn_report(apply_txn *t)
{
    for (size_t i = 0; i < t->nnotes; i++)
        t->notes[i].opts->on_reject(t->notes[i].es, t->notes[i].kind,
                                    t->notes[i].why, t->notes[i].opts->ctx);
    notes_free(t);
}

void apply_txn_abort(apply_txn **tp)
{
    if (!tp || !*tp)
        return;
    mdb_txn_abort((*tp)->txn);
    txn_free(*tp);
    *tp = NULL;
}

int apply_txn_commit(apply_txn **tp, sd_err *err)
{
    apply_txn *t = *tp;
    *tp = NULL;
    int rc = view_flush(t->s, t->txn, t->vb, err);
    if (rc) {
        mdb_txn_abort(t->txn);
        txn_free(t);
        return rc;
    }
    rc = store_commit(t->s, t->txn, err);
    if (!rc)
        apply_txn_report(t);
    txn_free(t);
    return rc;
}

int apply_batch(store *s, entry_signed *items, size_t n,
                const apply_opts *opts, apply_result *res, sd_err *err)
{
    apply_prepared *pr = NULL;
    apply_opts o = { 0 };
    if (opts)
        o = *opts;
    memset(res, 0, sizeof *res);
    int rc = SD_OK;
    if (!o.prepared) {
        /* Prepared once: a retry after growing the map reuses it. */
        if ((rc = apply_prepare(items, n, o.flags, &pr, err)))
            return rc;
        o.prepared = pr;
    }
    for (;;) {
        apply_txn *t;
        if ((rc = apply_txn_begin(s, &t, err)))
            break;
        rc = apply_txn_add(t, items, n, &o, res, err);
        if (rc) {
            apply_txn_abort(&t);
        } else {
            /* Reports go to the caller's opts, which outlive the call. */
            for (size_t i = 0; i < t->nnotes; i++)
                t->notes[i].opts = opts;
            rc = apply_txn_commit(&t, err);
        }
        if (rc != SD_EMAPFULL)
            break;
        /* The map, not the disk, is full: grow it and apply again. */
        if ((rc = store_grow(s, err)) != SD_OK)
            break;
    }
    apply_prepared_free(&pr, n);
    return rc;
}

int apply_txn_evidence(apply_txn *t, const entry_signed *es,
                       const entry_signed *others, size_t n, sd_err *err)
{
    return apply_evidence_in(t->s, t->txn, es, others, n, err);
}
