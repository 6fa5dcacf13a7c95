/*
 * cmd_export.c — `sadasya export [--format csv|jsonl] [--state CODE]`:
 * every member of the merged view. The CSV's columns carry the import
 * names, so an export can be read back by `import` elsewhere; cells a
 * spreadsheet could take for a formula are guarded (csvio.h), and import
 * takes the guard off.
 */
#include <getopt.h>
#include <string.h>

#include "cmds.h"
#include "csvio.h"
#include "day.h"
#include "number.h"

static const char usage[] =
    "usage: sadasya [--data DIR] export [--format csv|jsonl] [--state CODE]\n"
    "\n"
    "Every member (of CODE only, if given) in number order: CSV with a header\n"
    "row (the default), or JSON Lines (also with --json).\n";

static const char *const columns[] = {
    "number", "state", "name", "name-en", "gender", "phone", "email",
    "guardian", "birth-year", "address", "district", "area", "occupation",
    "interest", "fee-paise", "payment-ref", "referred-by", "joined", "status",
    "status-reason", "origin", "seq",
};
#define NCOLS (sizeof columns / sizeof columns[0])

typedef struct export_ctx {
    store *s;
    store_txn *txn;
    int jsonl;
    size_t n;
} export_ctx;

static int export_one(const Sadasya__MemberView *m, void *ctx)
{
    export_ctx *x = ctx;
    Sadasya__Personal *p = NULL;
    view_personal_get(x->s, x->txn, m, &p, NULL);
    x->n++;
    if (x->jsonl) {
        cli_json_print(cli_member_json(m, p));
    } else {
        char by[16] = "", fee[24], day[DAY_STR_LEN], hex[65] = "", seq[24];
        char ints[1024] = "";
        if (p && p->birth_year)
            snprintf(by, sizeof by, "%u", p->birth_year);
        snprintf(fee, sizeof fee, "%llu", (unsigned long long)m->fee_paise);
        snprintf(seq, sizeof seq, "%llu", (unsigned long long)m->seq);
        day_format(m->joined_day, day);
        if (m->origin.len == 32)
            cli_hex32(m->origin.data, hex);
        for (size_t i = 0; i < m->n_interests; i++) {
            size_t n = strlen(ints);
            snprintf(ints + n, sizeof ints - n, "%s%s", i ? ";" : "", m->interests[i]);
        }
        const char *v[NCOLS] = {
            m->number, m->state, p ? p->name : NULL, p ? p->name_en : NULL,
            view_gender_name(m->gender), p ? p->phone : NULL, p ? p->email : NULL,
            p ? p->guardian : NULL, by, p ? p->address : NULL, m->district,
            m->area ? view_area_name(m->area) : "", m->occupation, ints, fee,
            m->payment_ref, m->referred_by, day, view_status_name(m->status),
            m->status_reason, hex, seq,
        };
        csvio_write_row(stdout, v, NCOLS, NULL);
    }
    if (p)
        sadasya__personal__free_unpacked(p, NULL);
    return ferror(stdout) ? SD_EIO : 0;
}

int cmd_export(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, 0, 'f' }, { "state", required_argument, 0, 's' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *state = NULL;
    int jsonl = c->json;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'f':
            if (!strcmp(optarg, "jsonl"))
                jsonl = 1;
            else if (!strcmp(optarg, "csv"))
                jsonl = 0;
            else
                return cli_usagef("export", "--format %s: not csv or jsonl", optarg);
            break;
        case 's':
            if (!number_state_valid(optarg))
                return cli_errorf("state code \"%s\" is not 2-3 capital letters", optarg);
            state = optarg;
            break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_usagef("export", "unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usagef("export", "unexpected argument %s", argv[optind]);
    store *s;
    if (cli_open(c, STORE_RDONLY, &s))
        return CLI_EXIT_FAIL;
    sd_err err;
    sd_err_clear(&err);
    export_ctx x = { s, NULL, jsonl, 0 };
    int rc = store_begin(s, 0, &x.txn, &err);
    if (!rc) {
        if (!jsonl)
            csvio_write_row(stdout, columns, NCOLS, NULL);
        rc = view_members_each(s, x.txn, state, export_one, &x, &err);
        if (rc == SD_EIO && !err.msg[0])
            sd_errf(&err, SD_EIO, "writing the export failed");
        store_end(x.txn);
    }
    store_destroy(&s);
    if (!rc && fflush(stdout) != 0)
        rc = sd_errf(&err, SD_EIO, "writing the export failed");
    return rc ? cli_error(&err) : CLI_EXIT_OK;
}
