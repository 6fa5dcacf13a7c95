/*
 * cmd_campaign.c — `sadasya campaign`: how the membership drive is going,
 * from the counters (node/view.c keeps them with every fold, so this is
 * quick however many members there are):
 *   - joins per day or week per state, with the running total ("day"
 *     counters: value "BR/2026-10-03", members who joined that day);
 *   - a referral leaderboard per state ("referrer" counters: value a
 *     member's number, members who joined with --referred-by it);
 *   - festival windows: joins in FROM..TO against the same number of days
 *     just before FROM, per state.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "day.h"
#include "number.h"
#include "org_cli.h"

#define CAMPAIGN_FESTIVALS_MAX 8
#define CAMPAIGN_TOP_DEFAULT 10

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] campaign [--state CODE] [--by day|week]\n"
    "           [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--top N]\n"
    "           [--festival NAME:FROM:TO]...\n"
    "\n"
    "Joins per day (or week, from Monday) per state by joining date, with the\n"
    "running total; the members who brought in most others (--referred-by),\n"
    "top N per state (10; --top 0 leaves the board out); and with\n"
    "--festival, e.g. --festival Navratri:2026-10-11:2026-10-19, joins in\n"
    "that window against the same number of days just before it.\n"
    "--from/--to limit the days or weeks shown (running totals count all).\n";

typedef struct day_row {
    char state[STORE_STATE_BYTES];
    uint32_t day;
    uint64_t joins;
} day_row;

typedef struct ref_row {
    char state[STORE_STATE_BYTES];
    char number[NUMBER_MAX_LEN];
    uint64_t referred;
} ref_row;

typedef struct festival {
    char name[CLI_ORG_TEXT_MAX + 1];
    uint32_t from, to;
} festival;

typedef struct scan_ctx {
    const char *state;
    day_row *days;
    size_t nd, capd;
    ref_row *refs;
    size_t nr, capr;
} scan_ctx;

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    void *nv = realloc(*v, nc * size);
    if (!nv)
        return SD_ENOMEM;
    *v = nv;
    *cap = nc;
    return 0;
}

static int day_counter(const char *value, const counter_row *r, void *ctx)
{
    scan_ctx *x = ctx;
    const char *slash = strchr(value, '/');
    uint32_t day;
    if (!slash || slash - value >= STORE_STATE_BYTES || !r->members ||
        day_parse(slash + 1, &day, NULL))
        return 0;
    size_t sl = (size_t)(slash - value);
    if (x->state && (strlen(x->state) != sl || memcmp(x->state, value, sl)))
        return 0;
    if (grow((void **)&x->days, &x->capd, x->nd, sizeof *x->days))
        return SD_ENOMEM;
    day_row *d = &x->days[x->nd++];
    memcpy(d->state, value, sl);
    d->state[sl] = '\0';
    d->day = day;
    d->joins = r->members;
    return 0;
}

static int ref_counter(const char *value, const counter_row *r, void *ctx)
{
    scan_ctx *x = ctx;
    char canon[NUMBER_MAX_LEN], st[NUMBER_STATE_MAX + 1];
    if (!r->members || number_parse(value, canon, st, NULL, NULL))
        return 0;
    if (x->state && strcmp(x->state, st))
        return 0;
    if (grow((void **)&x->refs, &x->capr, x->nr, sizeof *x->refs))
        return SD_ENOMEM;
    ref_row *f = &x->refs[x->nr++];
    snprintf(f->state, sizeof f->state, "%s", st);
    memcpy(f->number, canon, sizeof f->number);
    f->referred = r->members;
    return 0;
}

/* Day rows come in counter order: state, then date (YYYY-MM-DD sorts). */
static int ref_cmp(const void *p, const void *q)
{
    const ref_row *a = p, *b = q;
    int c = strcmp(a->state, b->state);
    if (!c && a->referred != b->referred)
        c = a->referred > b->referred ? -1 : 1;
    if (!c)
        c = strcmp(a->number, b->number);
    return c;
}

/* The Monday on or before day (1970-01-01 was a Thursday). */
static uint32_t week_start(uint32_t day)
{
    uint32_t back = (day + 3) % 7;
    return day >= back ? day - back : 0;
}

/* NAME:FROM:TO — the name may hold colons, the dates do not. */
static int parse_festival(const char *in, festival *f)
{
    const char *c2 = strrchr(in, ':');
    const char *c1 = c2 && c2 > in ? c2 - 1 : NULL;
    while (c1 && c1 > in && *c1 != ':')
        c1--;
    if (!c2 || !c1 || *c1 != ':' || c1 == in)
        return cli_usagef("campaign", "--festival %s: give NAME:FROM:TO, e.g. "
                          "Navratri:2026-10-11:2026-10-19", in);
    size_t nl = (size_t)(c1 - in);
    if (nl > CLI_ORG_TEXT_MAX)
        return cli_errorf("--festival: the name is longer than %d bytes", CLI_ORG_TEXT_MAX);
    memcpy(f->name, in, nl);
    f->name[nl] = '\0';
    char from[DAY_STR_LEN + 8], to[DAY_STR_LEN + 8];
    size_t fl = (size_t)(c2 - c1 - 1);
    if (fl >= sizeof from || strlen(c2 + 1) >= sizeof to)
        return cli_errorf("--festival %s: dates are YYYY-MM-DD", in);
    memcpy(from, c1 + 1, fl);
    from[fl] = '\0';
    snprintf(to, sizeof to, "%s", c2 + 1);
    if (cli_org_day("--festival", from, &f->from) || cli_org_day("--festival", to, &f->to))
        return CLI_EXIT_FAIL;
    if (f->to < f->from)
        return cli_errorf("--festival %s: ends before it begins", in);
    return cli_org_text("campaign", "the festival's name", f->name, CLI_ORG_TEXT_MAX, 1, 0);
}

/* Joins of state (NULL: all) on days lo..hi. */
static uint64_t joins_between(const scan_ctx *x, const char *state, uint32_t lo, uint32_t hi)
{
    uint64_t n = 0;
    for (size_t i = 0; i < x->nd; i++)
        if ((!state || !strcmp(state, x->days[i].state)) && x->days[i].day >= lo &&
            x->days[i].day <= hi)
            n += x->days[i].joins;
    return n;
}

static void ratio_text(uint64_t window, uint64_t before, char out[32])
{
    if (before)
        snprintf(out, 32, "%.2fx", (double)window / (double)before);
    else
        snprintf(out, 32, "%s", window ? "new" : "-");
}

static void add_ratio(cJSON *o, uint64_t window, uint64_t before)
{
    if (before)
        cJSON_AddNumberToObject(o, "ratio", (double)window / (double)before);
    else
        cJSON_AddNullToObject(o, "ratio");
}

/* One row of the window comparison: members who joined in the window and
 * in the same span before it, and the change, into o (JSON) or t. */
static void window_row(cJSON *o, cli_table *t, const char *label, uint64_t w,
                       uint64_t bf)
{
    if (o) {
        cJSON_AddNumberToObject(o, "window", (double)w);
        cJSON_AddNumberToObject(o, "before", (double)bf);
        add_ratio(o, w, bf);
        return;
    }
    char wn[24], bn[24], ch[32];
    cli_org_u64(w, wn);
    cli_org_u64(bf, bn);
    ratio_text(w, bf, ch);
    const char *cells[] = { label, wn, bn, ch };
    cli_table_add(t, cells);
}

int cmd_campaign(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state", required_argument, 0, 's' }, { "by", required_argument, 0, 'b' },
        { "from", required_argument, 0, 'f' }, { "to", required_argument, 0, 't' },
        { "top", required_argument, 0, 'n' }, { "festival", required_argument, 0, 'F' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *by = "day", *from = NULL, *to = NULL, *top_s = NULL;
    const char *fest_in[CAMPAIGN_FESTIVALS_MAX];
    size_t nf = 0;
    scan_ctx x;
    memset(&x, 0, sizeof x);
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': x.state = optarg; break;
        case 'b': by = optarg; break;
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'n': top_s = optarg; break;
        case 'F':
            if (nf == CAMPAIGN_FESTIVALS_MAX)
                return cli_usagef("campaign", "more than %d festivals", CAMPAIGN_FESTIVALS_MAX);
            fest_in[nf++] = optarg;
            break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("campaign", argv);
        }
    }
    if (cli_opt_rest("campaign", argc, argv))
        return CLI_EXIT_USAGE;
    int weekly = !strcmp(by, "week");
    if (!weekly && strcmp(by, "day"))
        return cli_usagef("campaign", "--by %s: not day or week", by);
    if (cli_state_arg(x.state))
        return CLI_EXIT_FAIL;
    unsigned long top = CAMPAIGN_TOP_DEFAULT;
    if (top_s) {
        char *end;
        top = strtoul(top_s, &end, 10);
        if (!*top_s || *end || top > 1000000)
            return cli_errorf("--top %s: give a number of members (0 for none)", top_s);
    }
    uint32_t lo = 0, hi = UINT32_MAX;
    if ((from && cli_org_day("--from", from, &lo)) || (to && cli_org_day("--to", to, &hi)))
        return CLI_EXIT_FAIL;
    if (lo > hi)
        return cli_errorf("--from is after --to");
    festival fests[CAMPAIGN_FESTIVALS_MAX];
    for (size_t i = 0; i < nf; i++) {
        int rc = parse_festival(fest_in[i], &fests[i]);
        if (rc)
            return rc;
    }

    store *s;
    store_txn *txn;
    sd_err err;
    if (cli_read(c, &s, &txn, &err))
        return CLI_EXIT_FAIL;
    int rc = view_counter_each(s, txn, "day", day_counter, &x, &err);
    if (!rc)
        rc = view_counter_each(s, txn, "referrer", ref_counter, &x, &err);
    if (rc == SD_ENOMEM && !err.msg[0])
        sd_errf(&err, SD_ENOMEM, "out of memory");
    if (rc) {
        cli_read_end(&s, &txn);
        free(x.days);
        free(x.refs);
        return cli_error(&err);
    }
    if (x.nr)
        qsort(x.refs, x.nr, sizeof *x.refs, ref_cmp);

    cJSON *root = c->json ? cJSON_CreateObject() : NULL;
    cli_table *t = NULL;

    /* Joins per period, per state, with the running total. */
    cJSON *periods = NULL;
    static const char *const pheads[] = { "STATE", "DAY", "JOINS", "RUNNING TOTAL" };
    const char *ph[4];
    memcpy(ph, pheads, sizeof ph);
    if (weekly)
        ph[1] = "WEEK FROM";
    if (root) {
        cJSON_AddStringToObject(root, "by", weekly ? "week" : "day");
        periods = cJSON_AddArrayToObject(root, "periods");
    } else {
        t = cli_table_new(4, ph);
    }
    size_t shown = 0;
    uint64_t running = 0;
    for (size_t i = 0; i < x.nd;) {
        /* Rows of one state and one period: they are consecutive. */
        uint32_t p = weekly ? week_start(x.days[i].day) : x.days[i].day;
        uint64_t joins = 0;
        size_t j = i;
        if (!i || strcmp(x.days[i].state, x.days[i - 1].state))
            running = 0;
        while (j < x.nd && !strcmp(x.days[j].state, x.days[i].state) &&
               (weekly ? week_start(x.days[j].day) : x.days[j].day) == p)
            joins += x.days[j++].joins;
        running += joins;
        if (p + (weekly ? 6 : 0) >= lo && p <= hi) {
            char d[DAY_STR_LEN], jn[24], rn[24];
            day_format(p, d);
            cli_org_u64(joins, jn);
            cli_org_u64(running, rn);
            if (periods) {
                cJSON *r = cJSON_CreateObject();
                cJSON_AddStringToObject(r, "state", x.days[i].state);
                cJSON_AddStringToObject(r, weekly ? "week" : "day", d);
                cJSON_AddNumberToObject(r, "joins", (double)joins);
                cJSON_AddNumberToObject(r, "running_total", (double)running);
                cJSON_AddItemToArray(periods, r);
            } else {
                const char *cells[] = { x.days[i].state, d, jn, rn };
                cli_table_add(t, cells);
            }
            shown++;
        }
        i = j;
    }
    if (t) {
        printf("Joins per %s\n", weekly ? "week" : "day");
        if (shown)
            cli_table_print(t, stdout);
        else
            puts("no joins");
        cli_table_destroy(&t);
    }

    /* The referral leaderboard. */
    if (top) {
        cJSON *refs = root ? cJSON_AddArrayToObject(root, "referrers") : NULL;
        static const char *const rheads[] = { "STATE", "RANK", "NUMBER", "NAME", "BROUGHT IN" };
        if (!root)
            t = cli_table_new(5, rheads);
        size_t rank = 0, n = 0;
        for (size_t i = 0; i < x.nr; i++) {
            if (i && strcmp(x.refs[i].state, x.refs[i - 1].state))
                rank = 0;
            if (rank >= top)
                continue;
            rank++;
            n++;
            cli_person who;
            cli_org_person(s, txn, x.refs[i].number, &who);
            char rk[24], cnt[24];
            cli_org_u64(rank, rk);
            cli_org_u64(x.refs[i].referred, cnt);
            if (refs) {
                cJSON *r = cJSON_CreateObject();
                cJSON_AddStringToObject(r, "state", x.refs[i].state);
                cJSON_AddNumberToObject(r, "rank", (double)rank);
                cJSON_AddStringToObject(r, "number", x.refs[i].number);
                cli_org_person_json(r, &who);
                cJSON_AddNumberToObject(r, "referred", (double)x.refs[i].referred);
                cJSON_AddItemToArray(refs, r);
            } else {
                const char *cells[] = { x.refs[i].state, rk, x.refs[i].number,
                                        who.name, cnt };
                cli_table_add(t, cells);
            }
            cli_org_person_free(&who);
        }
        if (t) {
            printf("\nReferrals: members who brought in most others (top %lu per state)\n", top);
            if (n)
                cli_table_print(t, stdout);
            else
                puts("no referrals");
            cli_table_destroy(&t);
        }
    }

    /* Festival windows against the days just before. */
    cJSON *fj = root && nf ? cJSON_AddArrayToObject(root, "festivals") : NULL;
    for (size_t k = 0; k < nf; k++) {
        const festival *f = &fests[k];
        uint32_t len = f->to - f->from + 1;
        uint32_t bto = f->from ? f->from - 1 : 0;
        uint32_t bfrom = f->from > len ? f->from - len : 0;
        char a[DAY_STR_LEN], b[DAY_STR_LEN], ba[DAY_STR_LEN], bb[DAY_STR_LEN];
        day_format(f->from, a);
        day_format(f->to, b);
        day_format(bfrom, ba);
        day_format(bto, bb);
        /* The states with joins in either span, in order. */
        cJSON *rows = NULL, *fo = NULL;
        if (fj) {
            fo = cJSON_CreateObject();
            cJSON_AddStringToObject(fo, "name", f->name);
            cJSON_AddStringToObject(fo, "from", a);
            cJSON_AddStringToObject(fo, "to", b);
            cJSON_AddNumberToObject(fo, "days", len);
            cJSON_AddStringToObject(fo, "before_from", ba);
            cJSON_AddStringToObject(fo, "before_to", bb);
            rows = cJSON_AddArrayToObject(fo, "states");
        } else {
            static const char *const fheads[] = { "STATE", "FESTIVAL", "BEFORE", "CHANGE" };
            t = cli_table_new(4, fheads);
        }
        for (size_t i = 0; i < x.nd; i++) {
            if (i && !strcmp(x.days[i].state, x.days[i - 1].state))
                continue;
            uint64_t w = joins_between(&x, x.days[i].state, f->from, f->to);
            uint64_t bf = joins_between(&x, x.days[i].state, bfrom, bto);
            if (!w && !bf)
                continue;
            cJSON *r = rows ? cJSON_CreateObject() : NULL;
            if (r)
                cJSON_AddStringToObject(r, "state", x.days[i].state);
            window_row(r, t, x.days[i].state, w, bf);
            if (r)
                cJSON_AddItemToArray(rows, r);
        }
        uint64_t w = joins_between(&x, NULL, f->from, f->to);
        uint64_t bf = joins_between(&x, NULL, bfrom, bto);
        window_row(fo, t, "ALL", w, bf);
        if (fo) {
            cJSON_AddItemToArray(fj, fo);
        } else {
            printf("\n%s: joins %s..%s (%u day%s) against %s..%s\n", f->name, a, b, len,
                   len == 1 ? "" : "s", ba, bb);
            cli_table_print(t, stdout);
            cli_table_destroy(&t);
        }
    }
    cli_read_end(&s, &txn);
    free(x.days);
    free(x.refs);
    if (root)
        cli_json_print(root);
    return CLI_EXIT_OK;
}
