/*
 * cmd_status.c — `sadasya status NUMBER active|inactive|resigned|deceased
 * [--reason TEXT]`: a signed MemberStatus for a member of this state.
 */
#include <getopt.h>
#include <string.h>

#include "cmds.h"
#include "number.h"
#include "org_cli.h"
#include "rules.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] status NUMBER\n"
    "         active|inactive|resigned|deceased [--reason TEXT]\n"
    "\n"
    "Records a member's new status (members of this node's state only).\n";

/* Signs the MemberStatus ctx (cli_org_write's fn). */
static int status_sign(cli_org_tx *t, void *ctx, sd_err *err)
{
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_STATUS;
    e.status = ctx;
    return cli_org_sign(t, &e, err);
}

int cmd_status(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "reason", required_argument, 0, 'r' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *reason = "";
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'r': reason = optarg; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("status", argv);
        }
    }
    if (optind + 2 != argc)
        return cli_usagef("status", "give a membership number and a status");
    char number[16];
    if (cli_number(argv[optind], number))
        return CLI_EXIT_FAIL;
    int st = view_status_parse(argv[optind + 1]);
    if (st < 0)
        return cli_errorf("status \"%s\" is not active, inactive, resigned or deceased",
                          argv[optind + 1]);
    sd_err err;
    sd_err_clear(&err);
    if (rules_text("--reason", reason, RULES_TEXT_MAX, 0, &err))
        return cli_error(&err);

    Sadasya__MemberStatus ms = SADASYA__MEMBER_STATUS__INIT;
    ms.number = number;
    ms.status = st;
    ms.reason = (char *)reason;
    int rc = cli_org_write(c, status_sign, &ms);
    if (rc)
        return rc;
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "number", number);
        cJSON_AddStringToObject(j, "status", view_status_name(st));
        cli_json_print(j);
    } else {
        printf("%s is now %s\n", number, view_status_name(st));
    }
    return CLI_EXIT_OK;
}
