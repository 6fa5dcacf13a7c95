/*
 * apply_evidence.c — equivocation evidence and hold-back (node/README.md,
 * Replication): the one writer of the evidence table, for the write path's
 * own finds (two entries signed for a held seq) and for evidence carried
 * in a batch; and the one decision whether an origin is held back. See
 * apply.h.
 */
#include "apply.h"
#include "apply_int.h"

#include <string.h>

#include "roster.h"
#include "store_db.h"

/* The evidence table's key (store.h): origin ‖ seq ‖ hash. */
#define EVIDENCE_KEY_BYTES (STORE_LOGKEY_BYTES + ENTRY_HASH_BYTES)

/* The evidence key of a signed entry, with the origin and seq it names;
 * -1 when the entry does not say. */
static int evidence_key(const entry_signed *es, uint8_t key[EVIDENCE_KEY_BYTES],
                        uint8_t origin[32], uint64_t *seq)
{
    if (entry_peek(es->entry, es->entry_len, origin, seq, NULL))
        return -1;
    store_logkey(key, origin, *seq);
    entry_hash(es->entry, es->entry_len, es->sig, key + STORE_LOGKEY_BYTES);
    return 0;
}

/* Keeps sig ‖ entry under its evidence key: the one place evidence is
 * written. 1 stored, 0 held already (the key names the entry and its
 * signature through the hash), or a negative SD code. */
static int evidence_put(store *s, MDB_txn *txn,
                        const uint8_t key[EVIDENCE_KEY_BYTES],
                        const uint8_t *sig, const uint8_t *entry, size_t len,
                        sd_err *err)
{
    MDB_val k = { EVIDENCE_KEY_BYTES, (void *)key }, v;
    if (mdb_get(txn, s->evidence, &k, &v) == 0)
        return 0;
    v.mv_size = ENTRY_SIG_BYTES + len;
    int rc = mdb_put(txn, s->evidence, &k, &v, MDB_RESERVE);
    if (rc)
        return store_mdb_err(rc, "writing evidence", err);
    memcpy(v.mv_data, sig, ENTRY_SIG_BYTES);
    memcpy((uint8_t *)v.mv_data + ENTRY_SIG_BYTES, entry, len);
    return 1;
}

int apply_evidence_both(store *s, MDB_txn *txn, const uint8_t origin[32],
                        uint64_t seq, const entry_signed *es,
                        const uint8_t hash[ENTRY_HASH_BYTES],
                        const entry_signed *held,
                        const uint8_t held_hash[ENTRY_HASH_BYTES], sd_err *err)
{
    uint8_t key[EVIDENCE_KEY_BYTES];
    store_logkey(key, origin, seq);
    memcpy(key + STORE_LOGKEY_BYTES, held_hash, ENTRY_HASH_BYTES);
    int rc = evidence_put(s, txn, key, held->sig, held->entry,
                          held->entry_len, err);
    if (rc < 0)
        return rc;
    memcpy(key + STORE_LOGKEY_BYTES, hash, ENTRY_HASH_BYTES);
    return evidence_put(s, txn, key, es->sig, es->entry, es->entry_len, err);
}

int apply_evidence_in(store *s, MDB_txn *txn, const entry_signed *es,
                      const entry_signed *others, size_t n, sd_err *err)
{
    uint8_t key[EVIDENCE_KEY_BYTES], origin[32];
    uint64_t seq;
    if (evidence_key(es, key, origin, &seq))
        return 0;
    /* Evidence travels with every batch: what is held was checked. */
    MDB_val hk = { sizeof key, key }, hv;
    if (mdb_get(txn, s->evidence, &hk, &hv) == 0)
        return 0;
    if (!entry_verify_sig(origin, es->entry, es->entry_len, es->sig))
        return 0;
    /* Against the entry we hold for that seq... */
    const uint8_t *sig, *bytes;
    size_t len;
    if (store_log_get(s, txn, origin, seq, &sig, &bytes, &len, NULL) == SD_OK) {
        uint8_t h[ENTRY_HASH_BYTES];
        entry_hash(bytes, len, sig, h);
        if (memcmp(h, key + STORE_LOGKEY_BYTES, ENTRY_HASH_BYTES)) {
            entry_signed held = { (uint8_t *)bytes, len, { 0 }, NULL, 0 };
            memcpy(held.sig, sig, ENTRY_SIG_BYTES);
            return apply_evidence_both(s, txn, origin, seq, es,
                                       key + STORE_LOGKEY_BYTES, &held, h, err);
        }
    }
    /* ...or against another validly signed one carried alongside. */
    for (size_t i = 0; i < n; i++) {
        uint8_t k2[EVIDENCE_KEY_BYTES], o2[32];
        uint64_t s2;
        if (evidence_key(&others[i], k2, o2, &s2) || memcmp(o2, origin, 32) ||
            s2 != seq || !memcmp(k2, key, sizeof key))
            continue;
        if (entry_verify_sig(o2, others[i].entry, others[i].entry_len,
                             others[i].sig))
            return evidence_put(s, txn, key, es->sig, es->entry,
                                es->entry_len, err);
    }
    return 0;
}

int apply_evidence(store *s, const entry_signed *es, const entry_signed *others,
                   size_t n, sd_err *err)
{
    MDB_txn *txn;
    int rc = store_begin(s, 1, &txn, err);
    if (rc)
        return rc;
    int stored = apply_evidence_in(s, txn, es, others, n, err);
    if (stored < 0) {
        mdb_txn_abort(txn);
        return stored;
    }
    rc = store_commit(s, txn, err);
    return rc ? rc : stored;
}

int apply_held_back(store *s, MDB_txn *txn, const uint8_t origin[32],
                    sd_err *err)
{
    int ev = store_evidence_first(s, txn, origin, NULL, err);
    if (ev <= 0)
        return ev;
    roster_key rk;
    int rc = roster_key_get(s, txn, origin, &rk, NULL);
    if (rc == SD_OK && rk.last_seq != ROSTER_NO_CUT)
        return 0; /* cut: its entries up to last_seq stand, later ones are void */
    return 1;
}
