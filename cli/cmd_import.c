/*
 * cmd_import.c — `sadasya import FILE.csv`: members from a spreadsheet.
 *
 * The flags, the printing and the exit codes. What an import does (two
 * passes, all or nothing, the sign/commit pipeline, resuming after an
 * interruption) is node/import.h's.
 */
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "import.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] import FILE.csv [--skip-bad] "
    "[--ignore-unknown]\n"
    "         [--allow-duplicate] [--batch N]\n"
    "\n"
    "Registers a member of this node's state for each row of FILE.csv: CSV in\n"
    "UTF-8 (with or without a BOM, as Excel's \"CSV UTF-8\"), or Excel's\n"
    "\"Unicode Text\" (UTF-16, tab-separated). The first row names the\n"
    "columns, as the register flags do or in English or Hindi:\n"
    "  name (Full Name, नाम), gender (Sex, लिंग), phone (Mobile No, मोबाइल,\n"
    "  फ़ोन), district (जिला) are required; name-en, guardian, birth-year,\n"
    "  email, address, area, occupation, interest (tags separated by ';' or\n"
    "  '|'), fee-paise, payment-ref, referred-by, joined (Date of joining).\n"
    "  Case, spaces, dots, '-' and '_' do not matter. Dates are day first:\n"
    "  DD/MM/YYYY, DD-MM-YYYY, YYYY-MM-DD or 15 Oct 2026. Gender may be F,\n"
    "  M, Female, महिला, पुरुष, अन्य, ...\n"
    "\n"
    "A row whose phone and name are a member of this state already is not\n"
    "registered again (\"already registered\", with the number). A file from\n"
    "`export` imports back as a no-op: its number column names the member,\n"
    "and a row that changes one updates those fields (signed MemberUpdated\n"
    "and MemberStatus entries; gender, joining date, fee and payment\n"
    "reference cannot change, and referred-by is never re-pointed).\n"
    "A new row that is a likely duplicate, as `register` judges (a member of\n"
    "this state with the same phone, or the same name and guardian or birth\n"
    "year), or that has the phone of an earlier new row of the file, is a\n"
    "bad row naming the member or line; a referrer must be a member held\n"
    "here.\n"
    "All rows or none: a bad row is reported by its line number and nothing\n"
    "is imported.\n"
    "  --skip-bad        import the good rows; report the bad ones, skip them\n"
    "  --ignore-unknown  ignore columns not known (listed) instead of refusing\n"
    "  --allow-duplicate register likely duplicates too\n"
    "  --batch N         rows signed and written per transaction (default\n"
    "                    10000)\n"
    "\n"
    "An interrupted import resumes where it stopped when run again on the\n"
    "same file; a file already imported adds nothing. Progress is shown on\n"
    "stderr when it is a terminal; a summary is printed at the end.\n";

/* Prints bad rows as errors, or as warnings when they were skipped. */
static void bad_print(const import_bad *b, const char *path, int skipped)
{
    const char *kind = skipped ? "warning" : "error";
    for (size_t i = 0; i < b->kept; i++)
        fprintf(stderr, "sadasya: %s: %s:%lu: %s%s\n", kind, path, b->line[i],
                b->why[i], skipped ? " (skipped)" : "");
    if (b->n > b->kept)
        fprintf(stderr, "sadasya: %s: %s: … and %" PRIu64 " more bad rows%s\n",
                kind, path, b->n - b->kept, skipped ? " (skipped)" : "");
}

/* Progress on stderr when it is a terminal: "checking pct%", then
 * "importing done/total rows (pct%), rate rows/s". */
typedef struct progress_line {
    int drawn;
} progress_line;

static void progress_draw(int phase, uint64_t done, uint64_t total,
                          double per_sec, int last, void *ctx)
{
    progress_line *pl = ctx;
    unsigned pct = total ? (unsigned)(done * 100 / total) : 100;
    if (phase == IMPORT_CHECKING) {
        if (last && !pl->drawn)
            return; /* a quick check shows nothing */
        fprintf(stderr, "\rchecking %u%%  ", pct);
    } else {
        fprintf(stderr, "\rimporting %" PRIu64 "/%" PRIu64 " rows (%u%%), "
                "%.0f rows/s  ", done, total, pct, per_sec);
    }
    pl->drawn = !last;
    if (last)
        fputc('\n', stderr);
    fflush(stderr);
}

static void summary_print(const cli *c, const import_result *s)
{
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "imported", (double)s->imported);
        cJSON_AddNumberToObject(j, "skipped_bad", (double)s->skipped.n);
        cJSON_AddNumberToObject(j, "already", (double)s->already);
        cJSON_AddNumberToObject(j, "registered", (double)s->registered);
        cJSON_AddNumberToObject(j, "updated", (double)s->updated);
        if (s->imported) {
            cJSON_AddStringToObject(j, "first", s->first);
            cJSON_AddStringToObject(j, "last", s->last);
        } else {
            cJSON_AddNullToObject(j, "first");
            cJSON_AddNullToObject(j, "last");
        }
        cJSON_AddNumberToObject(j, "rows", (double)s->rows);
        cli_json_print(j);
        return;
    }
    if (s->plain_signing)
        fputs("sadasya: note: signing one entry at a time (no signing "
              "threads could be started): slower, the same result\n", stderr);
    printf("imported %" PRIu64 " member%s", s->imported,
           s->imported == 1 ? "" : "s");
    if (s->imported == 1)
        printf(" (%s)", s->first);
    else if (s->imported)
        printf(" (%s .. %s)", s->first, s->last);
    if (s->skipped.n)
        printf("; skipped %" PRIu64 " bad row%s", s->skipped.n,
               s->skipped.n == 1 ? "" : "s");
    if (s->updated)
        printf("; updated %" PRIu64 " member%s", s->updated,
               s->updated == 1 ? "" : "s");
    if (s->registered)
        printf("; %" PRIu64 " row%s already registered", s->registered,
               s->registered == 1 ? "" : "s");
    if (s->already)
        printf("; %" PRIu64 " row%s imported earlier", s->already,
               s->already == 1 ? "" : "s");
    putchar('\n');
}

/* The members corrected, by line, with the fields changed; then the rows
 * found registered already, with their numbers. */
static void registered_print(const cli *c, const import_result *res,
                             const import_plan *plan, const char *path)
{
    if (c->json)
        return;
    for (size_t i = 0; res->updated && i < plan->nedits; i++)
        printf("  %s:%lu: updated %s: %s\n", path, plan->edits[i].line,
               plan->edits[i].ed.number, plan->edits[i].ed.changed);
    const import_bad *b = &plan->registered;
    if (!res->registered)
        return;
    for (size_t i = 0; i < b->kept; i++)
        printf("  %s:%lu: already registered as %s\n", path, b->line[i],
               b->why[i]);
    if (b->n > b->kept)
        printf("  … and %" PRIu64 " more\n", b->n - b->kept);
}

/* A file whose every row is done: says so. */
static void already_print(const cli *c, const char *path,
                          const import_result *res)
{
    if (c->json)
        summary_print(c, res);
    else
        printf("%s was already imported (%" PRIu64 " row%s); nothing to do\n",
               path, res->rows, res->rows == 1 ? "" : "s");
}

/* A failed pass 2: the error, then what landed before it. */
static int commit_failed(int rc, const sd_err *err, const import_result *res)
{
    if (rc == SD_EFULL)
        cli_errorf("out of space for the next batch: %s", err->msg);
    else
        cli_error(err);
    if (res->imported)
        fprintf(stderr, "sadasya: error: %" PRIu64 " members (%s .. %s) "
                "imported before that are kept; %srun the same import again "
                "to resume\n", res->imported, res->first, res->last,
                rc == SD_EFULL ? "free space (or raise SADASYA_MAP_MAX_MB) "
                                 "and " : "");
    else
        fprintf(stderr, "sadasya: error: nothing was imported\n");
    return CLI_EXIT_FAIL;
}

/* Both passes over f, with s open. */
static int import_file(cli *c, store *s, FILE *f, const import_opts *o)
{
    sd_err err;
    sd_err_clear(&err);
    import_plan *plan = malloc(sizeof *plan);
    import_result *res = calloc(1, sizeof *res);
    if (!plan || !res) {
        free(plan);
        free(res);
        return cli_errorf("out of memory");
    }
    int ret = CLI_EXIT_OK;
    int rc = import_check(f, o, plan, &err);
    if (plan->ignored[0])
        fprintf(stderr, "sadasya: note: %s: columns ignored: %s\n", o->name,
                plan->ignored);
    if (!rc)
        rc = import_done_rows(s, plan, &res->already, &err);
    res->rows = plan->rows;
    if (rc) {
        ret = cli_error(&err);
    } else if (res->already >= plan->rows && plan->rows) {
        already_print(c, o->name, res);
    } else if (!plan->rows) {
        summary_print(c, res);
    } else if (plan->bad.n && !o->skip_bad) {
        bad_print(&plan->bad, o->name, 0);
        ret = cli_errorf("%s: %" PRIu64 " bad row%s of %" PRIu64 "; nothing "
                         "imported (--skip-bad imports the good rows)",
                         o->name, plan->bad.n, plan->bad.n == 1 ? "" : "s",
                         plan->rows);
    } else {
        writer *w = NULL;
        if ((rc = writer_open(&w, s, &err))) {
            ret = cli_error(&err);
        } else {
            rc = import_commit(w, f, plan, o, res, &err);
            writer_destroy(&w);
            if (o->skip_bad)
                bad_print(&res->skipped, o->name, 1);
            if (rc)
                ret = commit_failed(rc, &err, res);
            else if (res->already >= plan->rows)
                already_print(c, o->name, res);
            else {
                summary_print(c, res);
                registered_print(c, res, plan, o->name);
            }
        }
    }
    import_plan_release(plan);
    free(plan);
    free(res);
    return ret;
}

int cmd_import(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "skip-bad", no_argument, 0, 's' },
        { "ignore-unknown", no_argument, 0, 'u' },
        { "allow-duplicate", no_argument, 0, 'D' },
        { "batch", required_argument, 0, 'b' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int skip_bad = 0, ignore_unknown = 0, allow_duplicate = 0;
    size_t batch_size = IMPORT_BATCH_DEFAULT;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (o) {
        case 's': skip_bad = 1; break;
        case 'u': ignore_unknown = 1; break;
        case 'D': allow_duplicate = 1; break;
        case 'b': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-' || v < 1 ||
                v > IMPORT_BATCH_MAX)
                return cli_usagef("import", "--batch wants a number of rows "
                                  "from 1 to %d, not \"%s\"", IMPORT_BATCH_MAX,
                                  optarg);
            batch_size = (size_t)v;
            break;
        }
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        case ':':
            return cli_usagef("import", "%s needs a value", argv[optind - 1]);
        default:
            return cli_usagef("import", "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usagef("import", "which CSV file?");
    if (optind + 1 < argc)
        return cli_usagef("import", "unexpected argument %s", argv[optind + 1]);
    const char *path = argv[optind];

    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_errorf("cannot open %s: %s", path, strerror(errno));
    store *s;
    if (cli_open(c, 0, &s)) {
        fclose(f);
        return CLI_EXIT_FAIL;
    }
    progress_line line = { 0 };
    import_opts io = { path, batch_size, skip_bad, ignore_unknown, s, NULL,
                       &line, allow_duplicate };
    if (isatty(STDERR_FILENO))
        io.progress = progress_draw;
    int ret = import_file(c, s, f, &io);
    store_destroy(&s);
    fclose(f);
    return ret;
}
