/*
 * cmd_stats.c — `sadasya stats [--by DIM]`: national totals from the
 * counters (constant time in the number of members).
 */
#include <getopt.h>
#include <string.h>

#include "cmds.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] stats\n"
    "         [--by state|district|gender|status|area|month]\n"
    "\n"
    "Members, by status, and fees in rupees, per value of the dimension\n"
    "(state by default), with the national total.\n";

static const char *const dims[] = { "state", "district", "gender", "status",
                                    "area", "month" };

typedef struct stats_ctx {
    cJSON *rows;
    cli_table *t;
    store *s;
    store_txn *txn;  /* set when --by state: REACTIVATED from the counters */
    uint64_t reactivated; /* the national total */
} stats_ctx;

/* Members brought back from inactive in a state (the "reactivated"
 * counters: a status change to active, or attending an event). */
static uint64_t reactivated(stats_ctx *x, const char *state)
{
    counter_row r;
    if (!x->txn || view_counter_get(x->s, x->txn, "reactivated", state, &r, NULL))
        return 0;
    return r.members;
}

static void row_cells(const char *key, const counter_row *r, uint64_t re,
                      cli_table *t)
{
    char m[24], a[24], i[24], rs[24], d[24], fee[32], rc[24];
    snprintf(m, sizeof m, "%llu", (unsigned long long)r->members);
    snprintf(a, sizeof a, "%llu", (unsigned long long)r->active);
    snprintf(i, sizeof i, "%llu", (unsigned long long)r->inactive);
    snprintf(rs, sizeof rs, "%llu", (unsigned long long)r->resigned);
    snprintf(d, sizeof d, "%llu", (unsigned long long)r->deceased);
    cli_rupees(r->fee_paise, fee);
    snprintf(rc, sizeof rc, "%llu", (unsigned long long)re);
    const char *cells[] = { key, m, a, i, rs, d, fee, rc };
    cli_table_add(t, cells);
}

static int stats_row(const char *value, const counter_row *r, void *ctx)
{
    stats_ctx *x = ctx;
    uint64_t re = reactivated(x, value);
    x->reactivated += re;
    if (x->rows) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "key", value);
        cli_counter_json(o, r);
        if (x->txn)
            cJSON_AddNumberToObject(o, "reactivated", (double)re);
        cJSON_AddItemToArray(x->rows, o);
    } else {
        row_cells(value, r, re, x->t);
    }
    return 0;
}

int cmd_stats(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "by", required_argument, 0, 'b' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *dim = "state";
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'b': dim = optarg; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("stats", argv);
        }
    }
    if (cli_opt_rest("stats", argc, argv))
        return CLI_EXIT_USAGE;
    int known = 0;
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        known |= !strcmp(dim, dims[i]);
    if (!known)
        return cli_usagef("stats", "--by %s: not one of state, district, gender, "
                          "status, area, month", dim);
    store *s;
    store_txn *txn;
    sd_err err;
    int rc = cli_read(c, &s, &txn, &err);
    if (rc)
        return rc;
    counter_row total;
    stats_ctx x = { NULL, NULL, s, NULL, 0 };
    int by_state = !strcmp(dim, "state");
    static const char *const heads[] = { "", "MEMBERS", "ACTIVE", "INACTIVE",
                                         "RESIGNED", "DECEASED", "FEES (Rs)",
                                         "REACTIVATED" };
    const char *h0[8];
    memcpy(h0, heads, sizeof h0);
    char up[16];
    size_t k = 0;
    for (; dim[k] && k + 1 < sizeof up; k++)
        up[k] = (char)(dim[k] >= 'a' && dim[k] <= 'z' ? dim[k] - 32 : dim[k]);
    up[k] = '\0';
    h0[0] = up;
    if (c->json)
        x.rows = cJSON_CreateArray();
    else
        x.t = cli_table_new(by_state ? 8 : 7, h0);
    if (by_state)
        x.txn = txn;
    rc = view_counter_get(s, txn, "total", "", &total, &err);
    if (!rc)
        rc = view_counter_each(s, txn, dim, stats_row, &x, &err);
    cli_read_end(&s, &txn);
    if (!rc) {
        if (c->json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "dimension", dim);
            cJSON_AddNumberToObject(j, "total", (double)total.members);
            cJSON_AddNumberToObject(j, "active", (double)total.active);
            cJSON_AddNumberToObject(j, "inactive", (double)total.inactive);
            cJSON_AddNumberToObject(j, "fee_paise", (double)total.fee_paise);
            if (by_state)
                cJSON_AddNumberToObject(j, "reactivated", (double)x.reactivated);
            cJSON_AddItemToObject(j, "rows", x.rows);
            x.rows = NULL;
            cli_json_print(j);
        } else {
            row_cells("TOTAL", &total, x.reactivated, x.t);
            cli_table_print(x.t, stdout);
        }
    }
    cJSON_Delete(x.rows);
    cli_table_destroy(&x.t);
    return rc ? cli_error(&err) : CLI_EXIT_OK;
}
