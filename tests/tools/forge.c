/*
 * forge.c — makes a node sign and serve an entry that the rules forbid, so
 * that tests can check that every other node rejects it and that `verify`
 * on the forging node names it. Test tool only: never installed.
 *
 *   forge DATA_DIR STATE [SERIAL] [--bad-sig] [--fee PAISE]
 *         [--district TEXT] [--joined-day N]
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
 * default 1100, "Forgery" and today), to forge what the body rules forbid.
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
#include <sys/time.h>

#include <lmdb.h>
#include <sodium.h>

#include "day.h"
#include "entry.h"
#include "notify.h"
#include "number.h"
#include "store.h"
#include "store_db.h"
#include "writer.h"

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
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bad-sig")) {
            bad_sig = 1;
        } else if (!strcmp(argv[i], "--fee") && i + 1 < argc) {
            fee = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--district") && i + 1 < argc) {
            district = argv[++i];
        } else if (!strcmp(argv[i], "--joined-day") && i + 1 < argc) {
            joined_day = (uint32_t)strtoul(argv[++i], NULL, 10);
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
              "[--district TEXT] [--joined-day N]\n", stderr);
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
    if (store_open(&s, dir, 0, &err))
        return fail(dir, &err);
    /* The writer gives us the key and the directory's writer lock. */
    if (writer_open(&w, s, &err)) {
        store_destroy(&s);
        return fail("opening the writer", &err);
    }
    if (number_format(number, state, serial, &err)) {
        writer_destroy(&w);
        store_destroy(&s);
        return fail("number", &err);
    }

    /* The Personal blob, sealed as a real registration seals it. */
    Sadasya__Personal p = SADASYA__PERSONAL__INIT;
    p.name = "जाली सदस्य";
    p.name_en = "Forged Member";
    p.guardian = "";
    p.phone = "9999900001";
    p.email = "";
    p.address = "";
    uint8_t *blob = NULL;
    size_t blen = 0;
    uint8_t phash[ENTRY_HASH_BYTES];
    if (entry_personal_seal(&p, &blob, &blen, phash, &err)) {
        writer_destroy(&w);
        store_destroy(&s);
        return fail("sealing personal data", &err);
    }

    MDB_txn *txn;
    int rc = store_begin(s, 1, &txn, &err);
    if (rc) {
        free(blob);
        writer_destroy(&w);
        store_destroy(&s);
        return fail("begin", &err);
    }
    store_head h;
    if ((rc = store_head_get(s, txn, w->kp.pk, &h, &err))) {
        mdb_txn_abort(txn);
        free(blob);
        writer_destroy(&w);
        store_destroy(&s);
        return fail("reading the head", &err);
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

    struct timeval tv;
    gettimeofday(&tv, NULL);
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.origin.data = w->kp.pk;
    e.origin.len = KEYS_PUBLIC_BYTES;
    e.seq = h.seq + 1;
    e.prev.data = h.hash; /* zero for seq 1 */
    e.prev.len = ENTRY_HASH_BYTES;
    e.time_ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
    e.body_case = SADASYA__ENTRY__BODY_JOINED;
    e.joined = &j;

    uint8_t *bytes = NULL;
    size_t len = 0;
    uint8_t sig[ENTRY_SIG_BYTES], hash[ENTRY_HASH_BYTES];
    if ((rc = entry_encode(&e, &bytes, &len, &err))) {
        mdb_txn_abort(txn);
        free(blob);
        writer_destroy(&w);
        store_destroy(&s);
        return fail("encoding", &err);
    }
    entry_sign(&w->kp, bytes, len, sig);
    if (bad_sig)
        sig[17] ^= 0x01;
    entry_hash(bytes, len, sig, hash);

    uint8_t key[STORE_LOGKEY_BYTES];
    store_logkey(key, w->kp.pk, e.seq);
    MDB_val k = { sizeof key, key };
    MDB_val v = { ENTRY_SIG_BYTES + len, NULL };
    int mrc = mdb_put(txn, s->log, &k, &v, MDB_RESERVE);
    if (!mrc) {
        memcpy(v.mv_data, sig, ENTRY_SIG_BYTES);
        memcpy((uint8_t *)v.mv_data + ENTRY_SIG_BYTES, bytes, len);
        MDB_val pv = { blen, blob };
        mrc = mdb_put(txn, s->personal, &k, &pv, 0);
    }
    if (mrc) {
        store_mdb_err(mrc, "writing the log", &err);
        rc = SD_EIO;
    }
    if (!rc) {
        h.seq = e.seq;
        memcpy(h.hash, hash, sizeof hash);
        h.joins++;
        if (!h.state[0])
            memcpy(h.state, w->state, STORE_STATE_BYTES);
        rc = store_head_put(s, txn, w->kp.pk, &h, &err);
    }
    if (rc)
        mdb_txn_abort(txn);
    else
        rc = store_commit(s, txn, &err);
    free(bytes);
    free(blob);
    if (rc) {
        writer_destroy(&w);
        store_destroy(&s);
        return fail("writing", &err);
    }
    char hex[KEYS_HEX_LEN + 1];
    keys_public_hex(w->kp.pk, hex);
    printf("forged %s seq %" PRIu64 ": %s%s (origin %s)\n", w->state, h.seq,
           number, bad_sig ? " with a bad signature" : "", hex);
    writer_destroy(&w);
    notify_node(s->dir);
    store_destroy(&s);
    return 0;
}
