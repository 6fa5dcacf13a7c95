/*
 * cmd_report.c — `sadasya report --html FILE`: the national dashboard as one
 * static page (inline CSS and SVG; no script, no network, no external
 * resource). Members and fees by state from the "state" counters; joins per
 * ISO week and state from the "day" counters (the drive's curve); gender,
 * urban/rural and active/inactive per state from one walk of the members.
 * Every chart is drawn here as <rect>/<polyline> with labelled axes and is
 * followed by a table holding the same numbers. Each mark carries
 * data-state="CODE" so a test can see that every state is drawn. With
 * --json the same figures are printed as one JSON object.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "day.h"

#define REPORT_MAX_WEEKS 1100 /* about 21 years of weekly points */
#define CHART_W 960
#define CHART_H 320
#define MARGIN_L 80
#define MARGIN_R 20
#define MARGIN_T 30
#define MARGIN_B 60

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] report [--html FILE]\n"
    "\n"
    "Writes the national dashboard as one static HTML page (no network needed\n"
    "to open it): members and fees by state, joins per week by state, gender,\n"
    "urban/rural and active/inactive, each an inline SVG chart with a table of\n"
    "the same numbers under it. --json prints the same figures as one JSON\n"
    "object ({\"total\", \"states\": [...], \"weeks\": [...]}); --html is then\n"
    "optional. The counts are the whole federation's on every node.\n";

static const char *const palette[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                       "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                       "#bcbd22", "#17becf" };
#define NPALETTE (sizeof palette / sizeof palette[0])

typedef struct state_acc {
    char code[8];
    counter_row row;
    uint64_t gender[4], area[3], status[5];
} state_acc;

typedef struct day_join {
    uint32_t monday;
    size_t state;
    uint64_t n;
} day_join;

typedef struct report_ctx {
    state_acc *st;
    size_t nst, cap;
    day_join *dj;
    size_t ndj, capdj;
} report_ctx;

static state_acc *find_state(report_ctx *x, const char *code)
{
    for (size_t i = 0; i < x->nst; i++)
        if (!strcmp(x->st[i].code, code))
            return &x->st[i];
    return NULL;
}

static int state_row(const char *value, const counter_row *r, void *ctx)
{
    report_ctx *x = ctx;
    if (x->nst == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 16;
        state_acc *n = realloc(x->st, x->cap * sizeof *n);
        if (!n)
            return SD_ENOMEM;
        x->st = n;
    }
    state_acc *s = &x->st[x->nst++];
    memset(s, 0, sizeof *s);
    snprintf(s->code, sizeof s->code, "%s", value);
    s->row = *r;
    return 0;
}

static int day_row(const char *value, const counter_row *r, void *ctx)
{
    report_ctx *x = ctx;
    const char *slash = strchr(value, '/');
    if (!slash || !r->members)
        return 0;
    char code[8];
    size_t n = (size_t)(slash - value);
    if (n >= sizeof code)
        return 0;
    memcpy(code, value, n);
    code[n] = '\0';
    state_acc *s = find_state(x, code);
    uint32_t day;
    if (!s || day_parse(slash + 1, &day, NULL))
        return 0;
    if (x->ndj == x->capdj) {
        x->capdj = x->capdj ? x->capdj * 2 : 256;
        day_join *nd = realloc(x->dj, x->capdj * sizeof *nd);
        if (!nd)
            return SD_ENOMEM;
        x->dj = nd;
    }
    /* 1970-01-01 was a Thursday: (day + 3) % 7 is 0 on Mondays. */
    x->dj[x->ndj++] = (day_join){ day - (day + 3) % 7, (size_t)(s - x->st), r->members };
    return 0;
}

static int member_row(const Sadasya__MemberView *m, void *ctx)
{
    report_ctx *x = ctx;
    state_acc *s = find_state(x, m->state);
    if (!s)
        return 0;
    if ((unsigned)m->gender < 4)
        s->gender[m->gender]++;
    if ((unsigned)m->area < 3)
        s->area[m->area]++;
    if ((unsigned)m->status < 5)
        s->status[m->status]++;
    return 0;
}

/* "2026-W40" for the ISO week starting on Monday `monday`. */
static void iso_week(uint32_t monday, char out[16])
{
    uint32_t thursday = monday + 3, jan1;
    char d[DAY_STR_LEN], y[DAY_STR_LEN];
    day_format(thursday, d);
    snprintf(y, sizeof y, "%.4s-01-01", d);
    if (day_parse(y, &jan1, NULL))
        jan1 = thursday;
    snprintf(out, 16, "%.4s-W%02u", d, (unsigned)((thursday - jan1) / 7 + 1));
}

/* --- drawing ---------------------------------------------------------------- */

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

/* A round axis maximum at or above v, and its tick step (4 ticks). */
static double axis_max(double v, double *step)
{
    if (v <= 0)
        v = 1;
    double mag = 1;
    while (mag * 10 <= v / 4)
        mag *= 10;
    static const double nice[] = { 1, 2, 2.5, 5, 10 };
    double s = mag;
    for (size_t i = 0; i < sizeof nice / sizeof nice[0]; i++) {
        s = nice[i] * mag;
        if (s * 4 >= v)
            break;
    }
    *step = s;
    return s * 4;
}

static void axes(FILE *f, double ymax, double step, const char *ylabel,
                 const char *xlabel)
{
    int x0 = MARGIN_L, y0 = CHART_H - MARGIN_B, x1 = CHART_W - MARGIN_R;
    int ph = CHART_H - MARGIN_T - MARGIN_B;
    for (double t = 0; t <= ymax + step / 2; t += step) {
        double y = y0 - t / ymax * ph;
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
                "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%g</text>\n",
                x0, y, x1, y, x0 - 6, y + 4, t);
    }
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n",
            x0, MARGIN_T, x0, y0, x0, y0, x1, y0);
    fprintf(f, "<text x=\"16\" y=\"%d\" class=\"label\" text-anchor=\"middle\" "
            "transform=\"rotate(-90 16 %d)\">", MARGIN_T + ph / 2, MARGIN_T + ph / 2);
    esc(f, ylabel);
    fprintf(f, "</text><text x=\"%d\" y=\"%d\" class=\"label\" text-anchor=\"middle\">",
            (x0 + x1) / 2, CHART_H - 8);
    esc(f, xlabel);
    fputs("</text>\n", f);
}

static void legend(FILE *f, size_t nser, const char *const *sers)
{
    for (size_t j = 0; j < nser; j++) {
        int x = MARGIN_L + 10 + (int)j * 110;
        fprintf(f, "<rect x=\"%d\" y=\"6\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                "<text x=\"%d\" y=\"17\" class=\"tick\">", x, palette[j % NPALETTE], x + 16);
        esc(f, sers[j]);
        fputs("</text>\n", f);
    }
}

/* Grouped bars: one group per state (cats), one bar per series. */
static void bar_chart(FILE *f, const char *title, const char *ylabel, size_t ncat,
                      const char *const *cats, size_t nser, const char *const *sers,
                      const double *vals)
{
    double max = 0, step;
    for (size_t i = 0; i < ncat * nser; i++)
        if (vals[i] > max)
            max = vals[i];
    double ymax = axis_max(max, &step);
    fputs("<h2>", f);
    esc(f, title);
    fprintf(f, "</h2>\n<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n",
            CHART_W, CHART_H, CHART_W, CHART_H);
    axes(f, ymax, step, ylabel, "state");
    if (nser > 1)
        legend(f, nser, sers);
    double pw = CHART_W - MARGIN_L - MARGIN_R, ph = CHART_H - MARGIN_T - MARGIN_B;
    double gw = ncat ? pw / (double)ncat : pw, bw = gw * 0.8 / (double)nser;
    for (size_t i = 0; i < ncat; i++) {
        double gx = MARGIN_L + gw * (double)i + gw * 0.1;
        for (size_t j = 0; j < nser; j++) {
            double v = vals[i * nser + j], h = v / ymax * ph;
            fprintf(f, "<rect data-state=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.1f\" fill=\"%s\"><title>%s %s: %g</title></rect>\n",
                    cats[i], gx + bw * (double)j, CHART_H - MARGIN_B - h, bw, h,
                    palette[j % NPALETTE], cats[i], sers[j], v);
        }
        fprintf(f, "<text data-state=\"%s\" x=\"%.1f\" y=\"%d\" class=\"tick\" "
                "text-anchor=\"middle\">%s</text>\n", cats[i], gx + gw * 0.4,
                CHART_H - MARGIN_B + 16, cats[i]);
    }
    fputs("</svg>\n", f);
}

/* One line per series (state) over the x points (weeks). */
static void line_chart(FILE *f, const char *title, const char *ylabel, size_t nx,
                       const char *const *xl, size_t nser, const char *const *sers,
                       const double *vals /* nser × nx */)
{
    double max = 0, step;
    for (size_t i = 0; i < nx * nser; i++)
        if (vals[i] > max)
            max = vals[i];
    double ymax = axis_max(max, &step);
    fputs("<h2>", f);
    esc(f, title);
    fprintf(f, "</h2>\n<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n",
            CHART_W, CHART_H, CHART_W, CHART_H);
    axes(f, ymax, step, ylabel, "ISO week of joining");
    legend(f, nser, sers);
    double pw = CHART_W - MARGIN_L - MARGIN_R, ph = CHART_H - MARGIN_T - MARGIN_B;
    double pad = 30; /* room for the first and last week's labels */
    double dx = nx > 1 ? (pw - 2 * pad) / (double)(nx - 1) : 0;
    double x0 = MARGIN_L + (nx > 1 ? pad : pw / 2);
    size_t every = nx / 12 + 1; /* at most about 12 x labels */
    for (size_t k = 0; k < nx; k += every)
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>\n",
                x0 + dx * (double)k, CHART_H - MARGIN_B + 16, xl[k]);
    for (size_t j = 0; j < nser; j++) {
        fprintf(f, "<polyline data-state=\"%s\" fill=\"none\" stroke=\"%s\" "
                "stroke-width=\"2\" points=\"", sers[j], palette[j % NPALETTE]);
        for (size_t k = 0; k < nx; k++)
            fprintf(f, "%s%.1f,%.1f", k ? " " : "", x0 + dx * (double)k,
                    CHART_H - MARGIN_B - vals[j * nx + k] / ymax * ph);
        fputs("\"/>\n", f);
        for (size_t k = 0; k < nx; k++)
            if (vals[j * nx + k] > 0)
                fprintf(f, "<circle data-state=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
                        "fill=\"%s\"><title>%s %s: %g</title></circle>\n", sers[j],
                        x0 + dx * (double)k,
                        CHART_H - MARGIN_B - vals[j * nx + k] / ymax * ph,
                        palette[j % NPALETTE], sers[j], xl[k], vals[j * nx + k]);
    }
    fputs("</svg>\n", f);
}

/* The table under a chart: rows × cols of vals[r * cols + c] (or, when
 * transposed, vals[c * rows + r]); money: rupees from paise. */
static void table(FILE *f, const char *corner, size_t rows, const char *const *rl,
                  size_t cols, const char *const *cl, const double *vals,
                  int transposed, int money)
{
    fputs("<table><tr><th>", f);
    esc(f, corner);
    fputs("</th>", f);
    for (size_t c = 0; c < cols; c++) {
        fputs("<th>", f);
        esc(f, cl[c]);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t r = 0; r < rows; r++) {
        fputs("<tr><th>", f);
        esc(f, rl[r]);
        fputs("</th>", f);
        for (size_t c = 0; c < cols; c++) {
            double v = transposed ? vals[c * rows + r] : vals[r * cols + c];
            if (money) {
                char rs[32];
                cli_rupees((unsigned long long)(v * 100 + 0.5), rs);
                fprintf(f, "<td>&#8377;%s</td>", rs);
            } else {
                fprintf(f, "<td>%.0f</td>", v);
            }
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static int write_page(FILE *f, report_ctx *x, const counter_row *total)
{
    size_t n = x->nst;
    const char **codes = calloc(n ? n : 1, sizeof *codes);
    double *v = calloc(n ? n * 5 : 1, sizeof *v);
    if (!codes || !v) {
        free(codes);
        free(v);
        return SD_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        codes[i] = x->st[i].code;
    char when[32], fee[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    cli_rupees(total->fee_paise, fee);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>sadasya: national dashboard</title>\n<style>\n"
          "body{font-family:sans-serif;margin:2em;max-width:62em;color:#222}\n"
          "table{border-collapse:collapse;margin:.5em 0 2em}\n"
          "th,td{border:1px solid #ccc;padding:.2em .6em;text-align:right}\n"
          "th{background:#f3f3f3}\n"
          "svg.chart{display:block;max-width:100%;height:auto;background:#fff}\n"
          "svg .axis{stroke:#333;stroke-width:1}svg .grid{stroke:#e4e4e4;stroke-width:1}\n"
          "svg text{font-family:sans-serif;fill:#333}svg .tick{font-size:12px}\n"
          "svg .label{font-size:13px;font-weight:bold}\n"
          "</style></head><body>\n<h1>National dashboard</h1>\n", f);
    fprintf(f, "<p>%llu members (%llu active, %llu inactive), fees &#8377;%s, "
            "%zu states; generated %s.</p>\n",
            (unsigned long long)total->members, (unsigned long long)total->active,
            (unsigned long long)total->inactive, fee, n, when);

    static const char *const members_col[] = { "members" };
    for (size_t i = 0; i < n; i++)
        v[i] = (double)x->st[i].row.members;
    bar_chart(f, "Members by state", "members", n, codes, 1, members_col, v);
    fputs("<table><tr><th>state</th><th>members</th><th>fees</th></tr>\n", f);
    for (size_t i = 0; i < n; i++) {
        cli_rupees(x->st[i].row.fee_paise, fee);
        fprintf(f, "<tr><th>%s</th><td>%llu</td><td>&#8377;%s</td></tr>\n", codes[i],
                (unsigned long long)x->st[i].row.members, fee);
    }
    fputs("</table>\n", f);

    static const char *const fee_col[] = { "fees (Rs)" };
    for (size_t i = 0; i < n; i++)
        v[i] = (double)x->st[i].row.fee_paise / 100.0;
    bar_chart(f, "Fees by state", "fees (Rs)", n, codes, 1, fee_col, v);
    table(f, "state", n, codes, 1, fee_col, v, 0, 1);

    /* Joins per ISO week, every week from the first to the last. */
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t i = 0; i < x->ndj; i++) {
        if (x->dj[i].monday < lo)
            lo = x->dj[i].monday;
        if (x->dj[i].monday > hi)
            hi = x->dj[i].monday;
    }
    size_t nw = x->ndj ? (hi - lo) / 7 + 1 : 0;
    if (nw > REPORT_MAX_WEEKS) { /* keep the latest weeks */
        lo = hi - (REPORT_MAX_WEEKS - 1) * 7;
        nw = REPORT_MAX_WEEKS;
    }
    double *wv = calloc(nw * n + 1, sizeof *wv);
    char (*wl)[16] = calloc(nw + 1, sizeof *wl);
    const char **wlp = calloc(nw + 1, sizeof *wlp);
    if (!wv || !wl || !wlp) {
        free(wv);
        free(wl);
        free(wlp);
        free(codes);
        free(v);
        return SD_ENOMEM;
    }
    for (size_t k = 0; k < nw; k++) {
        iso_week(lo + (uint32_t)k * 7, wl[k]);
        wlp[k] = wl[k];
    }
    for (size_t i = 0; i < x->ndj; i++)
        if (x->dj[i].monday >= lo)
            wv[x->dj[i].state * nw + (x->dj[i].monday - lo) / 7] += (double)x->dj[i].n;
    line_chart(f, "Joins per week, by state", "members joined", nw, wlp, n, codes, wv);
    table(f, "week", nw, wlp, n, codes, wv, 1, 0);
    free(wv);
    free(wl);
    free(wlp);

    static const char *const g_cols[] = { "female", "male", "other", "unspecified" };
    for (size_t i = 0; i < n; i++) {
        v[i * 4 + 0] = (double)x->st[i].gender[1];
        v[i * 4 + 1] = (double)x->st[i].gender[2];
        v[i * 4 + 2] = (double)x->st[i].gender[3];
        v[i * 4 + 3] = (double)x->st[i].gender[0];
    }
    bar_chart(f, "Gender, by state", "members", n, codes, 4, g_cols, v);
    table(f, "state", n, codes, 4, g_cols, v, 0, 0);

    static const char *const a_cols[] = { "urban", "rural", "unspecified" };
    for (size_t i = 0; i < n; i++) {
        v[i * 3 + 0] = (double)x->st[i].area[1];
        v[i * 3 + 1] = (double)x->st[i].area[2];
        v[i * 3 + 2] = (double)x->st[i].area[0];
    }
    bar_chart(f, "Urban and rural, by state", "members", n, codes, 3, a_cols, v);
    table(f, "state", n, codes, 3, a_cols, v, 0, 0);

    static const char *const s_cols[] = { "active", "inactive", "resigned", "deceased" };
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++)
            v[i * 4 + (size_t)k] = (double)x->st[i].status[k + 1];
    bar_chart(f, "Active and inactive, by state", "members", n, codes, 4, s_cols, v);
    table(f, "state", n, codes, 4, s_cols, v, 0, 0);

    fputs("</body></html>\n", f);
    free(codes);
    free(v);
    return SD_OK;
}

/* The dashboard's figures as one JSON object on stdout. */
static void print_json(const report_ctx *x, const counter_row *total)
{
    cJSON *doc = cJSON_CreateObject();
    cli_counter_json(cJSON_AddObjectToObject(doc, "total"), total);
    cJSON *states = cJSON_AddArrayToObject(doc, "states");
    for (size_t i = 0; i < x->nst; i++) {
        const state_acc *a = &x->st[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "state", a->code);
        cli_counter_json(o, &a->row);
        cJSON *g = cJSON_AddObjectToObject(o, "gender");
        cJSON_AddNumberToObject(g, "female", (double)a->gender[1]);
        cJSON_AddNumberToObject(g, "male", (double)a->gender[2]);
        cJSON_AddNumberToObject(g, "other", (double)a->gender[3]);
        cJSON_AddNumberToObject(g, "unspecified", (double)a->gender[0]);
        cJSON *ar = cJSON_AddObjectToObject(o, "area");
        cJSON_AddNumberToObject(ar, "urban", (double)a->area[1]);
        cJSON_AddNumberToObject(ar, "rural", (double)a->area[2]);
        cJSON_AddNumberToObject(ar, "unspecified", (double)a->area[0]);
        cJSON_AddItemToArray(states, o);
    }
    cJSON *weeks = cJSON_AddArrayToObject(doc, "weeks");
    for (size_t i = 0; i < x->ndj; i++) {
        cJSON *o = cJSON_CreateObject();
        char wk[16];
        iso_week(x->dj[i].monday, wk);
        cJSON_AddStringToObject(o, "week", wk);
        cJSON_AddStringToObject(o, "state", x->st[x->dj[i].state].code);
        cJSON_AddNumberToObject(o, "joins", (double)x->dj[i].n);
        cJSON_AddItemToArray(weeks, o);
    }
    cli_json_print(doc);
}

int cmd_report(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "html", required_argument, 0, 'H' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *path = NULL;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'H': path = optarg; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("report", argv);
        }
    }
    if (cli_opt_rest("report", argc, argv))
        return CLI_EXIT_USAGE;
    if (!path && !c->json)
        return cli_usagef("report", "--html FILE (or --json) is required");
    store *s;
    if (cli_open(c, STORE_RDONLY, &s))
        return CLI_EXIT_FAIL;
    sd_err err;
    sd_err_clear(&err);
    report_ctx x = { 0 };
    counter_row total;
    store_txn *txn;
    int rc = store_begin(s, 0, &txn, &err);
    if (!rc) {
        rc = view_counter_get(s, txn, "total", "", &total, &err);
        if (!rc)
            rc = view_counter_each(s, txn, "state", state_row, &x, &err);
        if (!rc)
            rc = view_counter_each(s, txn, "day", day_row, &x, &err);
        if (!rc)
            rc = view_members_each(s, txn, NULL, member_row, &x, &err);
        if (rc && !err.msg[0])
            sd_errf(&err, rc, "out of memory");
        store_end(txn);
    }
    store_destroy(&s);
    if (!rc && path) {
        FILE *f = fopen(path, "w");
        if (!f) {
            rc = sd_errf(&err, SD_EIO, "cannot write %s", path);
        } else {
            rc = write_page(f, &x, &total);
            if (fclose(f) && !rc)
                rc = sd_errf(&err, SD_EIO, "cannot write %s", path);
            else if (rc)
                sd_errf(&err, rc, "out of memory");
        }
    }
    if (!rc && c->json)
        print_json(&x, &total);
    free(x.st);
    free(x.dj);
    if (rc)
        return cli_error(&err);
    if (!c->json)
        printf("dashboard written to %s\n", path);
    return CLI_EXIT_OK;
}
