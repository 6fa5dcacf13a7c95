/*
 * cmd_init.c — `sadasya init --national [--name NAME]` or
 * `sadasya init --state CODE --name NAME --trust ROOTKEY`: a new data dir.
 */
#include <getopt.h>
#include <string.h>

#include "cmds.h"
#include "init.h"
#include "keys.h"

static const char usage[] =
    "usage: sadasya [--data DIR] init --national [--name NAME]\n"
    "       sadasya [--data DIR] init --state CODE --name NAME --trust ROOTKEY\n"
    "                                 [--replacing]\n"
    "\n"
    "Creates DIR (mode 0700) with a new Ed25519 identity and prints its\n"
    "public key (64 hex characters) as the last line. ROOTKEY is the national\n"
    "office's public key: the federation's trust anchor.\n"
    "--replacing: this node takes over from an earlier key of CODE (a new\n"
    "secretary's machine, a lost device): its numbers continue that key's\n"
    "series, so it signs nothing before its own roster entry reaches it.\n";

int cmd_init(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "national", no_argument, 0, 'n' }, { "state", required_argument, 0, 's' },
        { "name", required_argument, 0, 'N' }, { "trust", required_argument, 0, 't' },
        { "replacing", no_argument, 0, 'r' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    int national = 0, replacing = 0;
    const char *state = NULL, *name = NULL, *trust = NULL;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'n': national = 1; break;
        case 's': state = optarg; break;
        case 'N': name = optarg; break;
        case 't': trust = optarg; break;
        case 'r': replacing = 1; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_opt_bad("init", argv);
        }
    }
    if (cli_opt_rest("init", argc, argv))
        return CLI_EXIT_USAGE;
    if (national == !!state)
        return cli_usagef("init", "give either --national or --state CODE");
    sd_err err;
    sd_err_clear(&err);
    unsigned char root[KEYS_PUBLIC_BYTES], pk[KEYS_PUBLIC_BYTES];
    if (national) {
        if (trust)
            return cli_usagef("init", "--trust is for state nodes");
        if (!name)
            name = "National office";
        if (replacing)
            return cli_usagef("init", "--replacing is for state nodes");
    } else {
        if (!trust)
            return cli_usagef("init", "a state node needs --trust ROOTKEY");
        if (!name)
            return cli_usagef("init", "a state node needs --name NAME");
        if (keys_parse_public(trust, root, &err))
            return cli_error(&err);
    }
    if (init_dir(c->data_dir, state, name, national ? NULL : root,
                 replacing ? INIT_REPLACING : 0, pk, &err))
        return cli_error(&err);
    char hex[65];
    cli_hex32(pk, hex);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "key", hex);
        cJSON_AddStringToObject(j, "state", national ? "IN" : state);
        cJSON_AddStringToObject(j, "role", national ? "national" : "state");
        cJSON_AddStringToObject(j, "data", c->data_dir);
        cli_json_print(j);
    } else {
        printf("initialised %s node %s (%s) in %s\n", national ? "national" : "state",
               national ? "IN" : state, name, c->data_dir);
        printf("%s\n", hex);
    }
    return CLI_EXIT_OK;
}
