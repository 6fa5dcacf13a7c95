/*
 * apply_int.h — what the write path's files share (apply.c, and
 * apply_evidence.c for the evidence table); not for other modules, which
 * use apply.h.
 */
#ifndef SADASYA_APPLY_INT_H
#define SADASYA_APPLY_INT_H

#include "apply.h"

/* Two entries signed for one (origin, seq): keeps both in the evidence
 * table, es (chain hash `hash`) and held, the entry this node holds at that
 * seq (chain hash held_hash). Returns 1 when es was new evidence, 0 when it
 * was held already, or a negative SD code. */
int apply_evidence_both(store *s, store_txn *txn, const uint8_t origin[32],
                        uint64_t seq, const entry_signed *es,
                        const uint8_t hash[ENTRY_HASH_BYTES],
                        const entry_signed *held,
                        const uint8_t held_hash[ENTRY_HASH_BYTES], sd_err *err);

/* apply_evidence inside an open transaction (apply_txn_evidence). */
int apply_evidence_in(store *s, store_txn *txn, const entry_signed *es,
                      const entry_signed *others, size_t n, sd_err *err);

#endif
