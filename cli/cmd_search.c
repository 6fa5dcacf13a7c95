/*
 * cmd_search.c — `sadasya search --phone PHONE` / `search --name TEXT`:
 * members found through the phone and name-token indexes, of a chapter's
 * own state by default (--state CODE, --all-states).
 */
#include <getopt.h>
#include <string.h>

#include "cmds.h"

static const char usage[] =
    "usage: sadasya [--data DIR] [--json] search --phone PHONE [--state CODE |\n"
    "                                     --all-states] [--limit N]\n"
    "       sadasya [--data DIR] [--json] search --name TEXT [--state CODE |\n"
    "                                     --all-states] [--limit N]\n"
    "\n"
    "--phone matches the number's last ten digits (+91 and 0 prefixes are\n"
    "ignored). --name matches members having, for every word of TEXT, a word\n"
    "of their name (in any script, or the English name) that starts with it.\n"
    "On a chapter, only its own state's members are shown unless --state or\n"
    "--all-states says otherwise; on the national node, every state's.\n";

int cmd_search(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "phone", required_argument, 0, 'p' }, { "name", required_argument, 0, 'n' },
        { "limit", required_argument, 0, 'l' }, { "help", no_argument, 0, 'h' },
        { "state", required_argument, 0, 's' },
        { "all-states", no_argument, 0, 'A' }, { 0, 0, 0, 0 },
    };
    const char *phone = NULL, *name = NULL, *state = NULL;
    int all_states = 0;
    size_t limit = 0;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'p': phone = optarg; break;
        case 'n': name = optarg; break;
        case 's':
            if (cli_state_arg(optarg))
                return CLI_EXIT_FAIL;
            state = optarg;
            break;
        case 'A': all_states = 1; break;
        case 'l':
            if (cli_limit_arg("search", optarg, &limit))
                return CLI_EXIT_USAGE;
            break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("search", argv);
        }
    }
    if (cli_opt_rest("search", argc, argv))
        return CLI_EXIT_USAGE;
    if (!phone == !name)
        return cli_usagef("search", "give --phone PHONE or --name TEXT");
    cli_lister l;
    int rc = cli_lister_open(&l, c, state, all_states);
    if (rc)
        return rc;
    sd_err err;
    sd_err_clear(&err);
    l.limit = limit;
    rc = phone ? view_find_phone(l.s, l.txn, phone, cli_lister_add_number, &l, &err)
               : view_find_name(l.s, l.txn, name, cli_lister_add_number, &l, &err);
    return cli_lister_close(&l, rc, &err);
}
