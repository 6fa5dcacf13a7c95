/*
 * cmd_verify.c — `sadasya verify [--state CODE]`: the auditor's re-check
 * (node/README.md). Exit 0 when everything holds, 1 when anything fails,
 * each failure on its own line.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "number.h"
#include "verify.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] verify [--state CODE]\n"
    "         [--scratch DIR] [--threads N]\n"
    "\n"
    "Re-checks every entry from the raw log: signatures, hash chains, roster\n"
    "authorisation, gapless numbers and check digits, personal data against\n"
    "its signed hashes, equivocation evidence; then folds the logs afresh\n"
    "(in a scratch store under DIR, default $TMPDIR) and compares members,\n"
    "indexes and counters (fee sums included) with the stored view. Works on\n"
    "a read-only copy of another node's data directory. Exit 1 on any failure.\n";

typedef struct report_ctx {
    cJSON *fails, *warns;
} report_ctx;

static void report(int warning, const char *line, void *ctx)
{
    report_ctx *r = ctx;
    if (r->fails)
        cJSON_AddItemToArray(warning ? r->warns : r->fails, cJSON_CreateString(line));
    else
        printf("%s%s\n", warning ? "warning: " : "FAIL: ", line);
}

int cmd_verify(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state", required_argument, 0, 's' }, { "scratch", required_argument, 0, 'S' },
        { "threads", required_argument, 0, 't' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    report_ctx rc_ = { NULL, NULL };
    verify_opts vo = { NULL, NULL, 0, report, &rc_ };
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            if (cli_state_arg(optarg))
                return CLI_EXIT_FAIL;
            vo.state = optarg;
            break;
        case 'S': vo.scratch_dir = optarg; break;
        case 't': vo.threads = atoi(optarg); break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("verify", argv);
        }
    }
    if (cli_opt_rest("verify", argc, argv))
        return CLI_EXIT_USAGE;
    store *s;
    if (cli_open(c, STORE_RDONLY, &s))
        return CLI_EXIT_FAIL;
    if (c->json) {
        rc_.fails = cJSON_CreateArray();
        rc_.warns = cJSON_CreateArray();
    }
    sd_err err;
    sd_err_clear(&err);
    verify_result r;
    int rc = verify_run(s, &vo, &r, &err);
    store_destroy(&s);
    if (rc) {
        cJSON_Delete(rc_.fails);
        cJSON_Delete(rc_.warns);
        return cli_error(&err);
    }
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddBoolToObject(j, "ok", r.failures == 0);
        cJSON_AddNumberToObject(j, "entries", (double)r.entries);
        cJSON_AddNumberToObject(j, "signatures", (double)r.signatures);
        cJSON_AddNumberToObject(j, "origins", (double)r.origins);
        cJSON_AddNumberToObject(j, "members", (double)r.members);
        cJSON_AddNumberToObject(j, "personal_checked", (double)r.personal_checked);
        cJSON_AddNumberToObject(j, "personal_missing", (double)r.personal_missing);
        cJSON_AddItemToObject(j, "failures", rc_.fails);
        cJSON_AddItemToObject(j, "warnings", rc_.warns);
        cli_json_print(j);
    } else {
        printf("%s: %llu entries from %llu origins, %llu signatures checked, "
               "%llu members, %llu personal blobs checked (%llu not held); "
               "%llu failures, %llu warnings\n",
               r.failures ? "FAILED" : "ok", (unsigned long long)r.entries,
               (unsigned long long)r.origins, (unsigned long long)r.signatures,
               (unsigned long long)r.members, (unsigned long long)r.personal_checked,
               (unsigned long long)r.personal_missing, (unsigned long long)r.failures,
               (unsigned long long)r.warnings);
    }
    return r.failures ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
