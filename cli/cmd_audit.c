/*
 * cmd_audit.c — `sadasya audit --out DIR`: the auditor's report, DIR/audit.json
 * and its twin DIR/audit.html (one static page, inline CSS); with --json
 * on stdout; of a data directory, or of a bundle file (--bundle FILE
 * --trust ROOTKEY) with no data directory at all.
 *
 * The report is node/audit.h's (audit_run: every check of verify.h and the
 * figures an auditor signs off); this file turns it into JSON, and the
 * HTML is rendered from the JSON, so the two cannot disagree. Works on a
 * read-only copy (the store is opened STORE_RDONLY).
 *
 * The verdict covers every failure the report lists (verify's and the
 * audit's own: numbering gaps, void entries). Exit 0 when there is none,
 * 1 otherwise (the report is written either way).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit.h"
#include "cmds.h"
#include "day.h"
#include "retract.h"
#include "roster.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] audit [--out DIR] [--scratch DIR]\n"
    "                                   [--threads N]\n"
    "       sadasya [--json] audit --bundle FILE --trust ROOTKEY [--out DIR] ...\n"
    "\n"
    "Writes the auditor's report to DIR/audit.html and DIR/audit.json (DIR is\n"
    "created if absent): every check of `verify`, and per origin the head,\n"
    "entries, numbering range and gaps, members by status, fees against\n"
    "Rs 11 x members with every difference itemised, erased personal data;\n"
    "the roster history and equivocation evidence. Works on a read-only copy\n"
    "of a data directory (`backup --without-key`). --bundle FILE audits a\n"
    "bundle instead, with no data directory: its entries are verified and\n"
    "applied to a throw-away store trusting only ROOTKEY (the national\n"
    "office's public key), and any entry refused is a failure. --json prints\n"
    "the JSON report on stdout (--out is then optional). The report lists\n"
    "each erasure of personal data (number, date, reason). Exit 0 when no\n"
    "check failed and the report lists no numbering gap, number issued\n"
    "twice, retracted entry or equivocation; 1 otherwise.\n";

/* --- the report as JSON ---------------------------------------------------- */

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
    cJSON_AddNumberToObject(o, k, (double)v);
}

static void add_hex(cJSON *o, const char *k, const uint8_t b[32])
{
    char hex[65];
    cli_hex32(b, hex);
    cJSON_AddStringToObject(o, k, hex);
}

static cJSON *lines_json(const audit_lines *l)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < l->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(l->line[i]));
    return arr;
}

static void utc_time(uint64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static cJSON *origin_json(const audit_origin *oa, const audit_lines *failures)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "state", oa->state);
    add_hex(o, "key", oa->key);
    cJSON_AddStringToObject(o, "roster", oa->national ? "national (trust anchor)"
                            : !oa->listed ? "not in the roster"
                            : oa->flag == ROSTER_ACTIVE ? "authorised"
                            : oa->flag == ROSTER_REVOKED ? "revoked" : "replaced");
    add_u64(o, "entries", oa->entries);
    add_u64(o, "signatures_checked", oa->entries);
    add_u64(o, "head_seq", oa->head.seq);
    add_hex(o, "head_hash", oa->head.hash);
    cJSON *num = cJSON_AddObjectToObject(o, "numbering");
    add_u64(num, "joins", oa->head.joins);
    add_u64(num, "first_serial", oa->first_serial);
    add_u64(num, "first", oa->first);
    add_u64(num, "last", oa->last);
    cJSON_AddBoolToObject(num, "no_gaps", oa->ngaps == 0);
    add_u64(num, "gap_count", oa->ngaps);
    cJSON *gaps = cJSON_AddArrayToObject(num, "gaps");
    for (size_t i = 0; i < oa->n_gaps; i++) {
        char g[AUDIT_GAP_TEXT];
        audit_gap_format(&oa->gaps[i], g);
        cJSON_AddItemToArray(gaps, cJSON_CreateString(g));
    }
    add_u64(o, "members", oa->members);
    cJSON *bs = cJSON_AddObjectToObject(o, "members_by_status");
    for (int st = SADASYA__STATUS__ACTIVE; st <= SADASYA__STATUS__DECEASED; st++)
        add_u64(bs, view_status_name(st), oa->by_status[st]);
    cJSON *fee = cJSON_AddObjectToObject(o, "fees");
    add_u64(fee, "total_paise", oa->fee);
    add_u64(fee, "expected_paise", oa->members * AUDIT_FEE_STANDARD);
    cJSON_AddNumberToObject(fee, "difference_paise",
                            (double)oa->fee - (double)(oa->members * AUDIT_FEE_STANDARD));
    add_u64(fee, "exception_count", oa->n_exceptions);
    cJSON *ex = cJSON_AddArrayToObject(fee, "exceptions");
    for (size_t i = 0; i < oa->n_exceptions; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "number", oa->exceptions[i].number);
        add_u64(x, "fee_paise", oa->exceptions[i].fee_paise);
        cJSON_AddStringToObject(x, "payment_ref", oa->exceptions[i].payment_ref);
        cJSON_AddItemToArray(ex, x);
    }
    add_u64(o, "personal_erased", oa->erased);
    cJSON *f = cJSON_AddArrayToObject(o, "failures");
    for (size_t i = 0; i < failures->n; i++)
        if (audit_finding_of(failures->line[i], oa->state))
            cJSON_AddItemToArray(f, cJSON_CreateString(failures->line[i]));
    return o;
}

/* One RosterUpdate entry of the roster history. */
static cJSON *roster_json(const Sadasya__Entry *e)
{
    const Sadasya__RosterUpdate *ru = e->roster;
    cJSON *r = cJSON_CreateObject();
    char when[32];
    utc_time(e->time_ms, when);
    add_u64(r, "seq", e->seq);
    cJSON_AddStringToObject(r, "time", when);
    cJSON *added = cJSON_AddArrayToObject(r, "chapters");
    for (size_t i = 0; i < ru->n_chapters; i++) {
        const Sadasya__Chapter *ch = ru->chapters[i];
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "state", ch->state ? ch->state : "");
        cJSON_AddStringToObject(c, "name", ch->name ? ch->name : "");
        if (ch->key.len == 32)
            add_hex(c, "key", ch->key.data);
        cJSON_AddItemToArray(added, c);
    }
    cJSON *rev = cJSON_AddArrayToObject(r, "revoked");
    for (size_t i = 0; i < ru->n_revoke_states; i++)
        cJSON_AddItemToArray(rev, cJSON_CreateString(ru->revoke_states[i]));
    if (ru->inactive_after_days)
        add_u64(r, "inactive_after_days", ru->inactive_after_days);
    return r;
}

static cJSON *void_json(const audit_void *v)
{
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "state", v->state);
    add_hex(x, "origin", v->origin);
    add_u64(x, "seq", v->seq);
    cJSON_AddStringToObject(x, "reason", v->reason == VOIDED_NUMBER_HELD
                                             ? "number already held"
                                             : "beyond its key's cut");
    if (v->number[0])
        cJSON_AddStringToObject(x, "number", v->number);
    return x;
}

static cJSON *evidence_json(const audit_evidence *v)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "state", v->state);
    add_hex(o, "origin", v->origin);
    add_u64(o, "seq", v->seq);
    add_hex(o, "hash", v->hash);
    return o;
}

/* The report as the JSON document the files hold (generated: when). */
static cJSON *report_json(const audit_report *r, const char *generated,
                          const char *data_dir)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "generated", generated);
    cJSON_AddStringToObject(doc, "data_dir", data_dir);
    cJSON *ch = cJSON_AddArrayToObject(doc, "checks");
    size_t nchecks;
    const char *const *checks = audit_checks(&nchecks);
    for (size_t i = 0; i < nchecks; i++)
        cJSON_AddItemToArray(ch, cJSON_CreateString(checks[i]));
    add_u64(doc, "entries", r->verify.entries);
    add_u64(doc, "signatures", r->verify.signatures);
    add_u64(doc, "origin_count", r->verify.origins);
    add_u64(doc, "personal_checked", r->verify.personal_checked);
    add_u64(doc, "personal_missing", r->verify.personal_missing);
    add_u64(doc, "warning_count", r->verify.warnings);
    cJSON *node = cJSON_AddObjectToObject(doc, "node");
    if (r->have_node) {
        add_hex(node, "key", r->node_key);
        cJSON_AddStringToObject(node, "state", r->node_state);
        cJSON_AddStringToObject(node, "role", r->node_national ? "national" : "state");
        cJSON_AddStringToObject(node, "name", r->node_name);
    }
    cJSON *vo = cJSON_AddArrayToObject(doc, "voided");
    for (size_t i = 0; i < r->n_voided; i++)
        cJSON_AddItemToArray(vo, void_json(&r->voided[i]));
    add_u64(doc, "total", r->total.members);
    add_u64(doc, "fee_paise", r->total.fee_paise);
    add_u64(doc, "active", r->total.active);
    add_u64(doc, "inactive", r->total.inactive);
    add_u64(doc, "resigned", r->total.resigned);
    add_u64(doc, "deceased", r->total.deceased);
    add_u64(doc, "fee_expected_paise", r->total.members * AUDIT_FEE_STANDARD);
    cJSON *arr = cJSON_AddArrayToObject(doc, "origins");
    for (size_t i = 0; i < r->n_origins; i++)
        cJSON_AddItemToArray(arr, origin_json(&r->origins[i], &r->failures));
    add_u64(doc, "fee_exceptions", r->fee_exceptions);
    add_u64(doc, "personal_erased", r->erased);
    cJSON *er = cJSON_AddArrayToObject(doc, "erasures");
    for (size_t i = 0; i < r->n_erasures; i++) {
        cJSON *e = cJSON_CreateObject();
        char day[DAY_STR_LEN];
        day_format(r->erasures[i].day, day);
        cJSON_AddStringToObject(e, "number", r->erasures[i].number);
        cJSON_AddStringToObject(e, "date", day);
        cJSON_AddStringToObject(e, "reason", r->erasures[i].reason);
        cJSON_AddItemToArray(er, e);
    }
    cJSON *rh = cJSON_AddArrayToObject(doc, "roster_history");
    for (size_t i = 0; i < r->n_roster; i++)
        cJSON_AddItemToArray(rh, roster_json(r->roster[i]));
    cJSON *ev = cJSON_AddArrayToObject(doc, "evidence");
    for (size_t i = 0; i < r->n_evidence; i++)
        cJSON_AddItemToArray(ev, evidence_json(&r->evidence[i]));
    add_u64(doc, "verify_failure_count", r->verify.failures);
    add_u64(doc, "failure_count", r->failures.n);
    cJSON_AddBoolToObject(doc, "ok", r->failures.n == 0);
    cJSON_AddItemToObject(doc, "failures", lines_json(&r->failures));
    cJSON_AddItemToObject(doc, "warnings", lines_json(&r->warnings));
    return doc;
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

/* A column of html_grid: the row's key and how its value is shown. */
enum { COL_TEXT, COL_NUM, COL_CODE, COL_RUPEES };
typedef struct grid_col {
    const char *key;
    int kind;
} grid_col;

/* A table of arr's objects, one column each of cols (NULL-ended, with its
 * heading in heads), each row opened by tr; "None held." when arr is
 * empty. */
static void html_grid(FILE *f, const cJSON *arr, const char *tr,
                      const char *const *heads, const grid_col *cols)
{
    if (!cJSON_GetArraySize(arr)) {
        fputs("<p class=\"good\">None held.</p>\n", f);
        return;
    }
    fputs("<table class=\"grid\"><tr>", f);
    for (size_t i = 0; heads[i]; i++)
        fprintf(f, "<th>%s</th>", heads[i]);
    fputs("</tr>\n", f);
    const cJSON *r;
    cJSON_ArrayForEach(r, arr) {
        fputs(tr, f);
        for (const grid_col *c = cols; c->key; c++) {
            switch (c->kind) {
            case COL_NUM: fprintf(f, "<td class=\"n\">%llu</td>", jnum(r, c->key)); break;
            case COL_RUPEES:
                fputs("<td class=\"n\">", f);
                rupees(f, jnum(r, c->key));
                fputs("</td>", f);
                break;
            case COL_CODE:
                fputs("<td><code>", f);
                esc(f, jstr(r, c->key));
                fputs("</code></td>", f);
                break;
            default:
                fputs("<td>", f);
                esc(f, jstr(r, c->key));
                fputs("</td>", f);
            }
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
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
        static const char *const heads[] = { "Number", "Fee", "Payment ref", NULL };
        static const grid_col cols[] = { { "number", COL_TEXT },
                                         { "fee_paise", COL_RUPEES },
                                         { "payment_ref", COL_TEXT }, { NULL, 0 } };
        fputs("<h4>Fees other than &#8377;11</h4>\n", f);
        html_grid(f, ex, "<tr>", heads, cols);
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
    static const char *const ev_heads[] = { "State", "Seq", "Origin",
                                            "Conflicting entry hash", NULL };
    static const grid_col ev_cols[] = { { "state", COL_TEXT }, { "seq", COL_NUM },
                                        { "origin", COL_CODE }, { "hash", COL_CODE },
                                        { NULL, 0 } };
    html_grid(f, cJSON_GetObjectItem(doc, "evidence"), "<tr>", ev_heads, ev_cols);
    fputs("<h2>Void entries</h2>\n", f);
    static const char *const vo_heads[] = { "State", "Seq", "Number", "Why void",
                                            "Origin", NULL };
    static const grid_col vo_cols[] = { { "state", COL_TEXT }, { "seq", COL_NUM },
                                        { "number", COL_TEXT }, { "reason", COL_TEXT },
                                        { "origin", COL_CODE }, { NULL, 0 } };
    html_grid(f, cJSON_GetObjectItem(doc, "voided"), "<tr class=\"bad\">", vo_heads,
              vo_cols);
    fputs("<h2>Personal data erased on request</h2>\n", f);
    static const char *const er_heads[] = { "Number", "Date", "Reason", NULL };
    static const grid_col er_cols[] = { { "number", COL_TEXT }, { "date", COL_TEXT },
                                        { "reason", COL_TEXT }, { NULL, 0 } };
    html_grid(f, cJSON_GetObjectItem(doc, "erasures"), "<tr>", er_heads, er_cols);
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
        { "bundle", required_argument, 0, 'b' }, { "trust", required_argument, 0, 'T' },
        { 0, 0, 0, 0 },
    };
    const char *out = NULL, *bundle = NULL, *trust = NULL;
    audit_opts ao = { NULL, 0 };
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'o': out = optarg; break;
        case 'S': ao.scratch_dir = optarg; break;
        case 't': ao.threads = atoi(optarg); break;
        case 'b': bundle = optarg; break;
        case 'T': trust = optarg; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("audit", argv);
        }
    }
    if (cli_opt_rest("audit", argc, argv))
        return CLI_EXIT_USAGE;
    if (!out && !c->json)
        return cli_usagef("audit", "--out DIR (or --json) is required");
    if (!bundle != !trust)
        return cli_usagef("audit", "--bundle FILE and --trust ROOTKEY go together");
    sd_err err;
    sd_err_clear(&err);
    uint8_t root[32];
    if (trust && keys_parse_public(trust, root, &err))
        return cli_error(&err);
    if (out && mkdir(out, 0755) && errno != EEXIST)
        return cli_errorf("cannot create %s: %s", out, strerror(errno));
    char when[32], real[PATH_MAX], source[PATH_MAX + 8];
    utc_time((uint64_t)time(NULL) * 1000, when);
    audit_report *r = NULL;
    int rc;
    if (bundle) {
        rc = audit_bundle(bundle, root, &ao, &r, &err);
        snprintf(source, sizeof source, "bundle %s",
                 realpath(bundle, real) ? real : bundle);
    } else {
        store *s;
        if (cli_open(c, STORE_RDONLY, &s))
            return CLI_EXIT_FAIL;
        rc = audit_run(s, &ao, &r, &err);
        store_destroy(&s);
        snprintf(source, sizeof source, "%s",
                 realpath(c->data_dir, real) ? real : c->data_dir);
    }
    if (rc)
        return cli_error(&err);
    cJSON *doc = report_json(r, when, source);
    verify_result vr = r->verify;
    uint64_t failures = r->failures.n;
    audit_report_destroy(&r);
    if (out) {
        char jp[PATH_MAX], hp[PATH_MAX];
        snprintf(jp, sizeof jp, "%s/audit.json", out);
        snprintf(hp, sizeof hp, "%s/audit.html", out);
        if (write_json(jp, doc) || write_html(hp, doc)) {
            cJSON_Delete(doc);
            return cli_errorf("cannot write the report in %s: %s", out,
                              strerror(errno));
        }
    }
    if (c->json) {
        cli_json_print(doc); /* frees it */
    } else {
        cJSON_Delete(doc);
        printf("%s: %llu entries, %llu signatures checked, %llu failures, %llu "
               "warnings; report in %s/audit.html and %s/audit.json\n",
               failures ? "FAILED" : "ok", (unsigned long long)vr.entries,
               (unsigned long long)vr.signatures, (unsigned long long)failures,
               (unsigned long long)vr.warnings, out, out);
    }
    return failures ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
