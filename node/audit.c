/*
 * audit.c — gathering the auditor's report: verify_run's findings, then the
 * figures per origin, the roster history, equivocation evidence and void
 * entries, read in one transaction. See audit.h.
 */
#include "audit.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "bundle.h"
#include "entry.h"
#include "retract.h"
#include "roster.h"

static const char *const checks[] = {
    "Ed25519 signature of every entry in every origin's log",
    "hash chain: each entry's prev is the hash of the previous signed entry",
    "seq continuity of every log, and the held head equals the log's last entry",
    "roster authorisation: every writing key is listed for its state (or is national)",
    "membership numbers: under the origin's own state prefix, gapless, valid check digit",
    "Personal blobs against the hashes signed in their entries",
    "equivocation evidence (two entries signed for one seq)",
    "void entries: joins for numbers already held, entries signed beyond their key's cut",
    "the view (members, indexes, counters with fee sums, roster, heads) equals a fresh fold of the logs",
    "fee total against Rs 11 x members, every difference itemised",
};

const char *const *audit_checks(size_t *n)
{
    *n = sizeof checks / sizeof checks[0];
    return checks;
}

/* Makes room for one more element of size elem in *arr (n held, *cap
 * allocated). SD_OK or SD_ENOMEM. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return SD_OK;
    size_t nc = *cap ? *cap * 2 : 16;
    void *nv = realloc(*arr, nc * elem);
    if (!nv)
        return SD_ENOMEM;
    *arr = nv;
    *cap = nc;
    return SD_OK;
}

#define GROW(arr, n, cap) grow((void **)&(arr), &(cap), (n), sizeof *(arr))

static int add_line(audit_lines *l, const char *line)
{
    char *copy = strdup(line);
    if (!copy || GROW(l->line, l->n, l->cap)) {
        free(copy);
        return SD_ENOMEM;
    }
    l->line[l->n++] = copy;
    return SD_OK;
}

static void lines_free(audit_lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->line[i]);
    free(l->line);
    memset(l, 0, sizeof *l);
}

/* Where the gathering stands: the report, the transaction, the first
 * error (a callback's failure to allocate is kept here). */
typedef struct gather {
    audit_report *r;
    store *s;
    store_txn *txn;
    int rc;
    sd_err *err;
} gather;

static int oom(gather *g)
{
    if (!g->rc)
        g->rc = sd_errf(g->err, SD_ENOMEM, "out of memory");
    return g->rc;
}

static void on_finding(int warning, const char *line, void *ctx)
{
    gather *g = ctx;
    if (add_line(warning ? &g->r->warnings : &g->r->failures, line))
        oom(g);
}

void audit_gap_format(const audit_gap *gp, char out[AUDIT_GAP_TEXT])
{
    if (gp->from == gp->to)
        snprintf(out, AUDIT_GAP_TEXT, "%llu", (unsigned long long)gp->from);
    else
        snprintf(out, AUDIT_GAP_TEXT, "%llu..%llu",
                 (unsigned long long)gp->from, (unsigned long long)gp->to);
}

static int add_gap(audit_origin *oa, uint64_t from, uint64_t to)
{
    if (oa->ngaps++ >= AUDIT_MAX_GAPS)
        return SD_OK;
    if (GROW(oa->gaps, oa->n_gaps, oa->cap_gaps))
        return SD_ENOMEM;
    oa->gaps[oa->n_gaps++] = (audit_gap){ from, to };
    return SD_OK;
}

/* One log record of an origin (each one's signature is checked by verify). */
static int count_entry(uint64_t seq, const uint8_t *sig, const uint8_t *entry,
                       size_t len, void *ctx)
{
    audit_origin *oa = ctx;
    (void)seq, (void)sig, (void)entry, (void)len;
    oa->entries++;
    return 0;
}

/* One origin held: its figures start here (store_origins_each). */
static int origin_seen(const uint8_t origin[32], const store_head *h, void *ctx)
{
    gather *g = ctx;
    audit_report *r = g->r;
    if (GROW(r->origins, r->n_origins, r->cap_origins))
        return oom(g);
    audit_origin *oa = &r->origins[r->n_origins++];
    memset(oa, 0, sizeof *oa);
    memcpy(oa->key, origin, 32);
    oa->head = *h;
    roster_who who;
    int rc = roster_whois(g->s, g->txn, origin, &who, g->err);
    if (rc)
        return rc;
    oa->national = who.kind == ROSTER_WHO_NATIONAL;
    oa->listed = who.listed;
    oa->flag = who.rk.flag;
    oa->first_serial = oa->listed && who.rk.first_serial ? who.rk.first_serial
                                                         : 1;
    memcpy(oa->state, oa->national || oa->listed ? who.rk.state : h->state,
           sizeof oa->state);
    oa->next = oa->first_serial;
    return store_log_each(g->s, g->txn, oa->key, 0, count_entry, oa, g->err);
}

static int member_seen(const Sadasya__MemberView *m, void *ctx)
{
    gather *g = ctx;
    audit_report *r = g->r;
    audit_origin *oa = NULL;
    for (size_t i = 0; i < r->n_origins && !oa; i++)
        if (m->origin.len == 32 && !memcmp(r->origins[i].key, m->origin.data, 32))
            oa = &r->origins[i];
    if (!oa)
        return 0; /* a member of no held origin: verify's view check says so */
    oa->members++;
    if (m->status >= SADASYA__STATUS__ACTIVE && m->status <= SADASYA__STATUS__DECEASED)
        oa->by_status[m->status]++;
    oa->fee += m->fee_paise;
    if (m->erased_day) {
        oa->erased++;
        if (GROW(r->erasures, r->n_erasures, r->cap_erasures))
            return oom(g);
        audit_erasure *e = &r->erasures[r->n_erasures];
        snprintf(e->number, sizeof e->number, "%s", m->number);
        e->day = m->erased_day;
        if (!(e->reason = strdup(m->erased_reason ? m->erased_reason : "")))
            return oom(g);
        r->n_erasures++;
    }
    if (m->fee_paise != AUDIT_FEE_STANDARD) {
        if (GROW(oa->exceptions, oa->n_exceptions, oa->cap_exceptions))
            return oom(g);
        audit_fee_exception *x = &oa->exceptions[oa->n_exceptions];
        snprintf(x->number, sizeof x->number, "%s", m->number);
        x->fee_paise = m->fee_paise;
        if (!(x->payment_ref = strdup(m->payment_ref ? m->payment_ref : "")))
            return oom(g);
        oa->n_exceptions++;
    }
    char canon[NUMBER_MAX_LEN], st[NUMBER_STATE_MAX + 1];
    uint64_t serial;
    if (number_parse(m->number, canon, st, &serial, NULL))
        return 0;
    if (!oa->first)
        oa->first = serial;
    if (serial > oa->next && add_gap(oa, oa->next, serial - 1))
        return oom(g);
    if (serial >= oa->next)
        oa->next = serial + 1;
    if (serial > oa->last)
        oa->last = serial;
    return 0;
}

/* Once every member is seen: the serials the key's joins should have
 * reached and no member holds are a gap too; each gap is a failure. */
static int gap_findings(audit_origin *oa, audit_lines *failures)
{
    if (oa->head.joins) {
        uint64_t want = oa->first_serial + oa->head.joins - 1;
        uint64_t from = oa->last >= oa->first_serial ? oa->last + 1
                                                     : oa->first_serial;
        if (want >= from && add_gap(oa, from, want))
            return SD_ENOMEM;
    }
    if (!oa->ngaps)
        return SD_OK;
    char hex[65], line[512];
    sodium_bin2hex(hex, sizeof hex, oa->key, 32);
    int n = snprintf(line, sizeof line, "%s: numbering gap%s in the series of "
                     "key %.16s… (from serial %llu):", oa->state,
                     oa->ngaps == 1 ? "" : "s", hex,
                     (unsigned long long)oa->first_serial);
    /* The ranges while they fit, room kept for the count. */
    size_t len = n > 0 ? (size_t)n : 0, room = sizeof line - 32;
    uint64_t shown = 0;
    for (size_t i = 0; i < oa->n_gaps; i++) {
        char gtext[AUDIT_GAP_TEXT];
        audit_gap_format(&oa->gaps[i], gtext);
        size_t gl = strlen(gtext);
        if (len + 1 + gl >= room)
            break;
        line[len++] = ' ';
        memcpy(line + len, gtext, gl + 1);
        len += gl;
        shown++;
    }
    if (shown < oa->ngaps)
        snprintf(line + len, sizeof line - len, " … (%llu in all)",
                 (unsigned long long)oa->ngaps);
    return add_line(failures, line);
}

/* The state of origin p as known: its roster key's, else its head's. */
static void state_of(store *s, store_txn *txn, const uint8_t p[32],
                     char state[STORE_STATE_BYTES])
{
    roster_key rk;
    store_head h;
    snprintf(state, STORE_STATE_BYTES, "?");
    if (roster_key_get(s, txn, p, &rk, NULL) == SD_OK)
        memcpy(state, rk.state, STORE_STATE_BYTES);
    else if (store_head_get(s, txn, p, &h, NULL) == SD_OK && h.state[0])
        memcpy(state, h.state, STORE_STATE_BYTES);
}

/* One void entry into the report and its failures (retract_each_void). */
static int void_one(const uint8_t p[32], uint64_t seq, int reason,
                    const uint8_t *entry, size_t len, void *ctx)
{
    gather *g = ctx;
    audit_report *r = g->r;
    if (GROW(r->voided, r->n_voided, r->cap_voided))
        return oom(g);
    audit_void *x = &r->voided[r->n_voided++];
    memset(x, 0, sizeof *x);
    state_of(g->s, g->txn, p, x->state);
    memcpy(x->origin, p, 32);
    x->seq = seq;
    x->reason = reason;
    Sadasya__Entry *e = NULL;
    if (entry_decode(entry, len, &e, NULL) == SD_OK) {
        if (e->body_case == SADASYA__ENTRY__BODY_JOINED && e->joined->number)
            snprintf(x->number, sizeof x->number, "%s", e->joined->number);
        sadasya__entry__free_unpacked(e, NULL);
    }
    char line[256];
    if (reason == VOIDED_NUMBER_HELD)
        snprintf(line, sizeof line, "%s seq %llu: number %s issued twice "
                 "(the join was refused; kept as evidence)", x->state,
                 (unsigned long long)seq, x->number[0] ? x->number : "?");
    else
        snprintf(line, sizeof line, "%s seq %llu: signed beyond its key's "
                 "cut, retracted (kept as evidence)", x->state,
                 (unsigned long long)seq);
    return add_line(&r->failures, line) ? oom(g) : 0;
}

/* One RosterUpdate of the national log into the roster history. */
static int roster_entry(uint64_t seq, const uint8_t *sig, const uint8_t *entry,
                        size_t len, void *ctx)
{
    gather *g = ctx;
    audit_report *r = g->r;
    Sadasya__Entry *e = NULL;
    (void)seq, (void)sig;
    if (!len || entry_decode(entry, len, &e, NULL))
        return 0;
    if (e->body_case != SADASYA__ENTRY__BODY_ROSTER) {
        sadasya__entry__free_unpacked(e, NULL);
        return 0;
    }
    if (GROW(r->roster, r->n_roster, r->cap_roster)) {
        sadasya__entry__free_unpacked(e, NULL);
        return oom(g);
    }
    r->roster[r->n_roster++] = e;
    return 0;
}

/* One entry held as equivocation evidence into the report. */
static int evidence_one(const uint8_t origin[32], uint64_t seq,
                        const uint8_t hash[ENTRY_HASH_BYTES],
                        const uint8_t *sig, const uint8_t *entry, size_t len,
                        void *ctx)
{
    gather *g = ctx;
    audit_report *r = g->r;
    (void)sig, (void)entry, (void)len;
    if (GROW(r->evidence, r->n_evidence, r->cap_evidence))
        return oom(g);
    audit_evidence *x = &r->evidence[r->n_evidence++];
    store_head h;
    if (store_head_get(g->s, g->txn, origin, &h, NULL) == SD_OK && h.state[0])
        memcpy(x->state, h.state, sizeof x->state);
    else
        snprintf(x->state, sizeof x->state, "?");
    memcpy(x->origin, origin, 32);
    x->seq = seq;
    memcpy(x->hash, hash, 32);
    return 0;
}

/* National origins first, the others after, each in store order. */
static int national_first(audit_report *r)
{
    audit_origin *o = malloc((r->n_origins ? r->n_origins : 1) * sizeof *o);
    if (!o)
        return SD_ENOMEM;
    size_t k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < r->n_origins; i++)
            if (r->origins[i].national == !pass)
                o[k++] = r->origins[i];
    free(r->origins);
    r->origins = o;
    r->cap_origins = r->n_origins;
    return SD_OK;
}

/* Heads, members, roster and evidence, read in one transaction. */
static int gather_all(gather *g)
{
    audit_report *r = g->r;
    int rc = store_begin(g->s, 0, &g->txn, g->err);
    if (rc)
        return rc;
    store *s = g->s;
    store_txn *txn = g->txn;
    uint8_t nat[32];
    int have_nat = roster_national_key(s, txn, nat, NULL) == SD_OK;
    ident id;
    if (ident_load_public(s, txn, &id, NULL) == SD_OK) {
        r->have_node = 1;
        r->node_national = id.national;
        memcpy(r->node_key, id.kp.pk, 32);
        memcpy(r->node_state, id.state, sizeof r->node_state);
        memcpy(r->node_name, id.name, sizeof r->node_name);
    }
    rc = store_origins_each(s, txn, origin_seen, g, g->err);
    if (!rc)
        rc = view_members_each(s, txn, NULL, member_seen, g, g->err);
    for (size_t i = 0; i < r->n_origins && !rc; i++)
        if (gap_findings(&r->origins[i], &r->failures))
            rc = oom(g);
    if (!rc)
        rc = retract_each_void(s, txn, void_one, g, g->err);
    if (!rc)
        rc = view_counter_get(s, txn, "total", "", &r->total, g->err);
    if (!rc && national_first(r))
        rc = oom(g);
    for (size_t i = 0; i < r->n_origins && !rc; i++) {
        r->erased += r->origins[i].erased;
        r->fee_exceptions += r->origins[i].n_exceptions;
    }
    /* The history and evidence are read as far as they can be. */
    if (!rc && have_nat)
        store_log_each(s, txn, nat, 0, roster_entry, g, NULL);
    if (!rc)
        store_evidence_each(s, txn, evidence_one, g, NULL);
    store_end(txn);
    g->txn = NULL;
    return rc ? rc : g->rc;
}

int audit_run(store *s, const audit_opts *opts, audit_report **out,
              sd_err *err)
{
    *out = NULL;
    audit_report *r = calloc(1, sizeof *r);
    if (!r)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    gather g = { r, s, NULL, SD_OK, err };
    verify_opts vo = { NULL, opts ? opts->scratch_dir : NULL,
                       opts ? opts->threads : 0, on_finding, &g };
    int rc = verify_run(s, &vo, &r->verify, err);
    if (!rc)
        rc = g.rc;
    if (!rc)
        rc = gather_all(&g);
    if (rc) {
        audit_report_destroy(&r);
        return rc;
    }
    *out = r;
    return SD_OK;
}

void audit_report_destroy(audit_report **rp)
{
    if (!rp || !*rp)
        return;
    audit_report *r = *rp;
    lines_free(&r->failures);
    lines_free(&r->warnings);
    for (size_t i = 0; i < r->n_origins; i++) {
        audit_origin *oa = &r->origins[i];
        free(oa->gaps);
        for (size_t k = 0; k < oa->n_exceptions; k++)
            free(oa->exceptions[k].payment_ref);
        free(oa->exceptions);
    }
    free(r->origins);
    for (size_t i = 0; i < r->n_roster; i++)
        sadasya__entry__free_unpacked(r->roster[i], NULL);
    free(r->roster);
    free(r->evidence);
    free(r->voided);
    for (size_t i = 0; i < r->n_erasures; i++)
        free(r->erasures[i].reason);
    free(r->erasures);
    free(r);
    *rp = NULL;
}

int audit_finding_of(const char *line, const char *state)
{
    size_t n = strlen(state);
    if (!strncmp(line, state, n) && (line[n] == ' ' || line[n] == ':'))
        return 1;
    char tag[16];
    snprintf(tag, sizeof tag, "(%s)", state);
    return strstr(line, tag) != NULL;
}

/* --- a bundle instead of a data directory -------------------------------- */

/* The refusals of a bundle's entries, as finding lines. */
typedef struct bundle_refusals {
    audit_lines lines;
    int oom;
} bundle_refusals;

static void on_refusal(const bundle_reject *r, void *ctx)
{
    bundle_refusals *b = ctx;
    char line[512];
    snprintf(line, sizeof line, "%s seq %llu: %s%s", r->state,
             (unsigned long long)r->seq,
             r->personal_only ? "personal data refused: " : "refused: ", r->why);
    if (add_line(&b->lines, line))
        b->oom = 1;
}

/* Removes the throw-away store's directory and the files in it. */
static void remove_scratch(const char dir[4096])
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[4400]; /* dir (at most 4095) / name (at most 255) */
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(dir);
}

int audit_bundle(const char *path, const uint8_t trust[32],
                 const audit_opts *opts, audit_report **out, sd_err *err)
{
    *out = NULL;
    FILE *in = fopen(path, "rb");
    if (!in)
        return sd_errf(err, SD_EIO, "cannot open %s: %s", path, strerror(errno));
    const char *tmp = opts && opts->scratch_dir ? opts->scratch_dir : getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/sadasya-audit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fclose(in);
        return sd_errf(err, SD_EIO, "cannot make a scratch directory in %s: %s",
                       tmp && *tmp ? tmp : "/tmp", strerror(errno));
    }
    store *s = NULL;
    bundle_refusals b;
    memset(&b, 0, sizeof b);
    store_txn *txn;
    int rc = store_open(&s, dir, STORE_CREATE | STORE_SCRATCH, err);
    if (!rc && !(rc = store_begin(s, 1, &txn, err))) {
        if ((rc = store_meta_put(s, txn, STORE_META_NATIONAL_KEY, trust, 32, err)))
            store_end(txn);
        else
            rc = store_commit(s, txn, err);
    }
    if (!rc)
        rc = bundle_read_apply(s, in, NULL, on_refusal, &b, err);
    if (!rc && b.oom)
        rc = sd_errf(err, SD_ENOMEM, "out of memory");
    if (!rc)
        rc = audit_run(s, opts, out, err);
    for (size_t i = 0; !rc && i < b.lines.n; i++)
        if (add_line(&(*out)->failures, b.lines.line[i]))
            rc = sd_errf(err, SD_ENOMEM, "out of memory");
    if (rc)
        audit_report_destroy(out);
    lines_free(&b.lines);
    store_destroy(&s);
    fclose(in);
    remove_scratch(dir);
    return rc;
}
