/*
 * cmd_rules.c — `sadasya rules [--inactive-after DAYS]`: the federation's
 * rules. Setting one is the national office's: a signed RosterUpdate with
 * the new value, carried to every node like the rest of the roster.
 * (Today the one rule is how long a member may be silent before the
 * calling list, `sadasya inactive`, counts them inactive.)
 */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "org_cli.h"
#include "roster.h"

#define RULES_INACTIVE_MAX 3650 /* days: ten years */

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] rules [--inactive-after DAYS]\n"
    "\n"
    "Shows the federation's rules, or (national office's node only) sets\n"
    "one; the change reaches every node like a roster change.\n"
    "  --inactive-after DAYS  a member with no activity for DAYS days is on\n"
    "                         the calling list (sadasya inactive); 180 until set\n";

static int rules_write(cli_org_tx *t, void *ctx, sd_err *err)
{
    if (!t->w->national)
        return sd_errf(err, SD_EAUTH, "only the national office's node sets the "
                       "federation's rules (this node writes for %s)", t->w->state);
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_ROSTER;
    e.roster = ctx;
    return cli_org_sign(t, &e, err);
}

int cmd_rules(cli *c, int argc, char **argv)
{
    const char *days_s = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        } else if (!strcmp(argv[i], "--inactive-after") && i + 1 < argc) {
            days_s = argv[++i];
        } else if (!strncmp(argv[i], "--inactive-after=", 17)) {
            days_s = argv[i] + 17;
        } else {
            return cli_usagef("rules", "unexpected argument %s", argv[i]);
        }
    }
    if (days_s) {
        char *end;
        unsigned long d = strtoul(days_s, &end, 10);
        if (!*days_s || *end || d < 1 || d > RULES_INACTIVE_MAX)
            return cli_errorf("--inactive-after %s: give 1 to %d days", days_s,
                              RULES_INACTIVE_MAX);
        Sadasya__RosterUpdate ru = SADASYA__ROSTER_UPDATE__INIT;
        ru.inactive_after_days = (uint32_t)d;
        int rc = cli_org_write(c, rules_write, &ru);
        if (rc)
            return rc;
    }
    store *s;
    store_txn *txn;
    sd_err err;
    if (cli_org_read(c, &s, &txn, &err))
        return CLI_EXIT_FAIL;
    uint32_t days = roster_inactive_days(s, txn);
    cli_org_read_end(&s, &txn);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "inactive_after_days", days);
        cli_json_print(j);
    } else {
        printf("inactive after %u days without activity%s\n", days,
               days_s ? " (set)" : "");
    }
    return CLI_EXIT_OK;
}
