/*
 * cmd_audit.c — `sadasya audit --out DIR`: the auditor's report, DIR/audit.json
 * and its twin DIR/audit.html (one static page, inline CSS).
 *
 * It runs verify_run (every check of verify.h) and then reads the store for
 * the figures an auditor signs off: per origin the head, entries, numbering
 * range and gaps, members by status, fees against ₹11 × members with every
 * exception itemised, erased Personal data; the national log's roster
 * history; equivocation evidence; void entries (retracted beyond a key's
 * cut, joins for numbers already held); every failure verify reported. The
 * JSON is built first; the HTML is rendered from it, so the two cannot
 * disagree. Works on a read-only copy (the store is opened STORE_RDONLY).
 *
 * The verdict covers everything the report shows as wrong: verify's
 * failures, and the audit's own findings added to them, a numbering gap in
 * a key's series (which starts at the key's first serial, node/README.md)
 * and every void entry (a number issued twice, entries retracted). Exit 0
 * when there is none, 1 otherwise (the report is written either way).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmds.h"
#include "entry.h"
#include "number.h"
#include "retract.h"
#include "roster.h"
#include "verify.h"

#define AUDIT_FEE_STANDARD 1100 /* paise: ₹11 */
#define AUDIT_MAX_GAPS 1000     /* gap ranges listed per origin */

static const char usage[] =
    "usage: sadasya [--data DIR] audit --out DIR [--scratch DIR] [--threads N]\n"
    "\n"
    "Writes the auditor's report to DIR/audit.html and DIR/audit.json (DIR is\n"
    "created if absent): every check of `verify`, and per origin the head,\n"
    "entries, numbering range and gaps, members by status, fees against\n"
    "Rs 11 x members with every difference itemised, erased personal data;\n"
    "the roster history and equivocation evidence. Works on a read-only copy\n"
    "of a data directory. Exit 0 when no check failed and the report lists\n"
    "no numbering gap, number issued twice, retracted entry or equivocation;\n"
    "1 otherwise.\n";

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

/* --- gathering -------------------------------------------------------------- */

typedef struct origin_acc {
    uint8_t key[32];
    char state[STORE_STATE_BYTES];
    store_head head;
    int national, listed, flag;
    uint64_t first_serial;        /* of the key's series (node/README.md) */
    uint64_t entries, members, by_status[5], fee, erased;
    uint64_t first, last, next;   /* serials seen; next expected */
    uint64_t ngaps;
    cJSON *gaps, *exceptions;
} origin_acc;

typedef struct audit_ctx {
    origin_acc *o;
    size_t n;
    cJSON *failures, *warnings;
} audit_ctx;

static void on_finding(int warning, const char *line, void *ctx)
{
    audit_ctx *a = ctx;
    cJSON_AddItemToArray(warning ? a->warnings : a->failures,
                         cJSON_CreateString(line));
}

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
    cJSON_AddNumberToObject(o, k, (double)v);
}

static void add_gap(origin_acc *oa, uint64_t from, uint64_t to)
{
    if (oa->ngaps++ >= AUDIT_MAX_GAPS)
        return;
    char g[64];
    if (from == to)
        snprintf(g, sizeof g, "%llu", (unsigned long long)from);
    else
        snprintf(g, sizeof g, "%llu..%llu", (unsigned long long)from,
                 (unsigned long long)to);
    cJSON_AddItemToArray(oa->gaps, cJSON_CreateString(g));
}

static int member_seen(const Sadasya__MemberView *m, void *ctx)
{
    audit_ctx *a = ctx;
    origin_acc *oa = NULL;
    for (size_t i = 0; i < a->n && !oa; i++)
        if (m->origin.len == 32 && !memcmp(a->o[i].key, m->origin.data, 32))
            oa = &a->o[i];
    if (!oa)
        return 0; /* a member of no held origin: verify's view check says so */
    oa->members++;
    if (m->status >= SADASYA__STATUS__ACTIVE && m->status <= SADASYA__STATUS__DECEASED)
        oa->by_status[m->status]++;
    oa->fee += m->fee_paise;
    if (m->erased_day)
        oa->erased++;
    if (m->fee_paise != AUDIT_FEE_STANDARD) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "number", m->number);
        add_u64(x, "fee_paise", m->fee_paise);
        cJSON_AddStringToObject(x, "payment_ref", m->payment_ref ? m->payment_ref : "");
        cJSON_AddItemToArray(oa->exceptions, x);
    }
    char canon[NUMBER_MAX_LEN], st[NUMBER_STATE_MAX + 1];
    uint64_t serial;
    if (number_parse(m->number, canon, st, &serial, NULL))
        return 0;
    if (!oa->first)
        oa->first = serial;
    if (serial > oa->next)
        add_gap(oa, oa->next, serial - 1);
    if (serial >= oa->next)
        oa->next = serial + 1;
    if (serial > oa->last)
        oa->last = serial;
    return 0;
}

/* One log record of an origin (each one's signature is checked by verify). */
static int count_entry(uint64_t seq, const uint8_t *sig, const uint8_t *entry,
                       size_t len, void *ctx)
{
    origin_acc *oa = ctx;
    (void)seq, (void)sig, (void)entry, (void)len;
    oa->entries++;
    return 0;
}

static void utc_time(uint64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One RosterUpdate of the national log into the roster history. */
static int roster_entry(uint64_t seq, const uint8_t *sig, const uint8_t *entry,
                        size_t len, void *ctx)
{
    cJSON *arr = ctx;
    Sadasya__Entry *e = NULL;
    (void)seq, (void)sig;
    if (!len || entry_decode(entry, len, &e, NULL))
        return 0;
    if (e->body_case == SADASYA__ENTRY__BODY_ROSTER) {
        const Sadasya__RosterUpdate *ru = e->roster;
        cJSON *r = cJSON_CreateObject();
        char when[32], hex[65];
        utc_time(e->time_ms, when);
        add_u64(r, "seq", e->seq);
        cJSON_AddStringToObject(r, "time", when);
        cJSON *added = cJSON_AddArrayToObject(r, "chapters");
        for (size_t i = 0; i < ru->n_chapters; i++) {
            const Sadasya__Chapter *ch = ru->chapters[i];
            cJSON *c = cJSON_CreateObject();
            cJSON_AddStringToObject(c, "state", ch->state ? ch->state : "");
            cJSON_AddStringToObject(c, "name", ch->name ? ch->name : "");
            if (ch->key.len == 32) {
                cli_hex32(ch->key.data, hex);
                cJSON_AddStringToObject(c, "key", hex);
            }
            cJSON_AddItemToArray(added, c);
        }
        cJSON *rev = cJSON_AddArrayToObject(r, "revoked");
        for (size_t i = 0; i < ru->n_revoke_states; i++)
            cJSON_AddItemToArray(rev, cJSON_CreateString(ru->revoke_states[i]));
        if (ru->inactive_after_days)
            add_u64(r, "inactive_after_days", ru->inactive_after_days);
        cJSON_AddItemToArray(arr, r);
    }
    sadasya__entry__free_unpacked(e, NULL);
    return 0;
}

/* Every RosterUpdate in the national log: the key and roster history. */
static cJSON *roster_history(store *s, store_txn *txn, const uint8_t nat[32])
{
    cJSON *arr = cJSON_CreateArray();
    store_log_each(s, txn, nat, 0, roster_entry, arr, NULL);
    return arr;
}

typedef struct evidence_ctx {
    store *s;
    store_txn *txn;
    cJSON *arr;
} evidence_ctx;

/* One entry held as equivocation evidence into the report's list. */
static int evidence_one(const uint8_t origin[32], uint64_t seq,
                        const uint8_t hash[ENTRY_HASH_BYTES],
                        const uint8_t *sig, const uint8_t *entry, size_t len,
                        void *ctx)
{
    evidence_ctx *x = ctx;
    (void)sig, (void)entry, (void)len;
    store_head h;
    char hex[65];
    cJSON *o = cJSON_CreateObject();
    if (store_head_get(x->s, x->txn, origin, &h, NULL) == SD_OK && h.state[0])
        cJSON_AddStringToObject(o, "state", h.state);
    else
        cJSON_AddStringToObject(o, "state", "?");
    cli_hex32(origin, hex);
    cJSON_AddStringToObject(o, "origin", hex);
    add_u64(o, "seq", seq);
    cli_hex32(hash, hex);
    cJSON_AddStringToObject(o, "hash", hex);
    cJSON_AddItemToArray(x->arr, o);
    return 0;
}

static cJSON *evidence_list(store *s, store_txn *txn)
{
    evidence_ctx x = { s, txn, cJSON_CreateArray() };
    store_evidence_each(s, txn, evidence_one, &x, NULL);
    return x.arr;
}

/* Whether a verify finding concerns the origins of state: "BR seq 2: …",
 * "BR: …", "origin …… (BR): …". */
static int finding_of(const char *line, const char *state)
{
    size_t n = strlen(state);
    if (!strncmp(line, state, n) && (line[n] == ' ' || line[n] == ':'))
        return 1;
    char tag[16];
    snprintf(tag, sizeof tag, "(%s)", state);
    return strstr(line, tag) != NULL;
}

static cJSON *origin_json(origin_acc *oa, cJSON *failures)
{
    cJSON *o = cJSON_CreateObject();
    char hex[65];
    cJSON_AddStringToObject(o, "state", oa->state);
    cli_hex32(oa->key, hex);
    cJSON_AddStringToObject(o, "key", hex);
    cJSON_AddStringToObject(o, "roster", oa->national ? "national (trust anchor)"
                            : !oa->listed ? "not in the roster"
                            : oa->flag == ROSTER_ACTIVE ? "authorised"
                            : oa->flag == ROSTER_REVOKED ? "revoked" : "replaced");
    add_u64(o, "entries", oa->entries);
    add_u64(o, "signatures_checked", oa->entries);
    add_u64(o, "head_seq", oa->head.seq);
    cli_hex32(oa->head.hash, hex);
    cJSON_AddStringToObject(o, "head_hash", hex);
    cJSON *num = cJSON_AddObjectToObject(o, "numbering");
    add_u64(num, "joins", oa->head.joins);
    add_u64(num, "first_serial", oa->first_serial);
    add_u64(num, "first", oa->first);
    add_u64(num, "last", oa->last);
    cJSON_AddBoolToObject(num, "no_gaps", oa->ngaps == 0);
    add_u64(num, "gap_count", oa->ngaps);
    cJSON_AddItemToObject(num, "gaps", oa->gaps);
    oa->gaps = NULL;
    add_u64(o, "members", oa->members);
    cJSON *bs = cJSON_AddObjectToObject(o, "members_by_status");
    for (int st = SADASYA__STATUS__ACTIVE; st <= SADASYA__STATUS__DECEASED; st++)
        add_u64(bs, view_status_name(st), oa->by_status[st]);
    cJSON *fee = cJSON_AddObjectToObject(o, "fees");
    add_u64(fee, "total_paise", oa->fee);
    add_u64(fee, "expected_paise", oa->members * AUDIT_FEE_STANDARD);
    cJSON_AddNumberToObject(fee, "difference_paise",
                            (double)oa->fee - (double)(oa->members * AUDIT_FEE_STANDARD));
    add_u64(fee, "exception_count", (uint64_t)cJSON_GetArraySize(oa->exceptions));
    cJSON_AddItemToObject(fee, "exceptions", oa->exceptions);
    oa->exceptions = NULL;
    add_u64(o, "personal_erased", oa->erased);
    cJSON *f = cJSON_AddArrayToObject(o, "failures");
    cJSON *it;
    cJSON_ArrayForEach(it, failures)
        if (finding_of(it->valuestring, oa->state))
            cJSON_AddItemToArray(f, cJSON_CreateString(it->valuestring));
    return o;
}

/* Once every member is seen: the serials the key's joins should have
 * reached and no member holds are a gap too; each gap is a failure. */
static void gap_findings(origin_acc *oa, cJSON *failures)
{
    if (oa->head.joins) {
        uint64_t want = oa->first_serial + oa->head.joins - 1;
        uint64_t from = oa->last >= oa->first_serial ? oa->last + 1
                                                     : oa->first_serial;
        if (want >= from)
            add_gap(oa, from, want);
    }
    if (!oa->ngaps)
        return;
    char hex[65], line[512];
    cli_hex32(oa->key, hex);
    int n = snprintf(line, sizeof line, "%s: numbering gap%s in the series of "
                     "key %.16s… (from serial %llu):", oa->state,
                     oa->ngaps == 1 ? "" : "s", hex,
                     (unsigned long long)oa->first_serial);
    /* The ranges while they fit, room kept for the count. */
    size_t len = n > 0 ? (size_t)n : 0, room = sizeof line - 32;
    uint64_t shown = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, oa->gaps) {
        size_t gl = strlen(g->valuestring);
        if (len + 1 + gl >= room)
            break;
        line[len++] = ' ';
        memcpy(line + len, g->valuestring, gl + 1);
        len += gl;
        shown++;
    }
    if (shown < oa->ngaps)
        snprintf(line + len, sizeof line - len, " … (%llu in all)",
                 (unsigned long long)oa->ngaps);
    cJSON_AddItemToArray(failures, cJSON_CreateString(line));
}

/* Every void entry (retract.h) into doc's "voided" list, and each one a
 * failure: a number issued twice, or entries a key signed beyond its cut. */
typedef struct void_ctx {
    store *s;
    store_txn *txn;
    cJSON *arr, *failures;
} void_ctx;

/* One void entry into the report and its failures (retract_each_void). */
static int void_one(const uint8_t p[32], uint64_t seq, int reason,
                    const uint8_t *entry, size_t len, void *ctx)
{
    void_ctx *vc = ctx;
    store *s = vc->s;
    store_txn *txn = vc->txn;
    char state[STORE_STATE_BYTES] = "?", hex[65], number[NUMBER_MAX_LEN] = "";
    roster_key rk;
    store_head h;
    if (roster_key_get(s, txn, p, &rk, NULL) == SD_OK)
        memcpy(state, rk.state, sizeof state);
    else if (store_head_get(s, txn, p, &h, NULL) == SD_OK && h.state[0])
        memcpy(state, h.state, sizeof state);
    Sadasya__Entry *e = NULL;
    if (entry_decode(entry, len, &e, NULL) == SD_OK) {
        if (e->body_case == SADASYA__ENTRY__BODY_JOINED && e->joined->number)
            snprintf(number, sizeof number, "%s", e->joined->number);
        sadasya__entry__free_unpacked(e, NULL);
    }
    int held = reason == VOIDED_NUMBER_HELD;
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "state", state);
    cli_hex32(p, hex);
    cJSON_AddStringToObject(x, "origin", hex);
    add_u64(x, "seq", seq);
    cJSON_AddStringToObject(x, "reason", held ? "number already held"
                                              : "beyond its key's cut");
    if (number[0])
        cJSON_AddStringToObject(x, "number", number);
    cJSON_AddItemToArray(vc->arr, x);
    char line[256];
    if (held)
        snprintf(line, sizeof line, "%s seq %llu: number %s issued twice "
                 "(the join was refused; kept as evidence)", state,
                 (unsigned long long)seq, number[0] ? number : "?");
    else
        snprintf(line, sizeof line, "%s seq %llu: signed beyond its key's "
                 "cut, retracted (kept as evidence)", state,
                 (unsigned long long)seq);
    cJSON_AddItemToArray(vc->failures, cJSON_CreateString(line));
    return 0;
}

static int void_findings(store *s, store_txn *txn, cJSON *doc, cJSON *failures,
                         sd_err *err)
{
    void_ctx x = { s, txn, cJSON_AddArrayToObject(doc, "voided"), failures };
    return retract_each_void(s, txn, void_one, &x, err);
}

typedef struct gather_ctx {
    store *s;
    store_txn *txn;
    audit_ctx *a;
    size_t cap;
    sd_err *err;
} gather_ctx;

/* One origin held: its figures start here (store_origins_each). */
static int origin_seen(const uint8_t origin[32], const store_head *h, void *ctx)
{
    gather_ctx *g = ctx;
    audit_ctx *a = g->a;
    if (a->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 16;
        origin_acc *no = realloc(a->o, cap * sizeof *no);
        if (!no)
            return sd_errf(g->err, SD_ENOMEM, "out of memory");
        a->o = no;
        g->cap = cap;
    }
    origin_acc *oa = &a->o[a->n++];
    memset(oa, 0, sizeof *oa);
    memcpy(oa->key, origin, 32);
    oa->gaps = cJSON_CreateArray();
    oa->exceptions = cJSON_CreateArray();
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

/* Heads, members, roster and evidence, read in one transaction. */
static int gather(store *s, cJSON *doc, audit_ctx *a, sd_err *err)
{
    store_txn *txn;
    int rc = store_begin(s, 0, &txn, err);
    if (rc)
        return rc;
    uint8_t nat[32];
    int have_nat = roster_national_key(s, txn, nat, NULL) == SD_OK;
    ident id;
    cJSON *node = cJSON_AddObjectToObject(doc, "node");
    if (ident_load_public(s, txn, &id, NULL) == SD_OK) {
        char hex[65];
        cli_hex32(id.kp.pk, hex);
        cJSON_AddStringToObject(node, "key", hex);
        cJSON_AddStringToObject(node, "state", id.state);
        cJSON_AddStringToObject(node, "role", id.national ? "national" : "state");
        cJSON_AddStringToObject(node, "name", id.name);
    }
    gather_ctx g = { s, txn, a, 0, err };
    rc = store_origins_each(s, txn, origin_seen, &g, err);
    if (!rc)
        rc = view_members_each(s, txn, NULL, member_seen, a, err);
    for (size_t i = 0; i < a->n && !rc; i++)
        gap_findings(&a->o[i], a->failures);
    if (!rc)
        rc = void_findings(s, txn, doc, a->failures, err);
    counter_row total;
    if (!rc)
        rc = view_counter_get(s, txn, "total", "", &total, err);
    if (!rc) {
        add_u64(doc, "total", total.members);
        add_u64(doc, "fee_paise", total.fee_paise);
        add_u64(doc, "active", total.active);
        add_u64(doc, "inactive", total.inactive);
        add_u64(doc, "resigned", total.resigned);
        add_u64(doc, "deceased", total.deceased);
        add_u64(doc, "fee_expected_paise", total.members * AUDIT_FEE_STANDARD);
        uint64_t erased = 0, exceptions = 0;
        cJSON *arr = cJSON_AddArrayToObject(doc, "origins");
        for (int pass = 0; pass < 2; pass++) /* national first */
            for (size_t i = 0; i < a->n; i++)
                if (a->o[i].national == !pass) {
                    erased += a->o[i].erased;
                    exceptions += (uint64_t)cJSON_GetArraySize(a->o[i].exceptions);
                    cJSON_AddItemToArray(arr, origin_json(&a->o[i], a->failures));
                }
        add_u64(doc, "fee_exceptions", exceptions);
        add_u64(doc, "personal_erased", erased);
        cJSON_AddItemToObject(doc, "roster_history",
                              have_nat ? roster_history(s, txn, nat)
                                       : cJSON_CreateArray());
        cJSON_AddItemToObject(doc, "evidence", evidence_list(s, txn));
    }
    store_end(txn);
    return rc;
}

/* --- the HTML twin ------------------------------------------------------------ */

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : "";
}

static unsigned long long jnum(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(x) && x->valuedouble > 0 ? (unsigned long long)x->valuedouble : 0;
}

static void rupees(FILE *f, unsigned long long paise)
{
    char r[32];
    cli_rupees(paise, r);
    fprintf(f, "&#8377;%s", r);
}

static void row(FILE *f, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void row(FILE *f, const char *label, const char *fmt, ...)
{
    fprintf(f, "<tr><th>%s</th><td>", label);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputs("</td></tr>\n", f);
}

static void list_lines(FILE *f, const cJSON *arr, const char *cls)
{
    const cJSON *it;
    fprintf(f, "<ul class=\"%s\">\n", cls);
    cJSON_ArrayForEach(it, arr) {
        fputs("<li>", f);
        esc(f, it->valuestring);
        fputs("</li>\n", f);
    }
    fputs("</ul>\n", f);
}

static void html_origin(FILE *f, const cJSON *o)
{
    const cJSON *num = cJSON_GetObjectItem(o, "numbering");
    const cJSON *fees = cJSON_GetObjectItem(o, "fees");
    const cJSON *bs = cJSON_GetObjectItem(o, "members_by_status");
    const cJSON *fails = cJSON_GetObjectItem(o, "failures");
    fputs("<section class=\"origin\"><h3>", f);
    esc(f, jstr(o, "state"));
    fprintf(f, " <span class=\"%s\">%s</span></h3>\n<table>\n",
            cJSON_GetArraySize(fails) ? "bad" : "good",
            cJSON_GetArraySize(fails) ? "failures" : "no failures");
    row(f, "Key", "<code>%s</code>", jstr(o, "key"));
    fprintf(f, "<tr><th>Roster</th><td>");
    esc(f, jstr(o, "roster"));
    fputs("</td></tr>\n", f);
    row(f, "Entries", "%llu", jnum(o, "entries"));
    row(f, "Signatures checked", "%llu", jnum(o, "signatures_checked"));
    row(f, "Head", "seq %llu, hash <code>%s</code>", jnum(o, "head_seq"),
        jstr(o, "head_hash"));
    fprintf(f, "<tr><th>Numbering</th><td>%llu joins; serials %llu..%llu; ",
            jnum(num, "joins"), jnum(num, "first"), jnum(num, "last"));
    if (cJSON_IsTrue(cJSON_GetObjectItem(num, "no_gaps"))) {
        fputs("no gaps", f);
    } else {
        fprintf(f, "<span class=\"bad\">%llu gaps:</span> ", jnum(num, "gap_count"));
        const cJSON *g;
        cJSON_ArrayForEach(g, cJSON_GetObjectItem(num, "gaps")) {
            esc(f, g->valuestring);
            fputc(' ', f);
        }
    }
    fputs("</td></tr>\n", f);
    fprintf(f, "<tr><th>Members</th><td>%llu (active %llu, inactive %llu, "
            "resigned %llu, deceased %llu)</td></tr>\n",
            jnum(o, "members"), jnum(bs, "active"), jnum(bs, "inactive"),
            jnum(bs, "resigned"), jnum(bs, "deceased"));
    fputs("<tr><th>Fees</th><td>", f);
    rupees(f, jnum(fees, "total_paise"));
    fputs(" collected against ", f);
    rupees(f, jnum(fees, "expected_paise"));
    fprintf(f, " (&#8377;11 &times; %llu members); %llu differ</td></tr>\n",
            jnum(o, "members"), jnum(fees, "exception_count"));
    row(f, "Personal data erased", "%llu members", jnum(o, "personal_erased"));
    fputs("</table>\n", f);
    const cJSON *ex = cJSON_GetObjectItem(fees, "exceptions");
    if (cJSON_GetArraySize(ex)) {
        fputs("<h4>Fees other than &#8377;11</h4>\n<table class=\"grid\">"
              "<tr><th>Number</th><th>Fee</th><th>Payment ref</th></tr>\n", f);
        const cJSON *x;
        cJSON_ArrayForEach(x, ex) {
            fputs("<tr><td>", f);
            esc(f, jstr(x, "number"));
            fputs("</td><td class=\"n\">", f);
            rupees(f, jnum(x, "fee_paise"));
            fputs("</td><td>", f);
            esc(f, jstr(x, "payment_ref"));
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    if (cJSON_GetArraySize(fails)) {
        fputs("<h4>Failures</h4>\n", f);
        list_lines(f, fails, "bad");
    }
    fputs("</section>\n", f);
}

static int write_html(const char *path, const cJSON *doc)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = cJSON_IsTrue(cJSON_GetObjectItem(doc, "ok"));
    const cJSON *node = cJSON_GetObjectItem(doc, "node");
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>sadasya audit report</title>\n<style>\n"
          "body{font-family:sans-serif;margin:2em;max-width:70em;color:#222}\n"
          "table{border-collapse:collapse;margin:.5em 0}\n"
          "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\n"
          "th{background:#f3f3f3}td.n{text-align:right}\n"
          "code{font-size:.85em;word-break:break-all}\n"
          ".good{color:#176b2c;font-weight:bold}.bad{color:#b00020;font-weight:bold}\n"
          "ul.bad li{color:#b00020}ul.warn li{color:#8a5a00}\n"
          "section.origin{border-top:2px solid #888;margin-top:1.5em}\n"
          "</style></head><body>\n<h1>Audit report</h1>\n", f);
    fprintf(f, "<p class=\"%s\">Verdict: %s</p>\n<table>\n", ok ? "good" : "bad",
            ok ? "ok: every check passed" : "FAILED: see the failures below");
    fputs("<tr><th>Run at (UTC)</th><td>", f);
    esc(f, jstr(doc, "generated"));
    fputs("</td></tr>\n<tr><th>Data directory</th><td>", f);
    esc(f, jstr(doc, "data_dir"));
    fputs("</td></tr>\n<tr><th>Node</th><td>", f);
    esc(f, jstr(node, "state"));
    fputs(" (", f);
    esc(f, jstr(node, "role"));
    fputs(") ", f);
    esc(f, jstr(node, "name"));
    fputs(" <code>", f);
    esc(f, jstr(node, "key"));
    fputs("</code></td></tr>\n", f);
    row(f, "Entries / signatures checked", "%llu / %llu", jnum(doc, "entries"),
        jnum(doc, "signatures"));
    row(f, "Members", "%llu (active %llu, inactive %llu, resigned %llu, deceased %llu)",
        jnum(doc, "total"), jnum(doc, "active"), jnum(doc, "inactive"),
        jnum(doc, "resigned"), jnum(doc, "deceased"));
    fputs("<tr><th>Fees</th><td>", f);
    rupees(f, jnum(doc, "fee_paise"));
    fputs(" against ", f);
    rupees(f, jnum(doc, "fee_expected_paise"));
    fprintf(f, "; %llu members' fees differ from &#8377;11</td></tr>\n",
            jnum(doc, "fee_exceptions"));
    row(f, "Personal blobs", "%llu checked, %llu not held, %llu members erased",
        jnum(doc, "personal_checked"), jnum(doc, "personal_missing"),
        jnum(doc, "personal_erased"));
    row(f, "Failures / warnings", "%llu / %llu", jnum(doc, "failure_count"),
        jnum(doc, "warning_count"));
    fputs("</table>\n<h2>What was checked</h2>\n", f);
    list_lines(f, cJSON_GetObjectItem(doc, "checks"), "checks");
    const cJSON *fails = cJSON_GetObjectItem(doc, "failures");
    fputs("<h2>Failures</h2>\n", f);
    if (cJSON_GetArraySize(fails))
        list_lines(f, fails, "bad");
    else
        fputs("<p class=\"good\">None.</p>\n", f);
    const cJSON *warns = cJSON_GetObjectItem(doc, "warnings");
    if (cJSON_GetArraySize(warns)) {
        fputs("<h2>Warnings</h2>\n", f);
        list_lines(f, warns, "warn");
    }
    fputs("<h2>Origins</h2>\n", f);
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(doc, "origins"))
        html_origin(f, o);
    fputs("<h2>Key and roster history (national log)</h2>\n<table class=\"grid\">"
          "<tr><th>Seq</th><th>Time (UTC)</th><th>Chapters added or re-keyed</th>"
          "<th>Revoked</th></tr>\n", f);
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(doc, "roster_history")) {
        fprintf(f, "<tr><td class=\"n\">%llu</td><td>", jnum(r, "seq"));
        esc(f, jstr(r, "time"));
        fputs("</td><td>", f);
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(r, "chapters")) {
            esc(f, jstr(c, "state"));
            fputs(" ", f);
            esc(f, jstr(c, "name"));
            fputs(" <code>", f);
            esc(f, jstr(c, "key"));
            fputs("</code><br>", f);
        }
        fputs("</td><td>", f);
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(r, "revoked")) {
            esc(f, c->valuestring);
            fputc(' ', f);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n<h2>Equivocation evidence</h2>\n", f);
    const cJSON *ev = cJSON_GetObjectItem(doc, "evidence");
    if (!cJSON_GetArraySize(ev)) {
        fputs("<p class=\"good\">None held.</p>\n", f);
    } else {
        fputs("<table class=\"grid\"><tr><th>State</th><th>Seq</th><th>Origin</th>"
              "<th>Conflicting entry hash</th></tr>\n", f);
        cJSON_ArrayForEach(r, ev) {
            fputs("<tr><td>", f);
            esc(f, jstr(r, "state"));
            fprintf(f, "</td><td class=\"n\">%llu</td><td><code>", jnum(r, "seq"));
            esc(f, jstr(r, "origin"));
            fputs("</code></td><td><code>", f);
            esc(f, jstr(r, "hash"));
            fputs("</code></td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    fputs("<h2>Void entries</h2>\n", f);
    const cJSON *vo = cJSON_GetObjectItem(doc, "voided");
    if (!cJSON_GetArraySize(vo)) {
        fputs("<p class=\"good\">None held.</p>\n", f);
    } else {
        fputs("<table class=\"grid\"><tr><th>State</th><th>Seq</th><th>Number</th>"
              "<th>Why void</th><th>Origin</th></tr>\n", f);
        cJSON_ArrayForEach(r, vo) {
            fputs("<tr class=\"bad\"><td>", f);
            esc(f, jstr(r, "state"));
            fprintf(f, "</td><td class=\"n\">%llu</td><td>", jnum(r, "seq"));
            esc(f, jstr(r, "number"));
            fputs("</td><td>", f);
            esc(f, jstr(r, "reason"));
            fputs("</td><td><code>", f);
            esc(f, jstr(r, "origin"));
            fputs("</code></td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    fputs("</body></html>\n", f);
    return fclose(f) ? -1 : 0;
}

static int write_json(const char *path, const cJSON *doc)
{
    char *s = cJSON_Print(doc);
    if (!s)
        return -1;
    FILE *f = fopen(path, "w");
    int rc = -1;
    if (f) {
        rc = fputs(s, f) < 0 || fputc('\n', f) == EOF ? -1 : 0;
        if (fclose(f))
            rc = -1;
    }
    free(s);
    return rc;
}

int cmd_audit(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, 0, 'o' }, { "scratch", required_argument, 0, 'S' },
        { "threads", required_argument, 0, 't' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *out = NULL;
    audit_ctx a = { NULL, 0, NULL, NULL };
    verify_opts vo = { NULL, NULL, 0, on_finding, &a };
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'o': out = optarg; break;
        case 'S': vo.scratch_dir = optarg; break;
        case 't': vo.threads = atoi(optarg); break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_usagef("audit", "unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usagef("audit", "unexpected argument %s", argv[optind]);
    if (!out)
        return cli_usagef("audit", "--out DIR is required");
    if (mkdir(out, 0755) && errno != EEXIST)
        return cli_errorf("cannot create %s: %s", out, strerror(errno));
    store *s;
    if (cli_open(c, STORE_RDONLY, &s))
        return CLI_EXIT_FAIL;

    char when[32], real[PATH_MAX];
    utc_time((uint64_t)time(NULL) * 1000, when);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "generated", when);
    cJSON_AddStringToObject(doc, "data_dir", realpath(c->data_dir, real) ? real : c->data_dir);
    cJSON *ch = cJSON_AddArrayToObject(doc, "checks");
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        cJSON_AddItemToArray(ch, cJSON_CreateString(checks[i]));
    a.failures = cJSON_CreateArray();
    a.warnings = cJSON_CreateArray();

    sd_err err;
    sd_err_clear(&err);
    verify_result r;
    int rc = verify_run(s, &vo, &r, &err);
    uint64_t failures = 0;
    if (!rc) {
        add_u64(doc, "entries", r.entries);
        add_u64(doc, "signatures", r.signatures);
        add_u64(doc, "origin_count", r.origins);
        add_u64(doc, "personal_checked", r.personal_checked);
        add_u64(doc, "personal_missing", r.personal_missing);
        add_u64(doc, "warning_count", r.warnings);
        rc = gather(s, doc, &a, &err);
        /* verify's failures and the audit's own findings alike */
        failures = (uint64_t)cJSON_GetArraySize(a.failures);
        add_u64(doc, "verify_failure_count", r.failures);
        add_u64(doc, "failure_count", failures);
        cJSON_AddBoolToObject(doc, "ok", failures == 0);
    }
    store_destroy(&s);
    cJSON_AddItemToObject(doc, "failures", a.failures);
    cJSON_AddItemToObject(doc, "warnings", a.warnings);
    for (size_t i = 0; i < a.n; i++) {
        cJSON_Delete(a.o[i].gaps);
        cJSON_Delete(a.o[i].exceptions);
    }
    free(a.o);
    if (rc) {
        cJSON_Delete(doc);
        return cli_error(&err);
    }
    char jp[PATH_MAX], hp[PATH_MAX];
    snprintf(jp, sizeof jp, "%s/audit.json", out);
    snprintf(hp, sizeof hp, "%s/audit.html", out);
    int werr = write_json(jp, doc) || write_html(hp, doc);
    cJSON_Delete(doc);
    if (werr)
        return cli_errorf("cannot write the report in %s: %s", out, strerror(errno));
    printf("%s: %llu entries, %llu signatures checked, %llu failures, %llu "
           "warnings; report in %s/audit.html and %s/audit.json\n",
           failures ? "FAILED" : "ok", (unsigned long long)r.entries,
           (unsigned long long)r.signatures, (unsigned long long)failures,
           (unsigned long long)r.warnings, out, out);
    return failures ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
