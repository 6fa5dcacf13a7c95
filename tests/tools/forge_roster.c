/*
 * forge_roster.c — makes a state node sign a RosterUpdate, which only the
 * national key may write, so that tests can check that every other node
 * rejects it (and everything its origin writes after it) and that `verify`
 * on the forging node names it. Test tool only: never installed.
 *
 *   forge_roster DATA_DIR --add STATE KEYHEX [--name NAME] [--endpoint URL]...
 *   forge_roster DATA_DIR --revoke STATE
 *
 * --add authorises KEYHEX for STATE (a rogue chapter, say); --revoke
 * revokes STATE (an honest chapter). The entry is signed with DATA_DIR's
 * own key at the node's next seq, prev = the hash of its current head, and
 * appended to the node's log directly — log (origin ‖ seq(BE) → sig ‖
 * entry) and heads — bypassing fold_check, the roster fold and the view, so
 * the node's own roster is unchanged and it serves the entry to its peers
 * like any entry of its log.
 *
 * Takes the data directory's writer lock, so no local `sadasya` signs the
 * same seq meanwhile, and nudges the running node (if any) afterwards.
 * Prints "forged RosterUpdate ORIGIN_STATE seq N (origin KEYHEX)"; exits 0,
 * or 1 with a message on stderr (2 on bad usage).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "forge_common.h"

#define MAX_ENDPOINTS 8

static int fail(const char *what, const sd_err *err)
{
    fprintf(stderr, "forge_roster: %s: %s\n", what, err ? err->msg : "");
    return 1;
}

static int usage(void)
{
    fputs("usage: forge_roster DATA_DIR --add STATE KEYHEX [--name NAME] "
          "[--endpoint URL]...\n"
          "       forge_roster DATA_DIR --revoke STATE\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *add_state = NULL, *add_key = NULL, *name = "Forged",
               *revoke = NULL;
    char *endpoints[MAX_ENDPOINTS];
    size_t nendpoints = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--add") && i + 2 < argc) {
            add_state = argv[++i];
            add_key = argv[++i];
        } else if (!strcmp(argv[i], "--name") && i + 1 < argc) {
            name = argv[++i];
        } else if (!strcmp(argv[i], "--endpoint") && i + 1 < argc &&
                   nendpoints < MAX_ENDPOINTS) {
            endpoints[nendpoints++] = argv[++i];
        } else if (!strcmp(argv[i], "--revoke") && i + 1 < argc) {
            revoke = argv[++i];
        } else if (argv[i][0] != '-' && !dir) {
            dir = argv[i];
        } else {
            return usage();
        }
    }
    if (!dir || (!add_state && !revoke) || (add_state && revoke))
        return usage();
    if (sodium_init() < 0) {
        fputs("forge_roster: libsodium failed to initialise\n", stderr);
        return 1;
    }

    sd_err err;
    sd_err_clear(&err);
    uint8_t rogue[KEYS_PUBLIC_BYTES];
    if (add_key && keys_parse_public(add_key, rogue, &err))
        return fail("KEYHEX", &err);

    Sadasya__Chapter ch = SADASYA__CHAPTER__INIT;
    Sadasya__Chapter *chs[1] = { &ch };
    char *revs[1] = { (char *)revoke };
    Sadasya__RosterUpdate ru = SADASYA__ROSTER_UPDATE__INIT;
    if (add_state) {
        ch.state = (char *)add_state;
        ch.name = (char *)name;
        ch.key.data = rogue;
        ch.key.len = sizeof rogue;
        ch.endpoints = endpoints;
        ch.n_endpoints = nendpoints;
        ru.chapters = chs;
        ru.n_chapters = 1;
    } else {
        ru.revoke_states = revs;
        ru.n_revoke_states = 1;
    }

    store *s = NULL;
    writer *w = NULL;
    const char *what = forge_open(dir, &s, &w, &err);
    if (what)
        return fail(what, &err);
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_ROSTER;
    e.roster = &ru;
    store_head h;
    what = forge_append(s, w, &e, NULL, 0, 0, &h, &err);
    if (what) {
        forge_close(&s, &w);
        return fail(what, &err);
    }
    char hex[KEYS_HEX_LEN + 1];
    keys_public_hex(w->kp.pk, hex);
    printf("forged RosterUpdate %s seq %" PRIu64 ": %s %s (origin %s)\n", w->state,
           h.seq, add_state ? "add" : "revoke", add_state ? add_state : revoke, hex);
    forge_done(&s, &w);
    return 0;
}
