/*
 * cmd_backup.c — `sadasya backup DEST` and `sadasya restore BACKUP`:
 * consistent copies of the data directory, and putting one back fenced.
 */
#include <string.h>

#include "backup.h"
#include "cmds.h"

static const char backup_usage[] =
    "usage: sadasya [--data DIR] backup [--without-key] DEST\n"
    "\n"
    "Writes a consistent, compacted copy of DIR (store and key file) into the\n"
    "new directory DEST, while the node and other commands keep working. Keep\n"
    "it safe: it holds the chapter's key and members' personal data.\n"
    "\n"
    "A node restored from a backup may be behind what its peers hold of its\n"
    "own log; writing then could issue a membership number twice. So a\n"
    "backup is fenced: it signs nothing until its node (sadasyad) has caught\n"
    "up from a peer, unless the operator passes --override-fence.\n"
    "--without-key makes a mirror: the store without the signing key, for\n"
    "an auditor or a read-only national copy. It can never sign, so it can\n"
    "never issue a number twice; keep it current with `bundle apply`.\n";

static const char restore_usage[] =
    "usage: sadasya [--data DIR] restore BACKUP\n"
    "\n"
    "Copies the backup into DIR (absent or empty), fenced: start the node so\n"
    "it catches up its own log from its peers before anyone is registered.\n";

int cmd_backup(cli *c, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help")) {
        fputs(backup_usage, stdout);
        return CLI_EXIT_OK;
    }
    int flags = 0;
    if (argc == 3 && !strcmp(argv[1], "--without-key")) {
        flags = BACKUP_WITHOUT_KEY;
        argv++;
        argc--;
    }
    if (argc != 2)
        return cli_usagef("backup", "give the new directory to write the backup into");
    store *s;
    if (cli_open(c, STORE_RDONLY, &s))
        return CLI_EXIT_FAIL;
    sd_err err;
    sd_err_clear(&err);
    int rc = backup_make(s, argv[1], flags, &err);
    store_destroy(&s);
    if (rc)
        return cli_error(&err);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "backup", argv[1]);
        cJSON_AddBoolToObject(j, "key", !flags);
        cli_json_print(j);
    } else {
        if (flags)
            printf("mirrored %s to %s without its key: it can never sign\n",
                   c->data_dir, argv[1]);
        else
            printf("backed up %s to %s (fenced until it catches up when restored)\n",
                   c->data_dir, argv[1]);
    }
    return CLI_EXIT_OK;
}

int cmd_restore(cli *c, int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--help")) {
        fputs(restore_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (argc != 2)
        return cli_usagef("restore", "give the backup directory");
    sd_err err;
    sd_err_clear(&err);
    if (backup_restore(argv[1], c->data_dir, &err))
        return cli_error(&err);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "restored", c->data_dir);
        cJSON_AddBoolToObject(j, "fenced", 1);
        cli_json_print(j);
    } else {
        printf("restored %s into %s; start its node so it catches up from its "
               "peers before registering anyone\n", argv[1], c->data_dir);
    }
    return CLI_EXIT_OK;
}
