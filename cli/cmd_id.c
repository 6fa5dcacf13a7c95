/*
 * cmd_id.c — `sadasya id`: this node's public key, state code and role.
 */
#include <string.h>

#include "cmds.h"
#include "roster.h"

int cmd_id(cli *c, int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--help")) {
        puts("usage: sadasya [--data DIR] [--json] id\n\n"
             "Prints this node's public key, state code, role and name, the\n"
             "national key it trusts, and whether the roster authorises it.");
        return CLI_EXIT_OK;
    }
    if (argc > 1)
        return cli_usagef("id", "unexpected argument %s", argv[1]);
    store *s;
    store_txn *txn;
    sd_err err;
    int rc = cli_read(c, &s, &txn, &err);
    if (rc)
        return rc;
    ident id;
    rc = ident_load_public(s, txn, &id, &err);
    roster_who who;
    if (!rc)
        rc = roster_whois(s, txn, id.kp.pk, &who, &err);
    const char *auth = "";
    if (!rc)
        auth = who.kind == ROSTER_WHO_NATIONAL ? "national (trust anchor)"
             : who.kind == ROSTER_WHO_CHAPTER ? "authorised"
             : who.kind == ROSTER_WHO_ENDED
                 ? (who.rk.flag == ROSTER_REVOKED ? "revoked" : "replaced")
             : "awaiting authorisation (not yet in the roster here)";
    if (!rc) {
        char hex[65], nat[65];
        cli_hex32(id.kp.pk, hex);
        cli_hex32(id.national_key, nat);
        if (c->json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "key", hex);
            cJSON_AddStringToObject(j, "state", id.state);
            cJSON_AddStringToObject(j, "role", id.national ? "national" : "state");
            cJSON_AddStringToObject(j, "name", id.name);
            cJSON_AddStringToObject(j, "national_key", nat);
            cJSON_AddStringToObject(j, "roster", auth);
            cli_json_print(j);
        } else {
            char name[CLI_SAFE_MAX];
            printf("key       %s\nstate     %s\nrole      %s\nname      %s\n"
                   "national  %s\nroster    %s\n",
                   hex, id.state, id.national ? "national" : "state",
                   cli_safe(id.name, name, sizeof name), nat, auth);
        }
    }
    cli_read_end(&s, &txn);
    return rc ? cli_error(&err) : CLI_EXIT_OK;
}
