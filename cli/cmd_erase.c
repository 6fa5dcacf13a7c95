/*
 * cmd_erase.c — `sadasya erase NUMBER --reason …`: erasure of a member's
 * personal data on request (DPDP Act, 2023; proto/README.md). Writes a signed
 * Redaction in the member's chapter's log; every node that folds it
 * (node/view.c) deletes the member's Personal blobs and their index
 * entries. The signed entries stay, and verify still passes: they hold
 * only the salted hash of what was erased. The member keeps being counted.
 */
#include <getopt.h>
#include <string.h>

#include "cmds.h"
#include "day.h"
#include "org_cli.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] erase NUMBER --reason TEXT\n"
    "\n"
    "Erases a member's personal data (name, phone, e-mail, guardian, birth\n"
    "year, address) on her or his request, on this node and on every node\n"
    "the entry reaches. The membership number, state, district, gender,\n"
    "status, dates and fee stay, so totals do not change. Members of this\n"
    "node's chapter only. It cannot be undone.\n"
    "\n"
    "The erased bytes may linger in free pages of the data file until it is\n"
    "compacted: `sadasya backup DEST` writes a compacted copy.\n";

typedef struct erase_ctx {
    const char *number;
    const char *reason;
    char state[STORE_STATE_BYTES];
} erase_ctx;

static int erase_write(cli_org_tx *t, void *ctx, sd_err *err)
{
    erase_ctx *x = ctx;
    Sadasya__MemberView *m = NULL;
    int rc = cli_org_member(t->s, t->txn, x->number, &m, err);
    if (rc)
        return rc;
    rc = cli_org_own(t->w, m, "erase its personal data", err);
    if (!rc && m->erased_day) {
        char d[DAY_STR_LEN];
        day_format(m->erased_day, d);
        rc = sd_errf(err, SD_ECONFLICT, "the personal data of %s was erased on %s already",
                     x->number, d);
    }
    snprintf(x->state, sizeof x->state, "%s", m->state);
    sadasya__member_view__free_unpacked(m, NULL);
    if (rc)
        return rc;
    Sadasya__Redaction r = SADASYA__REDACTION__INIT;
    r.number = (char *)x->number;
    r.reason = (char *)x->reason;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_REDACTION;
    e.redaction = &r;
    return cli_org_sign(t, &e, err);
}

int cmd_erase(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "reason", required_argument, 0, 'r' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *reason = NULL;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'r': reason = optarg; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("erase", argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usagef("erase", "give one membership number");
    if (!reason)
        return cli_usagef("erase", "--reason is required (e.g. \"member's request of 2026-11-20\")");
    char number[16];
    if (cli_number(argv[optind], number))
        return CLI_EXIT_FAIL;
    int rc = cli_org_text("erase", "--reason", reason, CLI_ORG_TEXT_MAX, 1, 0);
    if (rc)
        return rc;
    erase_ctx x = { number, reason, "" };
    if ((rc = cli_org_write(c, erase_write, &x)))
        return rc;
    char d[DAY_STR_LEN];
    day_format(day_today(), d);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "erased", number);
        cJSON_AddStringToObject(j, "date", d);
        cJSON_AddStringToObject(j, "reason", reason);
        cli_json_print(j);
    } else {
        printf("erased the personal data of %s on %s; every node deletes it when this "
               "entry reaches it (the member stays counted)\n", number, d);
    }
    return CLI_EXIT_OK;
}
