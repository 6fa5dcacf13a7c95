/*
 * cmd_export.c — `sadasya export [--format csv|jsonl|xlsx] [--state CODE]
 * [--out FILE] [--bom]`: every member of the merged view. The CSV's and
 * the workbook's columns carry the import names, so an export can be read
 * back by `import` (here a no-op, elsewhere new members); cells a
 * spreadsheet could take for a formula are guarded in CSV (csvio.h, and
 * import takes the guard off) and are plain text cells in a workbook, as
 * are phones and numbers, so that a spreadsheet keeps their digits.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include <xlsxwriter.h>

#include "cmds.h"
#include "csvio.h"
#include "day.h"
#include "number.h"

static const char usage[] =
    "usage: sadasya [--data DIR] export [--format csv|jsonl|xlsx] "
    "[--state CODE]\n"
    "                               [--out FILE] [--bom]\n"
    "\n"
    "Every member (of CODE only, if given) in number order: CSV with a header\n"
    "row (the default), JSON Lines (also with --json), or an Excel workbook\n"
    "(xlsx, which needs --out). Written to stdout, or to FILE with --out.\n"
    "  --bom   start the CSV with a UTF-8 byte order mark, so that Excel\n"
    "          shows Devanagari when the file is opened with a double click\n";

static const char *const columns[] = {
    "number", "state", "name", "name-en", "gender", "phone", "email",
    "guardian", "birth-year", "address", "district", "area", "occupation",
    "interest", "fee-paise", "payment-ref", "referred-by", "joined", "status",
    "status-reason", "origin", "seq",
};
#define NCOLS (sizeof columns / sizeof columns[0])

/* Widths of the workbook's columns, in characters. */
static const double widths[NCOLS] = {
    14, 6, 28, 24, 8, 16, 24, 24, 10, 32, 16, 8, 16, 20, 10, 14, 14, 12, 10,
    16, 12, 8,
};

enum { FMT_CSV, FMT_JSONL, FMT_XLSX };

typedef struct export_ctx {
    store *s;
    store_txn *txn;
    int format;
    FILE *out;                /* csv and jsonl */
    lxw_worksheet *sheet;     /* xlsx */
    lxw_row_t row;
    size_t n;
} export_ctx;

/* A row of the workbook: every cell a string. */
static int sheet_row(export_ctx *x, const char *const *v)
{
    for (size_t i = 0; i < NCOLS; i++) {
        if (!v[i] || !*v[i])
            continue;
        if (worksheet_write_string(x->sheet, x->row, (lxw_col_t)i, v[i],
                                   NULL) != LXW_NO_ERROR)
            return SD_EIO;
    }
    x->row++;
    return 0;
}

static int export_one(const Sadasya__MemberView *m, void *ctx)
{
    export_ctx *x = ctx;
    Sadasya__Personal *p = NULL;
    view_personal_get(x->s, x->txn, m, &p, NULL);
    x->n++;
    int rc = 0;
    if (x->format == FMT_JSONL) {
        cJSON *j = cli_member_json(m, p);
        char *txt = cJSON_PrintUnformatted(j);
        if (txt)
            fprintf(x->out, "%s\n", txt);
        free(txt);
        cJSON_Delete(j);
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
        if (x->format == FMT_XLSX)
            rc = sheet_row(x, v);
        else
            csvio_write_row(x->out, v, NCOLS, NULL);
    }
    if (p)
        sadasya__personal__free_unpacked(p, NULL);
    return rc ? rc : x->out && ferror(x->out) ? SD_EIO : 0;
}

/* The workbook: a bold header row kept in view, column widths, the rows. */
static int export_xlsx(export_ctx *x, const char *path, const char *state,
                       sd_err *err)
{
    lxw_workbook *wb = workbook_new(path);
    if (!wb)
        return sd_errf(err, SD_EIO, "cannot write %s", path);
    x->sheet = workbook_add_worksheet(wb, "members");
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);
    for (size_t i = 0; i < NCOLS; i++) {
        worksheet_write_string(x->sheet, 0, (lxw_col_t)i, columns[i], bold);
        worksheet_set_column(x->sheet, (lxw_col_t)i, (lxw_col_t)i, widths[i],
                             NULL);
    }
    worksheet_freeze_panes(x->sheet, 1, 0);
    x->row = 1;
    int rc = view_members_each(x->s, x->txn, state, export_one, x, err);
    if (rc == SD_EIO && !err->msg[0])
        sd_errf(err, SD_EIO, "writing %s failed", path);
    lxw_error e = workbook_close(wb);
    if (!rc && e != LXW_NO_ERROR)
        rc = sd_errf(err, SD_EIO, "writing %s: %s", path, lxw_strerror(e));
    return rc;
}

int cmd_export(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, 0, 'f' }, { "state", required_argument, 0, 's' },
        { "out", required_argument, 0, 'o' }, { "bom", no_argument, 0, 'b' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *state = NULL, *path = NULL;
    int format = c->json ? FMT_JSONL : FMT_CSV, bom = 0;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'f':
            if (!strcmp(optarg, "jsonl"))
                format = FMT_JSONL;
            else if (!strcmp(optarg, "csv"))
                format = FMT_CSV;
            else if (!strcmp(optarg, "xlsx"))
                format = FMT_XLSX;
            else
                return cli_usagef("export", "--format %s: not csv, jsonl or xlsx", optarg);
            break;
        case 's':
            if (!number_state_valid(optarg))
                return cli_errorf("state code \"%s\" is not 2-3 capital letters", optarg);
            state = optarg;
            break;
        case 'o': path = optarg; break;
        case 'b': bom = 1; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_usagef("export", "unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usagef("export", "unexpected argument %s", argv[optind]);
    if (format == FMT_XLSX && !path)
        return cli_usagef("export", "--format xlsx writes a file: give --out FILE");
    if (bom && format != FMT_CSV)
        return cli_usagef("export", "--bom is for CSV");
    store *s;
    if (cli_open(c, STORE_RDONLY, &s))
        return CLI_EXIT_FAIL;
    sd_err err;
    sd_err_clear(&err);
    export_ctx x = { s, NULL, format, stdout, NULL, 0, 0 };
    if (path && format != FMT_XLSX && !(x.out = fopen(path, "wb"))) {
        store_destroy(&s);
        return cli_errorf("cannot write %s: %s", path, strerror(errno));
    }
    if (format == FMT_XLSX)
        x.out = NULL;
    int rc = store_begin(s, 0, &x.txn, &err);
    if (!rc) {
        if (format == FMT_XLSX) {
            rc = export_xlsx(&x, path, state, &err);
        } else {
            if (bom)
                fputs("\xef\xbb\xbf", x.out);
            if (format == FMT_CSV)
                csvio_write_row(x.out, columns, NCOLS, NULL);
            rc = view_members_each(s, x.txn, state, export_one, &x, &err);
            if (rc == SD_EIO && !err.msg[0])
                sd_errf(&err, SD_EIO, "writing the export failed");
        }
        store_end(x.txn);
    }
    store_destroy(&s);
    if (x.out && fflush(x.out) != 0 && !rc)
        rc = sd_errf(&err, SD_EIO, "writing the export failed");
    if (x.out && x.out != stdout && fclose(x.out) != 0 && !rc)
        rc = sd_errf(&err, SD_EIO, "writing %s failed", path);
    return rc ? cli_error(&err) : CLI_EXIT_OK;
}
