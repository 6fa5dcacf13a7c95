/*
 * cmd_list.c — `sadasya list [--state CODE | --all-states] [--district D]
 * [--status S] [--gender G] [--limit N]`: members of the merged view, in
 * number order (a chapter's own state by default).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "number.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] list [--state CODE | --all-states]\n"
    "         [--district D] [--status active|inactive|resigned|deceased]\n"
    "         [--gender female|male|other] [--limit N]\n"
    "\n"
    "Members of the national view in number order; --json prints JSON Lines.\n"
    "On a chapter, its own state's members unless --state or --all-states\n"
    "says otherwise (other states' show without name or phone); on the\n"
    "national node, every state's.\n";

int cmd_list(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state", required_argument, 0, 's' }, { "district", required_argument, 0, 'd' },
        { "status", required_argument, 0, 'S' }, { "gender", required_argument, 0, 'g' },
        { "limit", required_argument, 0, 'l' }, { "help", no_argument, 0, 'h' },
        { "all-states", no_argument, 0, 'A' }, { 0, 0, 0, 0 },
    };
    const char *state = NULL, *district = NULL;
    int status = 0, gender = 0, all_states = 0;
    size_t limit = 0;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's':
            if (cli_state_arg(optarg))
                return CLI_EXIT_FAIL;
            state = optarg;
            break;
        case 'd': district = optarg; break;
        case 'A': all_states = 1; break;
        case 'S':
            if ((status = view_status_parse(optarg)) < 0)
                return cli_errorf("status \"%s\" is not active, inactive, resigned or deceased", optarg);
            break;
        case 'g':
            if ((gender = view_gender_parse(optarg)) < 0)
                return cli_errorf("gender \"%s\" is not female, male or other", optarg);
            break;
        case 'l':
            if (cli_limit_arg("list", optarg, &limit))
                return CLI_EXIT_USAGE;
            break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("list", argv);
        }
    }
    if (cli_opt_rest("list", argc, argv))
        return CLI_EXIT_USAGE;
    cli_lister l;
    int rc = cli_lister_open(&l, c, state, all_states);
    if (rc)
        return rc;
    sd_err err;
    sd_err_clear(&err);
    l.district = district;
    l.status = status;
    l.gender = gender;
    l.limit = limit;
    if (l.state && district)
        rc = view_find_district(l.s, l.txn, l.state, district, cli_lister_add_number, &l, &err);
    else
        rc = view_members_each(l.s, l.txn, l.state, cli_lister_add_view, &l, &err);
    return cli_lister_close(&l, rc, &err);
}
