/*
 * view.h — the national view: members, indexes and counters, folded from
 * every origin's log (node/README.md).
 *
 * The fold runs inside the write transaction that appends the entries, so
 * the view never disagrees with the log. A view_batch carries what one
 * transaction folds: counter deltas (summed in memory, written once per
 * batch) and index insertions (sorted per table before they are put, which
 * LMDB rewards with fewer page splits).
 *
 * The code is in three files: view_batch.c (the batch engine: counter
 * deltas, deferred and sorted index puts, cursors), view_fold.c (the
 * member bodies' checks and folds, which fold.c dispatches to) and view.c
 * (reading: members, indexes, counters, enum names).
 *
 * Counters: one row per (dimension, value); dimensions are "total" (value
 * ""), "state", "district" (value "BR/Patna"), "gender", "status", "area"
 * and "month" ("2026-09"). A member contributes 1 to `members`, 1 to the
 * column of its status, and its fee to `fee_paise` of each of its rows.
 */
#ifndef SADASYA_VIEW_H
#define SADASYA_VIEW_H

#include <stdint.h>

#include "entry.h"
#include "store.h"

typedef struct counter_row {
    uint64_t members, active, inactive, resigned, deceased, fee_paise;
} counter_row;

typedef struct view_batch view_batch;

int view_batch_new(view_batch **out, sd_err *err);
void view_batch_destroy(view_batch **b);

/* --- the member bodies: check and fold --------------------------------
 * fold.c is the one dispatch from a body kind to these. The checks: may e,
 * written by an origin of `state` (national != 0: the national origin),
 * be folded? SD_OK, or SD_EINVAL / SD_EAUTH / SD_ECONFLICT with the reason,
 * or a store error. */

/* A MemberJoined: its number canonical, under the writer's state prefix,
 * the key's next serial (first_serial + joins held in h, the origin's head
 * before e: node/README.md), and held by no member yet (SD_ECONFLICT). */
int view_check_joined(store *s, store_txn *txn, const Sadasya__Entry *e,
                      const char *state, uint64_t first_serial,
                      const store_head *h, sd_err *err);

/* A MemberUpdated, StatusChange or OfficerEntry: well formed, for a member
 * the writer may change (view_check_member_of; an officer named by the
 * national origin need only have a valid number). A Redaction or an
 * Enterprise needs view_check_member_of alone. */
int view_check_updated(store *s, store_txn *txn, const Sadasya__Entry *e,
                       const char *state, sd_err *err);
int view_check_status(store *s, store_txn *txn, const Sadasya__Entry *e,
                      const char *state, sd_err *err);
int view_check_officer(store *s, store_txn *txn, const Sadasya__Entry *e,
                       const char *state, int national, sd_err *err);

/* Folds a checked member body into members, indexes and counters: a join
 * (the member, of `state`, with its Personal blob p, or NULL if not held),
 * an update (p likewise), a status change, an erasure (its Personal blobs
 * and their index entries go; the signed entries and counts stay). */
int view_fold_joined(store *s, store_txn *txn, view_batch *b,
                     const Sadasya__Entry *e, const char *state,
                     const Sadasya__Personal *p, sd_err *err);
int view_fold_updated(store *s, store_txn *txn, view_batch *b,
                      const Sadasya__Entry *e, const Sadasya__Personal *p,
                      sd_err *err);
int view_fold_status(store *s, store_txn *txn, view_batch *b,
                     const Sadasya__Entry *e, sd_err *err);
int view_fold_redaction(store *s, store_txn *txn, view_batch *b,
                        const Sadasya__Entry *e, sd_err *err);

/* The number of the member whose Personal blob e commits to (a join or an
 * update), or NULL when e carries none. */
const char *view_personal_member(const Sadasya__Entry *e);

/* A Personal blob that arrives after its entry (node/README.md: a relay that
 * dropped it must not strip it for good). e is an entry already folded, p
 * its decoded blob, bytes/len the blob as carried, matching e's signed
 * hash (the caller checked). The blob is stored under (e's origin, seq),
 * and when it is the member's current one its phone and name index entries
 * are added: what the fold makes when the blob comes with the entry, so
 * the view still equals the fold. Not taken (*taken = 0) when the member
 * was erased, when e holds none of the member's Personal blobs, or when
 * the blob is held already. */
int view_personal_healed(store *s, store_txn *txn, view_batch *b,
                         const Sadasya__Entry *e, const Sadasya__Personal *p,
                         const uint8_t *bytes, size_t len, int *taken,
                         sd_err *err);

/* Writes the batch's pending counters and index entries. Call before the
 * transaction commits; the batch is empty afterwards. */
int view_flush(store *s, store_txn *txn, view_batch *b, sd_err *err);

/* --- index entries made ahead, on another thread ------------------------
 * A joined member's index entries (district, phone, name tokens) follow
 * from its entry and Personal blob alone: view_index_joined adds them to
 * a batch of their own (b, never given a transaction), tagged with the
 * item's place in its batch; view_index_sort sorts them; once the items
 * are applied, view_index_put writes those of the items marked in keep,
 * through the cursors of `into` (the applying batch) in txn. While
 * view_batch_indexed(into, 1), view_fold_joined leaves the member's index
 * entries out. s only names the tables. */
int view_index_joined(store *s, view_batch *b, uint32_t item,
                      const Sadasya__Entry *e, const Sadasya__Personal *p,
                      sd_err *err);
void view_index_sort(view_batch *b);
int view_index_put(view_batch *b, const uint8_t *keep, size_t nkeep,
                   store_txn *txn, view_batch *into, sd_err *err);
void view_batch_indexed(view_batch *b, int on);

/* Drops the batch's pending work (after an aborted transaction). */
void view_batch_discard(view_batch *b);

/* For the other folds (org.c): changes the stored member `number` through
 * fn, keeping its counters and indexes in step. fn gets a shallow copy m
 * of the record (old owns the storage) to change; memory it allocates for
 * m goes in *tofree. */
int view_member_change(store *s, store_txn *txn, view_batch *b,
                       const char *number,
                       int (*fn)(store *s, store_txn *txn, view_batch *b,
                                 Sadasya__MemberView *m,
                                 const Sadasya__MemberView *old, void *ctx,
                                 void **tofree, sd_err *err),
                       void *ctx, sd_err *err);

/* SD_OK when number is canonical and a member e's writer (an origin of
 * state) may change: one of its own, or any member of its state. */
int view_check_member_of(store *s, store_txn *txn, const Sadasya__Entry *e,
                         const char *state, const char *number, sd_err *err);

/* Adds d (members, active, inactive, resigned, deceased, fee) to the
 * counter (dim, value) in the batch. */
int view_count(view_batch *b, const char *dim, const char *value,
               const int64_t d[6], sd_err *err);

/* --- last activity ---------------------------------------------------- */

/* A member's last activity, the one definition `show`, `inactive` and the
 * web app read: the latest of the joining date, the day of an update of
 * the record, of a status change to active, and of an event the member
 * attended (the event's date). A status change to inactive, resigned or
 * deceased, an erasure, an honour or an appointment is not activity. */
uint32_t view_last_activity(const Sadasya__MemberView *m);

/* Raises m's last activity to day (the fold's side of the above). */
void view_activity(Sadasya__MemberView *m, uint32_t day);

/* Whether attending an event dated day makes m active again: m is
 * inactive, and the event is not before the day m was marked so (an
 * older event's attendance, recorded late, does not undo the status
 * change; an event the same day counts, days being all we know). */
int view_attend_reactivates(const Sadasya__MemberView *m, uint32_t day);

/* --- reading ---------------------------------------------------------- */

/* The member with canonical number; caller frees *out with
 * sadasya__member_view__free_unpacked. SD_ENOTFOUND if none. */
int view_member_get(store *s, store_txn *txn, const char *number,
                    Sadasya__MemberView **out, sd_err *err);

/* The member's current Personal data; SD_ENOTFOUND when not held here. */
int view_personal_get(store *s, store_txn *txn, const Sadasya__MemberView *m,
                      Sadasya__Personal **out, sd_err *err);

/* Members in number order, those of `state` only when non-NULL; fn's
 * non-zero return stops the walk and is returned. */
int view_members_each(store *s, store_txn *txn, const char *state,
                      int (*fn)(const Sadasya__MemberView *m, void *ctx),
                      void *ctx, sd_err *err);

/* Calls fn with the number of each member indexed under the phone, under
 * name tokens starting with every token of text, or in (state, district). */
/* Members whose personal data has this name (its words, case aside) and
 * birth year (kind 'b') or guardian (kind 'g'), as other: the identity
 * index a likely duplicate is found by, one lookup whatever the number of
 * members. fn as view_find_phone's; nothing when either has no word. */
int view_find_identity(store *s, store_txn *txn, const char *name, char kind,
                       const char *other,
                       int (*fn)(const char *number, void *ctx), void *ctx,
                       sd_err *err);

int view_find_phone(store *s, store_txn *txn, const char *phone,
                    int (*fn)(const char *number, void *ctx), void *ctx,
                    sd_err *err);
int view_find_name(store *s, store_txn *txn, const char *text,
                   int (*fn)(const char *number, void *ctx), void *ctx,
                   sd_err *err);
int view_find_district(store *s, store_txn *txn, const char *state,
                       const char *district,
                       int (*fn)(const char *number, void *ctx), void *ctx,
                       sd_err *err);

/* One counter row; a zero row when absent. */
int view_counter_get(store *s, store_txn *txn, const char *dim,
                     const char *value, counter_row *row, sd_err *err);

/* Every row of a dimension, in value order. */
int view_counter_each(store *s, store_txn *txn, const char *dim,
                      int (*fn)(const char *value, const counter_row *row,
                                void *ctx),
                      void *ctx, sd_err *err);

/* Names of enum values as the CLI spells them, and back (-1 if unknown). */
const char *view_gender_name(int g);
const char *view_area_name(int a);
const char *view_status_name(int st);
int view_gender_parse(const char *s);
int view_area_parse(const char *s);
int view_status_parse(const char *s);

#endif
