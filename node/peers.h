/*
 * peers.h — the running node's view of each peer, as the store keeps it
 * (node/README.md, Replication: peer status).
 *
 * One meta record per peer: STORE_META_PEER_PREFIX ‖ endpoint → PeerStatus
 * (proto/sadasya.proto): connected, last contact, the peer's heads, counts
 * of entries received and refused, bad messages, handshake failures, the
 * last error. sadasyad writes them (at most every 250 ms); `sync-status`
 * and `peers` show them, and the fence (fence.h) reads the heads.
 */
#ifndef SADASYA_PEERS_H
#define SADASYA_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "store.h"

/* One peer's record as it is stored: *name is STORE_META_PEER_PREFIX ‖
 * ps->endpoint (NUL-terminated) and *val the packed PeerStatus (*len
 * bytes), both malloc'd and the caller's to free; for a writer that hands
 * the record on (the node's receive worker) rather than writing it. */
int peers_status_record(const Sadasya__PeerStatus *ps, char **name,
                        uint8_t **val, size_t *len, sd_err *err);

/* Writes one peer's status in txn, replacing what was held for its
 * endpoint. */
int peers_status_put(store *s, store_txn *txn, const Sadasya__PeerStatus *ps,
                     sd_err *err);

/* Calls fn for each peer's status held, in endpoint order. A record that
 * does not decode is skipped (it is only the node's last view). fn's
 * non-zero return stops the walk and is returned. */
int peers_status_each(store *s, store_txn *txn,
                      int (*fn)(const Sadasya__PeerStatus *ps, void *ctx),
                      void *ctx, sd_err *err);

#endif
