/*
 * cmd_inactive.c — `sadasya inactive`: the calling list of members to
 * bring back. A member is on it when marked inactive, or when still
 * active but silent: no activity (joining, attending an event, an update
 * of their record) since the cutoff, by default the federation's rule
 * (`rules --inactive-after DAYS`, 180 days until the national office sets
 * it). Resigned and deceased members, and members whose personal data was
 * erased on request, are never on it.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmds.h"
#include "csvio.h"
#include "day.h"
#include "number.h"
#include "org_cli.h"
#include "roster.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] inactive [--since Nd|YYYY-MM-DD]\n"
    "           [--state CODE | --all-states] [--district DISTRICT]\n"
    "           [--format table|csv]\n"
    "\n"
    "Members to call: those marked inactive, and active members with no\n"
    "activity (joining, attending an event, an update of their record)\n"
    "since the cutoff: N days ago (180d) or a date; by default the\n"
    "federation's rule (sadasya rules). Oldest activity first within each\n"
    "district, with phone numbers (where this node holds personal data).\n"
    "--format csv writes a calling sheet with a header row. On a chapter,\n"
    "its own state's members unless --state or --all-states says otherwise;\n"
    "on the national node, every state's.\n"
    "\n"
    "Bring a member back with `sadasya status NUMBER active --reason\n"
    "reactivated`, or by recording them at an event (sadasya event attend).\n";

typedef struct row {
    Sadasya__MemberView *m;
    uint32_t last;
} row;

typedef struct scan_ctx {
    const char *district;
    uint32_t cutoff;
    row *rows;
    size_t n, cap;
} scan_ctx;

static int scan(const Sadasya__MemberView *m, void *ctx)
{
    scan_ctx *x = ctx;
    if (m->erased_day || (x->district && strcasecmp(x->district, m->district)))
        return 0;
    uint32_t last = view_last_activity(m); /* view.h defines it */
    int on = m->status == SADASYA__STATUS__INACTIVE ||
             (m->status == SADASYA__STATUS__ACTIVE && last < x->cutoff);
    if (!on)
        return 0;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 256;
        row *nr = realloc(x->rows, cap * sizeof *nr);
        if (!nr)
            return SD_ENOMEM;
        x->rows = nr;
        x->cap = cap;
    }
    if (!(x->rows[x->n].m = cli_org_dup(&m->base)))
        return SD_ENOMEM;
    x->rows[x->n++].last = last;
    return 0;
}

static int row_cmp(const void *p, const void *q)
{
    const row *a = p, *b = q;
    int c = strcmp(a->m->state, b->m->state);
    if (!c)
        c = strcmp(a->m->district, b->m->district);
    if (!c && a->last != b->last)
        c = a->last < b->last ? -1 : 1;
    if (!c)
        c = strcmp(a->m->number, b->m->number);
    return c;
}

/* "180d" (days before today) or a date. */
static int parse_since(const char *in, uint32_t today, uint32_t *cutoff, uint32_t *days)
{
    size_t n = strlen(in);
    if (n >= 2 && n <= 6 && (in[n - 1] == 'd' || in[n - 1] == 'D') &&
        strspn(in, "0123456789") == n - 1) {
        unsigned long d = strtoul(in, NULL, 10);
        if (d == 0 || d > 36500)
            return cli_errorf("--since %s: give 1 to 36500 days", in);
        *days = (uint32_t)d;
        *cutoff = today > d ? today - (uint32_t)d : 0;
        return SD_OK;
    }
    if (cli_org_day("--since", in, cutoff))
        return CLI_EXIT_FAIL;
    *days = *cutoff < today ? today - *cutoff : 0;
    return SD_OK;
}

int cmd_inactive(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "since", required_argument, 0, 'S' }, { "state", required_argument, 0, 's' },
        { "district", required_argument, 0, 'd' }, { "format", required_argument, 0, 'f' },
        { "help", no_argument, 0, 'h' }, { "all-states", no_argument, 0, 'A' },
        { 0, 0, 0, 0 },
    };
    const char *since = NULL, *state = NULL, *format = "table";
    int all_states = 0;
    scan_ctx x;
    memset(&x, 0, sizeof x);
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'S': since = optarg; break;
        case 's': state = optarg; break;
        case 'A': all_states = 1; break;
        case 'd': x.district = optarg; break;
        case 'f': format = optarg; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("inactive", argv);
        }
    }
    if (cli_opt_rest("inactive", argc, argv))
        return CLI_EXIT_USAGE;
    int csv = !strcmp(format, "csv");
    if (!csv && strcmp(format, "table"))
        return cli_usagef("inactive", "--format %s: not table or csv", format);
    if (cli_state_arg(state))
        return CLI_EXIT_FAIL;
    uint32_t today = day_today(), days = 0;
    if (since && parse_since(since, today, &x.cutoff, &days))
        return CLI_EXIT_FAIL;

    store *s;
    store_txn *txn;
    sd_err err;
    if (cli_read(c, &s, &txn, &err))
        return CLI_EXIT_FAIL;
    uint32_t rule = roster_inactive_days(s, txn);
    if (!since) {
        days = rule;
        x.cutoff = today > rule ? today - rule : 0;
    }
    char own[STORE_STATE_BYTES];
    int rc = cli_list_state(s, txn, state, all_states, own, &state, &err);
    if (!rc)
        rc = view_members_each(s, txn, state, scan, &x, &err);
    if (rc == SD_ENOMEM && !err.msg[0])
        sd_errf(&err, SD_ENOMEM, "out of memory");
    if (!rc && x.n)
        qsort(x.rows, x.n, sizeof *x.rows, row_cmp);

    char cut[DAY_STR_LEN];
    day_format(x.cutoff, cut);
    cJSON *arr = NULL;
    cli_table *t = NULL;
    static const char *const heads[] = { "NUMBER", "NAME", "PHONE", "STATE", "DISTRICT",
                                         "STATUS", "LAST ACTIVITY", "DAYS" };
    static const char *const csv_heads[] = { "number", "name", "name_en", "phone", "state",
                                             "district", "status", "last_activity",
                                             "days_silent" };
    if (!rc && c->json)
        arr = cJSON_CreateArray();
    else if (!rc && csv)
        csvio_write_row(stdout, csv_heads, sizeof csv_heads / sizeof csv_heads[0], NULL);
    else if (!rc)
        t = cli_table_new(8, heads);
    size_t marked = 0;
    for (size_t i = 0; i < x.n && !rc; i++) {
        const Sadasya__MemberView *m = x.rows[i].m;
        Sadasya__Personal *p = cli_org_personal(s, txn, m);
        char last[DAY_STR_LEN], silent[24];
        day_format(x.rows[i].last, last);
        cli_org_u64(today > x.rows[i].last ? today - x.rows[i].last : 0, silent);
        const char *st = view_status_name(m->status);
        marked += m->status == SADASYA__STATUS__INACTIVE;
        if (arr) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "number", m->number);
            cli_org_contact_json(j, p);
            cJSON_AddStringToObject(j, "state", m->state);
            cJSON_AddStringToObject(j, "district", m->district);
            cJSON_AddStringToObject(j, "status", st);
            cJSON_AddStringToObject(j, "last_activity", last);
            cJSON_AddNumberToObject(j, "days_silent", (double)(today > x.rows[i].last
                                                                   ? today - x.rows[i].last : 0));
            cJSON_AddItemToArray(arr, j);
        } else if (csv) {
            const char *cells[] = { m->number, p ? p->name : "", p ? p->name_en : "",
                                    p ? p->phone : "", m->state, m->district, st, last,
                                    silent };
            csvio_write_row(stdout, cells, sizeof cells / sizeof cells[0], NULL);
        } else {
            const char *cells[] = { m->number, p ? p->name : "(not held)", p ? p->phone : "",
                                    m->state, m->district, st, last, silent };
            cli_table_add(t, cells);
        }
        if (p)
            sadasya__personal__free_unpacked(p, NULL);
    }
    cli_read_end(&s, &txn);
    for (size_t i = 0; i < x.n; i++)
        sadasya__member_view__free_unpacked(x.rows[i].m, NULL);
    free(x.rows);
    if (rc) {
        cli_table_destroy(&t);
        return cli_error(&err);
    }
    if (arr) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "cutoff", cut);
        cJSON_AddNumberToObject(j, "since_days", days);
        cJSON_AddNumberToObject(j, "rule_days", rule);
        cJSON_AddNumberToObject(j, "count", (double)x.n);
        cJSON_AddNumberToObject(j, "marked_inactive", (double)marked);
        cJSON_AddItemToObject(j, "members", arr);
        cli_json_print(j);
    } else if (t) {
        if (x.n)
            cli_table_print(t, stdout);
        printf("%zu member%s to call: %zu marked inactive, %zu silent since before %s\n",
               x.n, x.n == 1 ? "" : "s", marked, x.n - marked, cut);
        cli_table_destroy(&t);
    }
    return CLI_EXIT_OK;
}
