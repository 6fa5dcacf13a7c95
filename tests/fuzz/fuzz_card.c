/*
 * fuzz_card.c — libFuzzer target: the text of an ID card's QR code
 * (card.h), as a phone camera or zbarimg hands it to `card-verify`. The
 * input is the payload itself, bytes as read (an embedded NUL ends it, as
 * it would the C string the reader gets).
 *
 * Oracles beyond the sanitizers:
 *   - card_open answers SD_OK, SD_EINVAL or SD_EAUTH, nothing else;
 *   - a claim it returns names a canonical membership number of the
 *     claim's own state;
 *   - a payload it accepts is canonical: signed again with the fixture's
 *     key that it names, the claim gives back the same text (Ed25519 is
 *     deterministic), so no two texts pass for one card;
 *   - card_check_payload on the fixture store (its roster and members)
 *     answers one of its documented codes, never a store failure, and a
 *     card it calls genuine names a member held here and a known signer.
 */
#include "common.h"

#include <ctype.h>

#include "card.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_setup();
    return 0;
}

/* The payload without the white space around it, as card_open reads it. */
static size_t trimmed(const char *s, const char **start)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    *start = s;
    return n;
}

static void check_claim(const card_claim *c)
{
    char canon[NUMBER_MAX_LEN], st[NUMBER_STATE_MAX + 1];
    if (number_parse(c->number, canon, st, NULL, NULL) || strcmp(canon, c->number) ||
        strcmp(st, c->state))
        FZ_DIE("card_open returned a claim with number \"%.20s\" of state \"%.4s\"",
               c->number, c->state);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4 * CARD_PAYLOAD_MAX)
        return 0;
    char *payload = malloc(size + 1);
    if (!payload)
        FZ_DIE("out of memory");
    memcpy(payload, data, size);
    payload[size] = '\0';

    card_claim claim;
    sd_err err;
    sd_err_clear(&err);
    int rc = card_open(payload, &claim, &err);
    if (rc != SD_OK && rc != SD_EINVAL && rc != SD_EAUTH)
        FZ_DIE("card_open answered %d: %s", rc, err.msg);
    if (fz.verbose)
        fprintf(stderr, "card_open: %d %s\n", rc, rc ? err.msg : claim.number);
    if (rc == SD_OK || rc == SD_EAUTH)
        check_claim(&claim);
    if (rc == SD_OK) {
        const keys_pair *kp = fz_key_of(claim.key);
        if (kp) {
            card_claim again = claim;
            char out[CARD_PAYLOAD_MAX + 1];
            if (card_sign(kp, &again, out, &err))
                FZ_DIE("an accepted claim does not sign again: %s", err.msg);
            const char *t;
            size_t tl = trimmed(payload, &t);
            if (strlen(out) != tl || memcmp(out, t, tl))
                FZ_DIE("card_open accepted a payload that is not the canonical "
                       "text of its claim");
        }
    }

    MDB_txn *txn;
    if (store_begin(fz.s, 0, &txn, &err))
        FZ_DIE("reading the fixture: %s", err.msg);
    card_check r;
    memset(&r, 0, sizeof r);
    int crc = card_check_payload(fz.s, txn, payload, &r, &err);
    if (crc != SD_OK && crc != SD_EINVAL && crc != SD_EAUTH &&
        crc != SD_ENOTFOUND && crc != SD_ECONFLICT)
        FZ_DIE("card_check_payload answered %d: %s", crc, err.msg);
    if (fz.verbose)
        fprintf(stderr, "card_check_payload: %d %s\n", crc, crc ? err.msg : "genuine");
    if (crc == SD_OK && rc != SD_OK)
        FZ_DIE("card_check_payload accepted what card_open refused");
    if (crc == SD_OK && (!r.opened || !r.signer || !r.member))
        FZ_DIE("a genuine card without its signer or member");
    card_check_clear(&r);
    mdb_txn_abort(txn);
    free(payload);
    return 0;
}
