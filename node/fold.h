/*
 * fold.h — what each kind of entry body means to the view: the one
 * dispatch from a body kind to its check and its fold.
 *
 * The write path (apply.c) and the re-fold after a retraction (retract.c)
 * call these, never the modules below directly: the body rules every entry
 * meets (rules.h), the roster (roster.h, national entries only), members
 * (view.h) and the organisation's records (org.h). The modules below do
 * not call back up here, so there is no include cycle among them.
 */
#ifndef SADASYA_FOLD_H
#define SADASYA_FOLD_H

#include <stdint.h>

#include "entry.h"
#include "store.h"
#include "view.h"

/* May e, written by an origin of `state` (national != 0: the national
 * origin) whose head before e is h and whose first join carries
 * first_serial, be folded? SD_OK, or SD_EINVAL / SD_EAUTH / SD_ECONFLICT
 * with the reason (SD_ECONFLICT: a join for a number another member
 * holds), or a store error. */
int fold_check(store *s, store_txn *txn, const Sadasya__Entry *e,
               const char *state, int national, uint64_t first_serial,
               const store_head *h, sd_err *err);

/* Folds a checked entry (seq as in e) into the roster, members, indexes,
 * counters and the organisation's tables. personal is its decoded
 * Personal blob, or NULL. */
int fold_entry(store *s, store_txn *txn, view_batch *b, const Sadasya__Entry *e,
               const char *state, const Sadasya__Personal *personal,
               sd_err *err);

#endif
