/*
 * fence.c — when this node must not sign. See fence.h.
 */
#include "fence.h"

#include <stdio.h>
#include <string.h>

#include "peers.h"
#include "roster.h"

#define OUT_WAY "pass --override-fence only if you are sure this is the " \
                "one copy that signs"

static void hex8(const uint8_t *k, char out[17])
{
    for (int i = 0; i < 8; i++)
        snprintf(out + 2 * i, 3, "%02x", k[i]);
}

/* Equivocation evidence against own: SD_OK if none. */
static int check_evidence(store *s, store_txn *txn, const uint8_t own[32],
                          sd_err *err)
{
    uint64_t seq = 0;
    int found = store_evidence_first(s, txn, own, &seq, err);
    if (found < 0)
        return found;
    if (found)
        return sd_errf(err, SD_ECONFLICT,
                       "equivocation: two different entries signed by this "
                       "node's key for seq %llu are held as evidence, so "
                       "another copy of this data directory signs; stop every "
                       "copy but one and ask the national office to cut the "
                       "key (roster add --lost), or %s",
                       (unsigned long long)seq, OUT_WAY);
    return SD_OK;
}

typedef struct peers_ctx {
    store *s;
    store_txn *txn;
    const uint8_t *own;
    const store_head *mine;
    sd_err *err;
} peers_ctx;

/* One peer's last report: SD_ECONFLICT when it holds this key's log
 * further, or another entry at a seq held here. */
static int check_peer(const Sadasya__PeerStatus *ps, void *ctx)
{
    peers_ctx *x = ctx;
    for (size_t i = 0; i < ps->n_heads; i++) {
        const Sadasya__Head *h = ps->heads[i];
        if (h->origin.len != 32 || memcmp(h->origin.data, x->own, 32) ||
            !h->seq)
            continue;
        if (h->seq > x->mine->seq)
            return sd_errf(x->err, SD_ECONFLICT,
                           "peer %s holds this node's own log up to seq "
                           "%llu, this copy only to %llu: another copy of "
                           "this data directory signs; start the node "
                           "(sadasyad) to take those entries, retire the "
                           "other copy, or %s", ps->endpoint,
                           (unsigned long long)h->seq,
                           (unsigned long long)x->mine->seq, OUT_WAY);
        const uint8_t *sig, *bytes;
        size_t len;
        uint8_t held[ENTRY_HASH_BYTES];
        if (h->hash.len != ENTRY_HASH_BYTES ||
            store_log_get(x->s, x->txn, x->own, h->seq, &sig, &bytes, &len,
                          NULL))
            continue;
        entry_hash(bytes, len, sig, held);
        if (memcmp(held, h->hash.data, ENTRY_HASH_BYTES))
            return sd_errf(x->err, SD_ECONFLICT,
                           "peer %s holds another entry of this node's own "
                           "log at seq %llu: another copy of this data "
                           "directory signs; stop every copy but one and ask "
                           "the national office to cut the key, or %s",
                           ps->endpoint, (unsigned long long)h->seq, OUT_WAY);
    }
    return SD_OK;
}

/* The heads peers last reported (peers.h). */
static int check_peers(store *s, store_txn *txn, const uint8_t own[32],
                       sd_err *err)
{
    store_head mine;
    int rc = store_head_get(s, txn, own, &mine, err);
    if (rc)
        return rc;
    peers_ctx x = { s, txn, own, &mine, err };
    return peers_status_each(s, txn, check_peer, &x, err);
}

/* What the roster says of this key: ended, or (replacing) not yet listed. */
static int check_roster(store *s, store_txn *txn, const uint8_t own[32],
                        uint64_t *first_serial, sd_err *err)
{
    roster_who who;
    int rc = roster_whois(s, txn, own, &who, err);
    if (rc)
        return rc;
    const void *v;
    size_t n;
    if (!who.listed) {
        if (store_meta_get(s, txn, FENCE_META_REPLACING, &v, &n, NULL) == SD_OK)
            return sd_errf(err, SD_EAUTH,
                           "this node takes over from an earlier key of its "
                           "state and numbers nothing until its own roster "
                           "entry arrives (the national office runs `sadasya "
                           "roster add`; then start the node to sync)");
        return SD_OK;
    }
    const roster_key rk = who.rk;
    *first_serial = rk.first_serial;
    if (who.kind == ROSTER_WHO_CHAPTER)
        return SD_OK;
    char successor[17] = "none";
    Sadasya__ChapterView *cv = NULL;
    if (rk.flag == ROSTER_REPLACED &&
        roster_chapter(s, txn, rk.state, &cv, NULL) == SD_OK) {
        if (cv->chapter->key.len == 32)
            hex8(cv->chapter->key.data, successor);
        sadasya__chapter_view__free_unpacked(cv, NULL);
    }
    char cut[32] = "no cut recorded";
    if (rk.last_seq != ROSTER_NO_CUT)
        snprintf(cut, sizeof cut, "seq %llu", (unsigned long long)rk.last_seq);
    if (rk.flag == ROSTER_REPLACED)
        return sd_errf(err, SD_EAUTH,
                       "this node's key for %s was handed over (its entries end "
                       "at %s; the key now is %s…): it signs nothing more; the "
                       "new key's node registers from here on",
                       rk.state, cut, successor);
    return sd_errf(err, SD_EAUTH,
                   "this node's key for %s was revoked (its entries end at "
                   "%s): it signs nothing more", rk.state, cut);
}

int fence_check(store *s, store_txn *txn, const uint8_t own[32], int national,
                uint64_t *first_serial, sd_err *err)
{
    *first_serial = 1;
    int rc;
    if (!national && (rc = check_roster(s, txn, own, first_serial, err)))
        return rc;
    if (store_overrides_fence(s))
        return SD_OK;
    const void *v;
    size_t n;
    if (store_meta_get(s, txn, STORE_META_FENCE, &v, &n, NULL) == SD_OK)
        return sd_errf(err, SD_ECONFLICT,
                       "%s was restored from a backup: peers may hold newer "
                       "entries of this chapter, and writing now could issue a "
                       "membership number twice. Start the node (sadasyad) so "
                       "it catches up from its peers first, or pass "
                       "--override-fence if you know no peer holds newer entries",
                       store_dir(s));
    if (store_meta_get(s, txn, FENCE_META_COPY, &v, &n, NULL) == SD_OK)
        return sd_errf(err, SD_ECONFLICT,
                       "%.*s; this copy stops signing so that no membership "
                       "number is issued twice: retire the other copy (make "
                       "mirrors with `sadasya backup --without-key`), or %s",
                       (int)(n > 300 ? 300 : n), (const char *)v, OUT_WAY);
    if ((rc = check_evidence(s, txn, own, err)))
        return rc;
    return check_peers(s, txn, own, err);
}

int fence_mark_copy(store *s, store_txn *txn, const uint8_t own[32],
                    sd_err *err)
{
    const void *v;
    size_t n;
    if (store_meta_get(s, txn, STORE_META_FENCE, &v, &n, NULL) == SD_OK ||
        store_meta_get(s, txn, FENCE_META_COPY, &v, &n, NULL) == SD_OK)
        return SD_OK;
    store_head h;
    int rc = store_head_get(s, txn, own, &h, err);
    if (rc)
        return rc;
    char why[200];
    int len = snprintf(why, sizeof why,
                       "entries of this node's own key up to seq %llu came "
                       "from another node or a bundle: another copy of this "
                       "data directory signs", (unsigned long long)h.seq);
    return store_meta_put(s, txn, FENCE_META_COPY, why, (size_t)len, err);
}
