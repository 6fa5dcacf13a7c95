/*
 * cmd_rules.c — `sadasya rules [--inactive-after DAYS] [--org-name NAME]`:
 * the federation's rules. Setting one is the national office's: a signed
 * RosterUpdate with the new value, carried to every node like the rest of
 * the roster. The rules are how long a member may be silent before the
 * calling list, `sadasya inactive`, counts them inactive, and the
 * organisation's name that every card prints (the RosterUpdate's
 * national_name, after the one that opens the national log).
 */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "org_cli.h"
#include "roster.h"
#include "rules.h"

#define RULES_INACTIVE_MAX 3650 /* days: ten years */

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] rules [--inactive-after DAYS] [--org-name NAME]\n"
    "\n"
    "Shows the federation's rules, or (national office's node only) sets\n"
    "one; the change reaches every node like a roster change.\n"
    "  --inactive-after DAYS  a member with no activity for DAYS days is on\n"
    "                         the calling list (sadasya inactive); 180 until set\n"
    "  --org-name NAME        the organisation's name, printed on every card;\n"
    "                         until set, cards show the national node's name\n";

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
    const char *days_s = NULL, *org = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        } else if (!strcmp(argv[i], "--inactive-after") && i + 1 < argc) {
            days_s = argv[++i];
        } else if (!strncmp(argv[i], "--inactive-after=", 17)) {
            days_s = argv[i] + 17;
        } else if (!strcmp(argv[i], "--org-name") && i + 1 < argc) {
            org = argv[++i];
        } else if (!strncmp(argv[i], "--org-name=", 11)) {
            org = argv[i] + 11;
        } else {
            return cli_usagef("rules", "unexpected argument %s", argv[i]);
        }
    }
    sd_err err;
    sd_err_clear(&err);
    Sadasya__RosterUpdate ru = SADASYA__ROSTER_UPDATE__INIT;
    if (days_s) {
        char *end;
        unsigned long d = strtoul(days_s, &end, 10);
        if (!*days_s || *end || d < 1 || d > RULES_INACTIVE_MAX)
            return cli_errorf("--inactive-after %s: give 1 to %d days", days_s,
                              RULES_INACTIVE_MAX);
        ru.inactive_after_days = (uint32_t)d;
    }
    if (org) {
        if (rules_text("--org-name", org, RULES_TEXT_MAX, RULES_REQUIRED, &err))
            return cli_error(&err);
        ru.national_name = (char *)org;
    }
    if (days_s || org) {
        int rc = cli_org_write(c, rules_write, &ru);
        if (rc)
            return rc;
    }
    store *s;
    store_txn *txn;
    if (cli_read(c, &s, &txn, &err))
        return CLI_EXIT_FAIL;
    uint32_t days = roster_inactive_days(s, txn);
    char name[RULES_TEXT_MAX + 1];
    int named = roster_org_name(s, txn, name, sizeof name);
    cli_read_end(&s, &txn);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "inactive_after_days", days);
        if (named)
            cJSON_AddStringToObject(j, "org_name", name);
        else
            cJSON_AddNullToObject(j, "org_name");
        cli_json_print(j);
    } else {
        char safe[CLI_SAFE_MAX];
        printf("inactive after %u days without activity%s\n", days,
               days_s ? " (set)" : "");
        if (named)
            printf("organisation name: %s%s\n", cli_safe(name, safe, sizeof safe),
                   org ? " (set)" : "");
        else
            printf("organisation name: not set (cards show the national node's "
                   "name)\n");
    }
    return CLI_EXIT_OK;
}
