/*
 * forge_common.h — what the forging tools (forge.c, forge_roster.c) share:
 * opening a data directory's store with its writer, and appending an entry
 * to the node's own log behind the write path's back (no fold_check, no
 * view), so that the node serves it to its peers like any entry of its log.
 * Test tools only.
 */
#ifndef SADASYA_FORGE_COMMON_H
#define SADASYA_FORGE_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <lmdb.h>

#include "entry.h"
#include "keys.h"
#include "notify.h"
#include "store.h"
#include "store_db.h"
#include "writer.h"

/* Opens dir's store and its writer, which gives the node's key and holds
 * the directory's writer lock, so that no local `sadasya` signs the same
 * seq meanwhile. Returns NULL, or what failed (err set; nothing open). */
static const char *forge_open(const char *dir, store **s, writer **w,
                              sd_err *err)
{
    if (store_open(s, dir, 0, err))
        return dir;
    if (writer_open(w, *s, err)) {
        store_destroy(s);
        return "opening the writer";
    }
    return NULL;
}

static void forge_close(store **s, writer **w)
{
    writer_destroy(w);
    store_destroy(s);
}

/* Closes both and nudges the running node (if any) to serve the new entry. */
static void forge_done(store **s, writer **w)
{
    writer_destroy(w);
    notify_node((*s)->dir);
    store_destroy(s);
}

/* Appends e (the caller set its body) to w's own log in s at the next seq,
 * prev = the hash of the current head, signed now with w's key (one bit of
 * the signature flipped when bad_sig): the log record (origin ‖ seq(BE) →
 * sig ‖ entry), blob as its Personal blob when given, and the head (a
 * MemberJoined counted in its joins). h gets the new head. Returns NULL, or
 * what failed (err set; nothing written). */
static const char *forge_append(store *s, writer *w, Sadasya__Entry *e,
                                const uint8_t *blob, size_t blen, int bad_sig,
                                store_head *h, sd_err *err)
{
    MDB_txn *txn;
    if (store_begin(s, 1, &txn, err))
        return "begin";
    if (store_head_get(s, txn, w->kp.pk, h, err)) {
        mdb_txn_abort(txn);
        return "reading the head";
    }

    struct timeval tv;
    gettimeofday(&tv, NULL);
    e->origin.data = w->kp.pk;
    e->origin.len = KEYS_PUBLIC_BYTES;
    e->seq = h->seq + 1;
    e->prev.data = h->hash; /* zero for seq 1 */
    e->prev.len = ENTRY_HASH_BYTES;
    e->time_ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;

    uint8_t *bytes = NULL;
    size_t len = 0;
    uint8_t sig[ENTRY_SIG_BYTES], hash[ENTRY_HASH_BYTES];
    if (entry_encode(e, &bytes, &len, err)) {
        mdb_txn_abort(txn);
        return "encoding";
    }
    entry_sign(&w->kp, bytes, len, sig);
    if (bad_sig)
        sig[17] ^= 0x01;
    entry_hash(bytes, len, sig, hash);

    uint8_t key[STORE_LOGKEY_BYTES];
    store_logkey(key, w->kp.pk, e->seq);
    MDB_val k = { sizeof key, key };
    MDB_val v = { ENTRY_SIG_BYTES + len, NULL };
    int rc = 0;
    int mrc = mdb_put(txn, s->log, &k, &v, MDB_RESERVE);
    if (!mrc) {
        memcpy(v.mv_data, sig, ENTRY_SIG_BYTES);
        memcpy((uint8_t *)v.mv_data + ENTRY_SIG_BYTES, bytes, len);
        if (blob) {
            MDB_val pv = { blen, (void *)blob };
            mrc = mdb_put(txn, s->personal, &k, &pv, 0);
        }
    }
    if (mrc) {
        store_mdb_err(mrc, "writing the log", err);
        rc = SD_EIO;
    }
    if (!rc) {
        h->seq = e->seq;
        memcpy(h->hash, hash, sizeof hash);
        if (e->body_case == SADASYA__ENTRY__BODY_JOINED)
            h->joins++;
        if (!h->state[0])
            memcpy(h->state, w->state, STORE_STATE_BYTES);
        rc = store_head_put(s, txn, w->kp.pk, h, err);
    }
    if (rc)
        mdb_txn_abort(txn);
    else
        rc = store_commit(s, txn, err);
    free(bytes);
    return rc ? "writing" : NULL;
}

#endif
