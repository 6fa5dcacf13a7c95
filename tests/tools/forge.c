/*
 * forge.c — makes a node sign and serve an entry that the rules forbid, so
 * that tests can check that every other node rejects it and that `verify`
 * on the forging node names it. Test tool only: never installed.
 *
 *   forge DATA_DIR STATE [SERIAL] [--bad-sig] [--fee PAISE]
 *         [--district TEXT] [--joined-day N] [--name TEXT] [--birth-year N]
 *
 * Signs, with DATA_DIR's own key, a MemberJoined whose number carries
 * STATE's prefix (e.g. a BR node's key signing "JH-0000001-7"), at the
 * node's next seq with prev = the hash of its current head, and appends it
 * to the node's log directly — log (origin ‖ seq(BE) → sig ‖ entry),
 * personal, and heads — bypassing fold_check and the view, so the node
 * serves it to its peers like any entry of its log. SERIAL defaults to 1.
 * With --bad-sig one bit of the signature is flipped after signing (the
 * entry's number then carries STATE as given, which may be the node's own).
 * --fee, --district and --joined-day set those fields of the body (by
 * default 1100, "Forgery" and today), to forge what the body rules forbid;
 * --name and --birth-year those of the Personal data (by default
 * "जाली सदस्य" and none), to forge what the personal rules forbid.
 *
 * Takes the data directory's writer lock, so no local `sadasya` signs the
 * same seq meanwhile, and nudges the running node (if any) afterwards.
 * Prints "forged ORIGIN_STATE seq N: NUMBER (origin KEYHEX)"; exits 0, or
 * 1 with a message on stderr (2 on bad usage).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "day.h"
#include "forge_common.h"
#include "number.h"

static int fail(const char *what, const sd_err *err)
{
    fprintf(stderr, "forge: %s: %s\n", what, err ? err->msg : "");
    return 1;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *state = NULL;
    uint64_t serial = 1;
    int bad_sig = 0, npos = 0;
    uint64_t fee = 1100;
    const char *district = "Forgery";
    uint32_t joined_day = day_today();
    const char *name = "जाली सदस्य";
    uint32_t birth_year = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bad-sig")) {
            bad_sig = 1;
        } else if (!strcmp(argv[i], "--fee") && i + 1 < argc) {
            fee = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--district") && i + 1 < argc) {
            district = argv[++i];
        } else if (!strcmp(argv[i], "--joined-day") && i + 1 < argc) {
            joined_day = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--name") && i + 1 < argc) {
            name = argv[++i];
        } else if (!strcmp(argv[i], "--birth-year") && i + 1 < argc) {
            birth_year = (uint32_t)strtoul(argv[++i], NULL, 10);
        } else if (argv[i][0] == '-') {
            npos = -100;
        } else if (npos == 0) {
            dir = argv[i];
            npos++;
        } else if (npos == 1) {
            state = argv[i];
            npos++;
        } else if (npos == 2) {
            char *end;
            serial = strtoull(argv[i], &end, 10);
            if (*end || !serial)
                npos = -100;
            npos++;
        } else {
            npos = -100;
        }
    }
    if (npos < 2 || !dir || !state) {
        fputs("usage: forge DATA_DIR STATE [SERIAL] [--bad-sig] [--fee PAISE] "
              "[--district TEXT] [--joined-day N] [--name TEXT] [--birth-year N]\n",
              stderr);
        return 2;
    }
    if (sodium_init() < 0) {
        fputs("forge: libsodium failed to initialise\n", stderr);
        return 1;
    }

    sd_err err;
    sd_err_clear(&err);
    store *s = NULL;
    writer *w = NULL;
    char number[NUMBER_MAX_LEN];
    const char *what = forge_open(dir, &s, &w, &err);
    if (what)
        return fail(what, &err);
    if (number_format(number, state, serial, &err)) {
        forge_close(&s, &w);
        return fail("number", &err);
    }

    /* The Personal blob, sealed as a real registration seals it. */
    Sadasya__Personal p = SADASYA__PERSONAL__INIT;
    p.name = (char *)name;
    p.birth_year = birth_year;
    p.name_en = "Forged Member";
    p.guardian = "";
    p.phone = "9999900001";
    p.email = "";
    p.address = "";
    uint8_t *blob = NULL;
    size_t blen = 0;
    uint8_t phash[ENTRY_HASH_BYTES];
    if (entry_personal_seal(&p, &blob, &blen, phash, &err)) {
        forge_close(&s, &w);
        return fail("sealing personal data", &err);
    }

    Sadasya__MemberJoined j = SADASYA__MEMBER_JOINED__INIT;
    j.number = number;
    j.personal_hash.data = phash;
    j.personal_hash.len = sizeof phash;
    j.gender = SADASYA__GENDER__FEMALE;
    j.district = (char *)district;
    j.area = SADASYA__AREA__URBAN;
    j.occupation = "";
    j.fee_paise = fee;
    j.payment_ref = "";
    j.referred_by = "";
    j.joined_day = joined_day;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_JOINED;
    e.joined = &j;

    store_head h;
    what = forge_append(s, w, &e, blob, blen, bad_sig, &h, &err);
    free(blob);
    if (what) {
        forge_close(&s, &w);
        return fail(what, &err);
    }
    char hex[KEYS_HEX_LEN + 1];
    keys_public_hex(w->kp.pk, hex);
    printf("forged %s seq %" PRIu64 ": %s%s (origin %s)\n", w->state, h.seq,
           number, bad_sig ? " with a bad signature" : "", hex);
    forge_done(&s, &w);
    return 0;
}
