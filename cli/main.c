/*
 * main.c — `sadasya`: global options, then the command from the table.
 *
 *   sadasya [--data DIR] [--json] COMMAND [ARGS…]
 *
 * DIR defaults to $SADASYA_DATA, else ./sadasya-data. --json may also
 * follow the command.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cmds.h"

static const cli_cmd commands[] = {
    { "init", cmd_init, "create a data directory (national or state)" },
    { "id", cmd_id, "this node's public key, state code and role" },
    { "roster", cmd_roster, "list, add or revoke chapters (national adds)" },
    { "register", cmd_register, "register a member; prints the number" },
    { "import", cmd_import, "register members from a CSV file" },
    { "show", cmd_show, "one member" },
    { "list", cmd_list, "members, filtered" },
    { "search", cmd_search, "members by phone or name" },
    { "update", cmd_update, "new values for a member" },
    { "status", cmd_status, "change a member's status" },
    { "stats", cmd_stats, "national totals by a dimension" },
    { "export", cmd_export, "every member as CSV or JSON lines" },
    { "verify", cmd_verify, "re-check every entry (auditors)" },
    { "log", cmd_log, "raw signed entries (auditors)" },
    { "bundle", cmd_bundle, "carry signed entries between nodes as a file" },
    { "sync-status", cmd_sync_status, "heads held here, and each peer's lag" },
    { "peers", cmd_peers, "the node's peers and last contact" },
    { "card", cmd_card, "render a member's ID card (PNG or SVG)" },
    { "cards", cmd_cards, "render the cards of a state's members" },
    { "card-verify", cmd_card_verify, "check a card's QR code; the member's status" },
    { "backup", cmd_backup, "a consistent copy of the data directory" },
    { "restore", cmd_restore, "put a backup back (fenced until caught up)" },
    { "officer", cmd_officer, "appoint an office-bearer or end an appointment" },
    { "officers", cmd_officers, "each chapter's office-bearers and cell heads" },
    { "event", cmd_event, "record an event and who attended it" },
    { "events", cmd_events, "events, with attendee counts" },
    { "inactive", cmd_inactive, "the calling list: members to bring back" },
    { "campaign", cmd_campaign, "joins per day/week, referrals, festival windows" },
    { "honour", cmd_honour, "record an honour given to a member" },
    { "honours", cmd_honours, "honours given to members" },
    { "notice", cmd_notice, "post a notice to every node" },
    { "notices", cmd_notices, "notices, newest first" },
    { "enterprise", cmd_enterprise, "list a member's enterprise in the directory" },
    { "directory", cmd_directory, "the women's entrepreneurship directory" },
    { "erase", cmd_erase, "erase a member's personal data on request" },
    { "rules", cmd_rules, "the federation's rules (national sets them)" },
    { "audit", cmd_audit, "the auditor's report, HTML and JSON (auditors)" },
    { "report", cmd_report, "the national dashboard as one static HTML page" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: sadasya [--data DIR] [--json] COMMAND [ARGS...]\n\n"
               "DIR defaults to $SADASYA_DATA, else ./sadasya-data.\n"
               "--override-fence lets a store restored from a backup write\n"
               "before it has caught up with its peers (see backup --help).\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nsadasya COMMAND --help for each command's flags.\n");
}

int main(int argc, char **argv)
{
    /* Display widths of Devanagari need a UTF-8 character type. */
    if (!setlocale(LC_CTYPE, "C.UTF-8"))
        setlocale(LC_CTYPE, "");
    if (sodium_init() < 0)
        return cli_errorf("libsodium failed to initialise");

    cli c = { getenv("SADASYA_DATA"), 0, 0 };
    if (!c.data_dir || !*c.data_dir)
        c.data_dir = "./sadasya-data";

    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            c.json = 1;
        } else if (!strcmp(argv[i], "--override-fence")) {
            c.override_fence = 1;
        } else if (!strcmp(argv[i], "--data")) {
            if (i + 1 >= argc)
                return cli_usagef(NULL, "--data needs a directory");
            c.data_dir = argv[++i];
        } else if (!strncmp(argv[i], "--data=", 7)) {
            c.data_dir = argv[i] + 7;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return CLI_EXIT_OK;
        } else if (argv[i][0] == '-') {
            return cli_usagef(NULL, "unknown option %s", argv[i]);
        } else {
            break;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    /* --json and --override-fence after the command are the same flags. */
    int n = 0;
    char **args = argv + i;
    for (int j = 0; j < argc - i; j++) {
        if (!strcmp(args[j], "--json"))
            c.json = 1;
        else if (!strcmp(args[j], "--override-fence"))
            c.override_fence = 1;
        else
            args[n++] = args[j];
    }
    args[n] = NULL;
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (!strcmp(commands[k].name, args[0]))
            return commands[k].run(&c, n, args);
    return cli_usagef(NULL, "unknown command \"%s\"", args[0]);
}
