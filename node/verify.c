/*
 * verify.c — re-checking a store from its raw log: signatures (in
 * parallel), chains, seqs and heads, numbering, bodies and Personal
 * blobs, authorisation, evidence; and verify_run, which runs them beside
 * the comparison of the view with a fresh fold (verify_view.c). See
 * verify.h.
 */
#include "verify.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entry.h"
#include "number.h"
#include "retract.h"
#include "roster.h"
#include "view.h"
#include "verify_int.h"

#define VERIFY_CHUNK 8192        /* signatures verified per parallel round */
#define VERIFY_MAX_THREADS 16

void verify_finding(vctx *v, int warning, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(v->lock);
    if (warning)
        v->r->warnings++;
    else
        v->r->failures++;
    if (v->o->report)
        v->o->report(warning, line, v->o->ctx);
    pthread_mutex_unlock(v->lock);
}

/* --- signatures, in parallel ------------------------------------------- */

typedef struct sig_job {
    const uint8_t *origin, *entry, *sig;
    size_t len;
    uint64_t seq;
    char state[STORE_STATE_BYTES];
    int bad;
} sig_job;

typedef struct sig_slice {
    sig_job *jobs;
    size_t n;
} sig_slice;

static void *verify_slice(void *arg)
{
    sig_slice *sl = arg;
    for (size_t i = 0; i < sl->n; i++) {
        sig_job *j = &sl->jobs[i];
        j->bad = !entry_verify_sig(j->origin, j->entry, j->len, j->sig);
    }
    return NULL;
}

static void verify_sigs(vctx *v, sig_job *jobs, size_t n, int threads)
{
    pthread_t tid[VERIFY_MAX_THREADS];
    sig_slice sl[VERIFY_MAX_THREADS];
    size_t per = (n + (size_t)threads - 1) / (size_t)threads;
    int started = 0;
    for (int t = 0; t < threads; t++) {
        size_t from = (size_t)t * per;
        sl[t].jobs = jobs + from;
        sl[t].n = from >= n ? 0 : (n - from < per ? n - from : per);
        if (t > 0 && sl[t].n &&
            pthread_create(&tid[t], NULL, verify_slice, &sl[t]) == 0)
            started |= 1 << t;
        else if (t > 0)
            verify_slice(&sl[t]);
    }
    verify_slice(&sl[0]);
    for (int t = 1; t < threads; t++)
        if (started & (1 << t))
            pthread_join(tid[t], NULL);
    for (size_t i = 0; i < n; i++) {
        v->r->signatures++;
        if (jobs[i].bad)
            verify_finding(v, 0, "%s seq %llu: bad signature", jobs[i].state,
                    (unsigned long long)jobs[i].seq);
    }
}

/* --- one origin's log --------------------------------------------------- */

/* Whether this node should hold the blob of entry e, which commits to
 * one: its member is not erased and is one whose blobs this node keeps. */
static int should_hold(vctx *v, const Sadasya__Entry *e)
{
    const char *number =
        e->body_case == SADASYA__ENTRY__BODY_JOINED ? e->joined->number
        : e->body_case == SADASYA__ENTRY__BODY_UPDATED ? e->updated->number
        : NULL;
    Sadasya__MemberView *m = NULL;
    if (!number || view_member_get(v->s, v->txn, number, &m, NULL) != SD_OK)
        return 0; /* no such member: the view check says so */
    int want = !m->erased_day &&
               (v->holds_all || (m->state && !strcmp(m->state, v->own_state)));
    sadasya__member_view__free_unpacked(m, NULL);
    return want;
}

static int check_personal(vctx *v, origin_info *oi, uint64_t seq,
                          const Sadasya__Entry *e, sd_err *err)
{
    const uint8_t *blob;
    size_t blen;
    int rc = store_personal_get(v->s, v->txn, oi->origin, seq, &blob, &blen,
                                err);
    const ProtobufCBinaryData *c = entry_personal_commitment(e);
    if (rc == SD_ENOTFOUND) {
        if (c) {
            v->r->personal_missing++;
            if (should_hold(v, e) && oi->lacking++ < VERIFY_LACKING_SHOWN)
                oi->lacking_seq[oi->lacking - 1] = seq;
        }
        return SD_OK;
    }
    if (rc)
        return rc;
    v->r->personal_checked++;
    if (!c) {
        verify_finding(v, 0, "%s seq %llu: personal data held for an entry that "
                "commits to none", oi->state, (unsigned long long)seq);
        return SD_OK;
    }
    uint8_t h[ENTRY_HASH_BYTES];
    entry_personal_hash(blob, blen, h);
    if (c->len != ENTRY_HASH_BYTES || memcmp(h, c->data, ENTRY_HASH_BYTES))
        verify_finding(v, 0, "%s seq %llu: personal data does not match its signed "
                "hash", oi->state, (unsigned long long)seq);
    return SD_OK;
}

static void check_body(vctx *v, const origin_info *oi, const Sadasya__Entry *e,
                       uint64_t *joins)
{
    unsigned long long seq = (unsigned long long)e->seq;
    if (e->body_case == SADASYA__ENTRY__BODY_ROSTER && !oi->national)
        verify_finding(v, 0, "%s seq %llu: roster update from a key that is not "
                "national", oi->state, seq);
    if (e->body_case != SADASYA__ENTRY__BODY_JOINED)
        return;
    (*joins)++;
    char canon[NUMBER_MAX_LEN], st[NUMBER_STATE_MAX + 1];
    uint64_t serial;
    sd_err err;
    if (number_parse(e->joined->number, canon, st, &serial, &err)) {
        verify_finding(v, 0, "%s seq %llu: %s", oi->state, seq, err.msg);
        return;
    }
    if (strcmp(st, oi->state))
        verify_finding(v, 0, "%s seq %llu: number %s under another state's prefix",
                oi->state, seq, canon);
    uint64_t expect = (oi->listed ? oi->rk.first_serial : 1) + *joins - 1;
    if (serial != expect)
        verify_finding(v, 0, "%s seq %llu: number %s breaks the sequence (expected "
                "serial %llu)", oi->state, seq, canon,
                (unsigned long long)expect);
}

/* Where the walk of one origin's log stands (check_entry). */
typedef struct origin_walk {
    vctx *v;
    origin_info *oi;
    int threads;
    sig_job *jobs;
    size_t nj;
    uint8_t prev[ENTRY_HASH_BYTES];
    uint64_t expect, joins;
    int broken;
    sd_err *err;
} origin_walk;

/* One log record: numbering, chain, body, blob; its signature is queued. */
static int check_entry(uint64_t seq, const uint8_t *sig, const uint8_t *bytes,
                       size_t len, void *ctx)
{
    origin_walk *w = ctx;
    vctx *v = w->v;
    origin_info *oi = w->oi;
    v->r->entries++;
    if (!len) {
        verify_finding(v, 0, "%s seq %llu: log record truncated", oi->state,
                (unsigned long long)seq);
        w->broken = 1;
        w->expect = seq + 1;
        return 0;
    }
    if (seq != w->expect)
        verify_finding(v, 0, "%s: log gap, seq %llu follows %llu", oi->state,
                (unsigned long long)seq, (unsigned long long)(w->expect - 1));
    w->expect = seq + 1;
    Sadasya__Entry *e = NULL;
    sd_err why;
    if (entry_decode(bytes, len, &e, &why)) {
        verify_finding(v, 0, "%s seq %llu: %s", oi->state, (unsigned long long)seq,
                why.msg);
        w->broken = 1;
        return 0;
    }
    if (memcmp(e->origin.data, oi->origin, 32) || e->seq != seq)
        verify_finding(v, 0, "%s seq %llu: entry is filed under another origin "
                "or seq", oi->state, (unsigned long long)seq);
    if (memcmp(e->prev.data, w->prev, ENTRY_HASH_BYTES) && !w->broken)
        verify_finding(v, 0, "%s seq %llu: broken chain (prev is not the hash of "
                "seq %llu)", oi->state, (unsigned long long)seq,
                (unsigned long long)(seq - 1));
    w->broken = 0;
    entry_hash(bytes, len, sig, w->prev);
    check_body(v, oi, e, &w->joins);
    int ret = check_personal(v, oi, seq, e, w->err);
    sadasya__entry__free_unpacked(e, NULL);
    if (ret)
        return ret;
    sig_job *j = &w->jobs[w->nj++];
    j->origin = oi->origin;
    j->entry = bytes;
    j->sig = sig;
    j->len = len;
    j->seq = seq;
    memcpy(j->state, oi->state, STORE_STATE_BYTES);
    if (w->nj == VERIFY_CHUNK) {
        verify_sigs(v, w->jobs, w->nj, w->threads);
        w->nj = 0;
    }
    return 0;
}

static int check_origin(vctx *v, origin_info *oi, int threads, sd_err *err)
{
    origin_walk w = { .v = v, .oi = oi, .threads = threads, .expect = 1,
                      .err = err };
    w.jobs = malloc(VERIFY_CHUNK * sizeof *w.jobs);
    if (!w.jobs)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    /* From 0: a record filed under seq 0 is reported, not passed over. */
    int ret = store_log_each(v->s, v->txn, oi->origin, 0, check_entry, &w,
                             err);
    if (w.nj)
        verify_sigs(v, w.jobs, w.nj, threads);
    free(w.jobs);
    uint64_t expect = w.expect, joins = w.joins;
    const uint8_t *prev = w.prev;
    if (ret)
        return ret;
    if (oi->head.seq != expect - 1 ||
        (oi->head.seq && memcmp(oi->head.hash, prev, ENTRY_HASH_BYTES)))
        verify_finding(v, 0, "%s: held head (seq %llu) is not the log's last entry "
                "(seq %llu)", oi->state, (unsigned long long)oi->head.seq,
                (unsigned long long)(expect - 1));
    if (oi->lacking) {
        char seqs[128] = "";
        size_t sl = 0;
        for (uint64_t i = 0; i < oi->lacking && i < VERIFY_LACKING_SHOWN; i++)
            sl += (size_t)snprintf(seqs + sl, sizeof seqs - sl, "%s%llu",
                                   i ? ", " : "",
                                   (unsigned long long)oi->lacking_seq[i]);
        verify_finding(v, 1, "%s: %llu personal blobs this node should hold are "
                "missing (seq %s%s); a peer or bundle that carries them "
                "restores them", oi->state, (unsigned long long)oi->lacking,
                seqs, oi->lacking > VERIFY_LACKING_SHOWN ? ", …" : "");
    }
    if (oi->head.joins != joins)
        verify_finding(v, 0, "%s: head counts %llu members, the log %llu", oi->state,
                (unsigned long long)oi->head.joins, (unsigned long long)joins);
    v->r->members += joins;
    return SD_OK;
}

/* --- authorisation and evidence ----------------------------------------- */

static void check_authorised(vctx *v, origin_info *oi)
{
    char hex[17];
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", oi->origin[i]);
    if (oi->national)
        return;
    if (oi->listed) {
        if (strcmp(oi->state, oi->head.state))
            verify_finding(v, 0, "origin %s… writes for %s but the roster lists it "
                    "for %s", hex, oi->head.state, oi->state);
        else if (oi->flag != ROSTER_ACTIVE && oi->rk.last_seq == ROSTER_NO_CUT)
            verify_finding(v, 1, "%s: key %s… has since been %s (no cut recorded); "
                    "its %llu entries were accepted before that", oi->state,
                    hex, oi->flag == ROSTER_REVOKED ? "revoked" : "replaced",
                    (unsigned long long)oi->head.seq);
        else if (oi->flag != ROSTER_ACTIVE && oi->head.seq > oi->rk.last_seq)
            verify_finding(v, 0, "%s: key %s… ends at seq %llu, yet the log holds it "
                    "to seq %llu (void entries not retracted)", oi->state, hex,
                    (unsigned long long)oi->rk.last_seq,
                    (unsigned long long)oi->head.seq);
        return;
    }
    if (oi->own)
        verify_finding(v, 1, "%s: this node's %llu entries await authorisation (its "
                "roster entry has not reached this node)", oi->state,
                (unsigned long long)oi->head.seq);
    else
        verify_finding(v, 0, "origin %s… (%s): key not in the roster, yet %llu "
                "entries are held", hex, oi->head.state,
                (unsigned long long)oi->head.seq);
}

/* One finding per (origin, seq) held as evidence (store_evidence_each). */
static int evidence_found(const uint8_t origin[32], uint64_t seq,
                          const uint8_t hash[ENTRY_HASH_BYTES],
                          const uint8_t *sig, const uint8_t *entry, size_t len,
                          void *ctx)
{
    vctx *v = ctx;
    (void)hash, (void)sig, (void)entry, (void)len;
    if (!memcmp(v->evidence_last, origin, 32) && v->evidence_seq == seq)
        return 0;
    memcpy(v->evidence_last, origin, 32);
    v->evidence_seq = seq;
    store_head h;
    store_head_get(v->s, v->txn, origin, &h, NULL);
    verify_finding(v, 0, "%s seq %llu: equivocation: two different entries "
            "signed for this seq (evidence held)",
            h.state[0] ? h.state : "?", (unsigned long long)seq);
    return 0;
}

static int check_evidence(vctx *v, sd_err *err)
{
    return store_evidence_each(v->s, v->txn, evidence_found, v, err);
}

/* --- the whole run ------------------------------------------------------ */

/* The origins held, as verify_run gathers them. */
typedef struct heads_walk {
    vctx *v;
    origin_info *ois;
    size_t n, cap;
    sd_err *err;
} heads_walk;

/* One origin held: who its key is (store_origins_each). */
static int origin_found(const uint8_t origin[32], const store_head *h,
                        void *ctx)
{
    heads_walk *hw = ctx;
    if (hw->n == hw->cap) {
        size_t cap = hw->cap ? hw->cap * 2 : 16;
        origin_info *no = realloc(hw->ois, cap * sizeof *no);
        if (!no)
            return sd_errf(hw->err, SD_ENOMEM, "out of memory");
        hw->ois = no;
        hw->cap = cap;
    }
    origin_info *oi = &hw->ois[hw->n++];
    memset(oi, 0, sizeof *oi);
    memcpy(oi->origin, origin, 32);
    oi->head = *h;
    roster_who who;
    int rc = roster_whois(hw->v->s, hw->v->txn, origin, &who, hw->err);
    if (rc)
        return rc;
    oi->national = who.kind == ROSTER_WHO_NATIONAL;
    oi->own = who.own;
    oi->listed = who.listed;
    oi->flag = who.rk.flag;
    oi->rk = who.rk;
    memcpy(oi->state, oi->national || oi->listed ? who.rk.state : h->state,
           sizeof oi->state);
    return SD_OK;
}

int verify_run(store *s, const verify_opts *opts, verify_result *res,
               sd_err *err)
{
    memset(res, 0, sizeof *res);
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    vctx v = { .s = s, .o = opts, .r = res, .lock = &lock };
    int threads = opts->threads;
    if (threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (int)n : 1;
    }
    if (threads > VERIFY_MAX_THREADS)
        threads = VERIFY_MAX_THREADS;
    int rc = store_begin(s, 0, &v.txn, err);
    if (rc)
        return rc;
    uint8_t national[32], own[32];
    int have_nat = roster_national_key(s, v.txn, national, NULL) == SD_OK;
    int have_own = store_meta_key32(s, v.txn, STORE_META_OWN_KEY, own,
                                    NULL) == SD_OK;
    const void *sv;
    size_t sn;
    if (store_meta_get(s, v.txn, STORE_META_STATE, &sv, &sn, NULL) == SD_OK &&
        sn < sizeof v.own_state)
        memcpy(v.own_state, sv, sn);
    v.holds_all = (have_nat && have_own && !memcmp(own, national, 32)) ||
                  !strcmp(v.own_state, ROSTER_NATIONAL_STATE);
    if (!have_nat)
        verify_finding(&v, 0, "store holds no national key (trust anchor)");

    /* Every origin whose head we hold. */
    heads_walk hw = { &v, NULL, 0, 0, err };
    rc = store_origins_each(s, v.txn, origin_found, &hw, err);
    origin_info *ois = hw.ois;
    size_t n = hw.n;

    /* The fresh fold needs no signatures (they are checked here), so it
     * runs on its own thread, beside the signature checks. */
    view_job vj = { { .s = s, .o = opts, .r = res, .lock = &lock }, ois, n,
                    SD_OK, { 0, "" } };
    pthread_t fold_thread;
    int folding = 0;
    if (!rc && !opts->state) {
        if (pthread_create(&fold_thread, NULL, verify_view_thread, &vj) == 0)
            folding = 1;
        else
            rc = verify_view_check(&v, ois, n, err);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        if (opts->state && strcmp(opts->state, ois[i].state))
            continue;
        res->origins++;
        check_authorised(&v, &ois[i]);
        rc = check_origin(&v, &ois[i], threads, err);
    }
    if (!rc)
        rc = check_evidence(&v, err);
    uint64_t retracted = 0, held = 0;
    if (!rc && !opts->state &&
        !(rc = retract_count(s, v.txn, &retracted, &held, err))) {
        if (retracted)
            verify_finding(&v, 1, "%llu entries signed beyond their key's cut were "
                    "retracted (void on every node; kept as evidence)",
                    (unsigned long long)retracted);
        if (held)
            verify_finding(&v, 1, "%llu joins refused: their numbers were already "
                    "held by other members (kept as evidence)",
                    (unsigned long long)held);
    }
    if (folding) {
        pthread_join(fold_thread, NULL);
        if (!rc && vj.rc) {
            rc = vj.rc;
            if (err)
                *err = vj.err;
        }
    }
    free(ois);
    store_end(v.txn);
    return rc;
}
