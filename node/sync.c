/*
 * sync.c — the pull protocol's messages and their meaning. See sync.h.
 */
#include "sync.h"

#include <stdlib.h>
#include <string.h>

#include "roster.h"
#include "view.h"

static int head_ok(const Sadasya__Head *h)
{
    return h && h->origin.len == 32 && (h->hash.len == 32 || (h->seq == 0 && h->hash.len == 0));
}

int sync_decode(const uint8_t *buf, size_t len, Sadasya__SyncMsg **out,
                sd_err *err)
{
    *out = NULL;
    if (len == 0)
        return sd_errf(err, SD_EINVAL, "empty message");
    if (len > SYNC_MSG_MAX)
        return sd_errf(err, SD_EINVAL, "message of %zu bytes (limit %u)", len,
                       SYNC_MSG_MAX);
    Sadasya__SyncMsg *m = sadasya__sync_msg__unpack(NULL, len, buf);
    if (!m)
        return sd_errf(err, SD_EINVAL, "message does not decode (%zu bytes)",
                       len);
    const char *why = NULL;
    if (m->version != SYNC_VERSION)
        why = "unknown protocol version";
    else if (m->msg_case == SADASYA__SYNC_MSG__MSG_PULL) {
        if (m->pull->n_have > SYNC_MAX_HEADS)
            why = "pull lists too many heads";
        else if (m->pull->n_want > SYNC_MAX_HEADS)
            why = "pull wants too many origins";
        for (size_t i = 0; !why && i < m->pull->n_want; i++)
            if (m->pull->want[i].len != 32)
                why = "pull wants a malformed origin";
        for (size_t i = 0; !why && i < m->pull->n_have; i++)
            if (!head_ok(m->pull->have[i]))
                why = "pull with a malformed head";
    } else if (m->msg_case == SADASYA__SYNC_MSG__MSG_BATCH) {
        const Sadasya__Batch *b = m->batch;
        if (b->n_heads > SYNC_MAX_HEADS)
            why = "batch lists too many heads";
        for (size_t i = 0; !why && i < b->n_heads; i++)
            if (!head_ok(b->heads[i]))
                why = "batch with a malformed head";
        if (b->n_evidence > SYNC_MAX_EVIDENCE)
            why = "batch with too much evidence";
        for (size_t i = 0; !why && i < b->n_evidence; i++)
            if (!b->evidence[i] || b->evidence[i]->sig.len != ENTRY_SIG_BYTES ||
                b->evidence[i]->entry.len == 0 ||
                b->evidence[i]->entry.len > ENTRY_MAX_BYTES)
                why = "batch with malformed evidence";
        for (size_t i = 0; !why && i < b->n_entries; i++) {
            const Sadasya__Carried *c = b->entries[i];
            if (!c || !c->signed_ || c->signed_->sig.len != ENTRY_SIG_BYTES ||
                c->signed_->entry.len == 0 ||
                c->signed_->entry.len > ENTRY_MAX_BYTES ||
                c->personal.len > PERSONAL_MAX_BYTES)
                why = "batch with a malformed entry";
        }
    } else if (m->msg_case != SADASYA__SYNC_MSG__MSG_ERROR) {
        why = "message of no known kind";
    }
    if (why) {
        if (m->version != SYNC_VERSION)
            sd_errf(err, SD_EINVAL, "%s %u (this node speaks %d)", why,
                    m->version, SYNC_VERSION);
        else
            sd_errf(err, SD_EINVAL, "%s", why);
        sadasya__sync_msg__free_unpacked(m, NULL);
        return SD_EINVAL;
    }
    *out = m;
    return SD_OK;
}

int sync_encode(Sadasya__SyncMsg *m, uint8_t **out, size_t *len, sd_err *err)
{
    m->version = SYNC_VERSION;
    size_t n = sadasya__sync_msg__get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    *len = sadasya__sync_msg__pack(m, buf);
    *out = buf;
    return SD_OK;
}

void sync_head_free(Sadasya__Head *h)
{
    if (h) {
        free(h->origin.data);
        free(h->hash.data);
        free(h);
    }
}

void sync_heads_free(Sadasya__Head **heads, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sync_head_free(heads[i]);
    free(heads);
}

Sadasya__Head *sync_head_new(const uint8_t origin[32], uint64_t seq,
                             const uint8_t hash[32])
{
    Sadasya__Head *h = malloc(sizeof *h);
    if (!h)
        return NULL;
    sadasya__head__init(h);
    h->origin.data = malloc(32);
    h->hash.data = malloc(32);
    if (!h->origin.data || !h->hash.data) {
        free(h->origin.data);
        free(h->hash.data);
        free(h);
        return NULL;
    }
    memcpy(h->origin.data, origin, 32);
    memcpy(h->hash.data, hash, 32);
    h->origin.len = h->hash.len = 32;
    h->seq = seq;
    return h;
}

typedef struct heads_ctx {
    Sadasya__Head **hs;
    size_t n, cap;
    const uint8_t *national; /* NULL when the store holds no national key */
    sd_err *err;
} heads_ctx;

/* One origin held into the list (store_origins_each). */
static int head_add(const uint8_t origin[32], const store_head *h, void *ctx)
{
    heads_ctx *x = ctx;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        Sadasya__Head **nh = realloc(x->hs, cap * sizeof *nh);
        if (!nh)
            return sd_errf(x->err, SD_ENOMEM, "out of memory");
        x->hs = nh;
        x->cap = cap;
    }
    Sadasya__Head *head = sync_head_new(origin, h->seq, h->hash);
    if (!head)
        return sd_errf(x->err, SD_ENOMEM, "out of memory");
    /* National first: its roster entries authorise the rest. */
    if (x->national && !memcmp(origin, x->national, 32) && x->n) {
        memmove(x->hs + 1, x->hs, x->n * sizeof *x->hs);
        x->hs[0] = head;
    } else {
        x->hs[x->n] = head;
    }
    x->n++;
    return SD_OK;
}

int sync_heads(store *s, store_txn *txn, Sadasya__Head ***heads, size_t *n,
               sd_err *err)
{
    *heads = NULL;
    *n = 0;
    uint8_t national[32];
    int have_nat = roster_national_key(s, txn, national, NULL) == SD_OK;
    heads_ctx x = { NULL, 0, 0, have_nat ? national : NULL, err };
    int rc = store_origins_each(s, txn, head_add, &x, err);
    if (rc) {
        sync_heads_free(x.hs, x.n);
        return rc;
    }
    *heads = x.hs;
    *n = x.n;
    return SD_OK;
}

Sadasya__Head *sync_head_find(Sadasya__Head *const *hs, size_t n,
                              const uint8_t origin[32])
{
    for (size_t i = 0; i < n; i++)
        if (hs[i]->origin.len == 32 && !memcmp(hs[i]->origin.data, origin, 32))
            return hs[i];
    return NULL;
}

int sync_pull_wants(const Sadasya__Pull *pull, const uint8_t origin[32])
{
    if (!pull->select)
        return 1;
    for (size_t i = 0; i < pull->n_want; i++)
        if (pull->want[i].len == 32 && !memcmp(pull->want[i].data, origin, 32))
            return 1;
    return 0;
}

int sync_pull(store *s, uint64_t id, uint32_t max, uint32_t wait_ms,
              Sadasya__Head *const *after, size_t nafter,
              const sync_want *want, uint8_t **out, size_t *len, sd_err *err)
{
    store_txn *txn;
    int rc = store_begin(s, 0, &txn, err);
    if (rc)
        return rc;
    Sadasya__Head **hs = NULL;
    size_t n = 0;
    rc = sync_heads(s, txn, &hs, &n, err);
    store_end(txn);
    if (rc)
        return rc;
    /* Heads a batch in hand will reach replace ours; new origins join. */
    Sadasya__Head **all = malloc((n + nafter + 1) * sizeof *all);
    if (!all) {
        sync_heads_free(hs, n);
        return sd_errf(err, SD_ENOMEM, "out of memory");
    }
    size_t na = 0;
    for (size_t i = 0; i < n; i++) {
        Sadasya__Head *a = sync_head_find(after, nafter, hs[i]->origin.data);
        all[na++] = a && a->seq > hs[i]->seq ? a : hs[i];
    }
    for (size_t i = 0; i < nafter; i++)
        if (!sync_head_find(hs, n, after[i]->origin.data))
            all[na++] = after[i];
    Sadasya__Pull p = SADASYA__PULL__INIT;
    p.id = id;
    p.max = max;
    p.wait_ms = wait_ms;
    p.have = all;
    p.n_have = na;
    ProtobufCBinaryData *w = NULL;
    if (want && want->select) {
        p.select = 1;
        w = malloc((want->n ? want->n : 1) * sizeof *w);
        if (!w) {
            free(all);
            sync_heads_free(hs, n);
            return sd_errf(err, SD_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < want->n; i++) {
            w[i].data = (uint8_t *)want->origins[i];
            w[i].len = 32;
        }
        p.want = w;
        p.n_want = want->n;
    }
    Sadasya__SyncMsg m = SADASYA__SYNC_MSG__INIT;
    m.msg_case = SADASYA__SYNC_MSG__MSG_PULL;
    m.pull = &p;
    rc = sync_encode(&m, out, len, err);
    free(w);
    free(all);
    sync_heads_free(hs, n);
    return rc;
}

/* Growing arrays of Carried for a Batch, pointing into the read txn. */
typedef struct carried_list {
    Sadasya__Carried **items;
    Sadasya__Carried *store_;
    Sadasya__SignedEntry *signed_;
    size_t n, cap, bytes;
} carried_list;

static int carried_add(carried_list *l, const uint8_t *sig,
                       const uint8_t *entry, size_t len,
                       const uint8_t *personal, size_t plen)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        Sadasya__Carried *ns = realloc(l->store_, cap * sizeof *ns);
        if (!ns)
            return -1;
        l->store_ = ns;
        Sadasya__SignedEntry *ng = realloc(l->signed_, cap * sizeof *ng);
        if (!ng)
            return -1;
        l->signed_ = ng;
        l->cap = cap;
    }
    Sadasya__SignedEntry *se = &l->signed_[l->n];
    Sadasya__Carried *c = &l->store_[l->n];
    sadasya__signed_entry__init(se);
    sadasya__carried__init(c);
    se->sig.data = (uint8_t *)sig;
    se->sig.len = ENTRY_SIG_BYTES;
    se->entry.data = (uint8_t *)entry;
    se->entry.len = len;
    if (personal) {
        c->personal.data = (uint8_t *)personal;
        c->personal.len = plen;
    }
    l->n++;
    l->bytes += ENTRY_SIG_BYTES + len + plen + 16;
    return 0;
}

/* What an answer is being filled with, and up to where. */
typedef struct answer_ctx {
    store *s;
    store_txn *txn;
    const uint8_t *origin;
    const audience *aud;
    carried_list *l;
    size_t max;
    Sadasya__SignedEntry ev[SYNC_MAX_EVIDENCE], *evp[SYNC_MAX_EVIDENCE];
    size_t nev;
    sd_err *err;
} answer_ctx;

#define ANSWER_FULL 1 /* answer_entry's word: the batch is full */

/* One log entry into the answer (store_log_each), with its Personal blob
 * where held and the puller may hold it. */
static int answer_entry(uint64_t seq, const uint8_t *sig, const uint8_t *entry,
                        size_t len, void *ctx)
{
    answer_ctx *x = ctx;
    if (x->l->n >= x->max || x->l->bytes >= SYNC_BATCH_BYTES)
        return ANSWER_FULL;
    if (!len)
        return 0;
    const uint8_t *p = NULL;
    size_t plen = 0;
    if (store_personal_get(x->s, x->txn, x->origin, seq, &p, &plen, NULL) ||
        !audience_takes(x->aud, entry, len))
        p = NULL, plen = 0;
    if (carried_add(x->l, sig, entry, len, p, plen))
        return sd_errf(x->err, SD_ENOMEM, "out of memory");
    return 0;
}

/* One entry held as evidence into the answer, while there is room. */
static int answer_evidence(const uint8_t origin[32], uint64_t seq,
                           const uint8_t hash[ENTRY_HASH_BYTES],
                           const uint8_t *sig, const uint8_t *entry, size_t len,
                           void *ctx)
{
    answer_ctx *x = ctx;
    (void)origin, (void)seq, (void)hash;
    if (x->nev == SYNC_MAX_EVIDENCE)
        return ANSWER_FULL;
    if (!len)
        return 0;
    Sadasya__SignedEntry *ev = &x->ev[x->nev];
    sadasya__signed_entry__init(ev);
    ev->sig.data = (uint8_t *)sig;
    ev->sig.len = ENTRY_SIG_BYTES;
    ev->entry.data = (uint8_t *)entry;
    ev->entry.len = len;
    x->evp[x->nev++] = ev;
    return 0;
}

int sync_answer(store *s, const Sadasya__Pull *pull, uint8_t **out,
                size_t *len, size_t *nentries, sd_err *err)
{
    audience all;
    audience_all(&all);
    return sync_answer_only(s, pull, NULL, &all, out, len, nentries, err);
}

int sync_answer_only(store *s, const Sadasya__Pull *pull, const uint8_t *only,
                     const audience *aud, uint8_t **out, size_t *len,
                     size_t *nentries, sd_err *err)
{
    *nentries = 0;
    size_t max = pull->max ? pull->max : SYNC_BATCH_ENTRIES;
    if (max > 4 * SYNC_BATCH_ENTRIES)
        max = 4 * SYNC_BATCH_ENTRIES;
    store_txn *txn;
    int rc = store_begin(s, 0, &txn, err);
    if (rc)
        return rc;
    Sadasya__Head **hs = NULL;
    size_t n = 0;
    carried_list l;
    memset(&l, 0, sizeof l);
    answer_ctx ax = { .s = s, .txn = txn, .aud = aud, .l = &l, .max = max,
                      .err = err };
    answer_ctx *x = &ax;
    int more = 0;
    if ((rc = sync_heads(s, txn, &hs, &n, err)))
        goto out;
    for (size_t i = 0; i < n && !rc && !more; i++) {
        const Sadasya__Head *ours = hs[i];
        /* only (an ended key's node gets the national log) overrides what
         * the pull wants. */
        if (only ? memcmp(ours->origin.data, only, 32) != 0
                 : !sync_pull_wants(pull, ours->origin.data))
            continue;
        const Sadasya__Head *theirs = sync_head_find(pull->have, pull->n_have,
                                                ours->origin.data);
        uint64_t from = theirs ? theirs->seq + 1 : 1;
        if (theirs && theirs->seq > 0 && theirs->seq <= ours->seq) {
            /* Same entry at their head? If not, send ours for that seq. */
            const uint8_t *sig, *bytes;
            size_t blen;
            uint8_t h[ENTRY_HASH_BYTES];
            if (store_log_get(s, txn, ours->origin.data, theirs->seq, &sig,
                              &bytes, &blen, NULL) == SD_OK) {
                entry_hash(bytes, blen, sig, h);
                if (memcmp(h, theirs->hash.data, 32))
                    from = theirs->seq;
            }
        }
        if (from > ours->seq)
            continue;
        x->origin = ours->origin.data;
        rc = store_log_each(s, txn, ours->origin.data, from, answer_entry, x,
                            err);
        if (rc == ANSWER_FULL) {
            more = 1;
            rc = SD_OK;
        }
    }
    if (!rc) {
        for (size_t i = 0; i < l.n; i++)
            l.store_[i].signed_ = &l.signed_[i];
        Sadasya__Carried **items = l.n ? malloc(l.n * sizeof *items) : NULL;
        if (l.n && !items) {
            rc = sd_errf(err, SD_ENOMEM, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < l.n; i++)
            items[i] = &l.store_[i];
        /* Evidence of equivocation travels with every answer (it is rare
         * and small), so that every node learns of it. */
        store_evidence_each(s, txn, answer_evidence, x, NULL);
        Sadasya__Batch b = SADASYA__BATCH__INIT;
        b.evidence = x->evp;
        b.n_evidence = x->nev;
        b.id = pull->id;
        b.entries = items;
        b.n_entries = l.n;
        b.heads = hs;
        b.n_heads = n;
        b.more = more;
        Sadasya__SyncMsg m = SADASYA__SYNC_MSG__INIT;
        m.msg_case = SADASYA__SYNC_MSG__MSG_BATCH;
        m.batch = &b;
        rc = sync_encode(&m, out, len, err);
        free(items);
        *nentries = l.n;
    }
out:
    store_end(txn);
    free(l.store_);
    free(l.signed_);
    sync_heads_free(hs, n);
    return rc;
}

void sync_incoming_clear(sync_incoming *in)
{
    view_batch_destroy(&in->ix);
    apply_prepared_free(&in->prep, in->n);
    free(in->items);
    free(in->evidence);
    memset(in, 0, sizeof *in);
}

int sync_incoming_prepare(store *s, const Sadasya__Batch *b,
                          sync_incoming *in, sd_err *err)
{
    memset(in, 0, sizeof *in);
    if (b->n_evidence) {
        in->evidence = calloc(b->n_evidence, sizeof *in->evidence);
        if (!in->evidence)
            return sd_errf(err, SD_ENOMEM, "out of memory");
        for (size_t i = 0; i < b->n_evidence && in->nev < SYNC_MAX_EVIDENCE; i++) {
            entry_signed *ev = &in->evidence[in->nev++];
            ev->entry = b->evidence[i]->entry.data;
            ev->entry_len = b->evidence[i]->entry.len;
            memcpy(ev->sig, b->evidence[i]->sig.data, ENTRY_SIG_BYTES);
        }
    }
    if (b->n_entries) {
        in->items = calloc(b->n_entries, sizeof *in->items);
        if (!in->items) {
            sync_incoming_clear(in);
            return sd_errf(err, SD_ENOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < b->n_entries; i++) {
        const Sadasya__Carried *c = b->entries[i];
        entry_signed es;
        memset(&es, 0, sizeof es);
        /* Borrow the decoded message's buffers: applying only reads. */
        es.entry = c->signed_->entry.data;
        es.entry_len = c->signed_->entry.len;
        memcpy(es.sig, c->signed_->sig.data, ENTRY_SIG_BYTES);
        es.personal = c->personal.len ? c->personal.data : NULL;
        es.personal_len = c->personal.len;
        in->items[in->n++] = es;
    }
    int rc = apply_prepare(in->items, in->n, APPLY_RUNSIG, &in->prep, err);
    if (!rc)
        rc = apply_prepare_index(s, in->prep, in->n, &in->ix, err);
    if (rc)
        sync_incoming_clear(in);
    return rc;
}

int sync_incoming_apply(apply_txn *t, sync_incoming *in, const apply_opts *opts,
                        apply_result *res, sd_err *err)
{
    memset(res, 0, sizeof *res);
    size_t learnt = 0;
    for (size_t i = 0; i < in->nev; i++) {
        int r = apply_txn_evidence(t, &in->evidence[i], in->evidence, in->nev, err);
        if (r < 0)
            return r;
        learnt += (size_t)r;
    }
    int rc = SD_OK;
    if (in->n) {
        memset(&in->opts, 0, sizeof in->opts);
        if (opts)
            in->opts = *opts;
        in->opts.flags |= APPLY_RUNSIG;
        in->opts.prepared = in->prep;
        in->opts.prepared_index = in->ix;
        rc = apply_txn_add(t, in->items, in->n, &in->opts, res, err);
    }
    res->evidence += learnt;
    return rc;
}

int sync_receive(store *s, const Sadasya__Batch *b, const apply_opts *opts,
                 apply_result *res, sd_err *err)
{
    memset(res, 0, sizeof *res);
    sync_incoming in;
    int rc = sync_incoming_prepare(s, b, &in, err);
    if (rc)
        return rc;
    for (;;) {
        apply_txn *t;
        if ((rc = apply_txn_begin(s, &t, err)))
            break;
        rc = sync_incoming_apply(t, &in, opts, res, err);
        if (rc)
            apply_txn_abort(&t);
        else
            rc = apply_txn_commit(&t, err);
        if (rc != SD_EMAPFULL)
            break;
        if ((rc = store_grow(s, err)) != SD_OK)
            break;
    }
    sync_incoming_clear(&in);
    return rc;
}
