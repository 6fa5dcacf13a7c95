/*
 * org.h — the organisation's work as signed entries (issue: officers,
 * events and attendance, honours, notices, the entrepreneurs' directory):
 * the rules each body must meet (org_check) and how it folds into the
 * view's tables (org_fold), and reading those tables back.
 *
 * Entries never refer across origins in a way that could be refused on
 * one node and accepted on another: what an entry says about a member of
 * another chapter is recorded, but changes only the writing chapter's own
 * members (attendance makes them active).
 */
#ifndef SADASYA_ORG_H
#define SADASYA_ORG_H

#include <stdint.h>

#include "store.h"
#include "view.h"

#define ORG_ID_MAX 32 /* event ids: "BR-E17" */

int org_check(store *s, store_txn *txn, const Sadasya__Entry *e,
              const char *state, sd_err *err);
int org_fold(store *s, store_txn *txn, view_batch *b, const Sadasya__Entry *e,
             const char *state, sd_err *err);

/* Attendance may be recorded only once the event has taken place: an
 * event (id) dated after today is refused (SD_EINVAL). */
int org_attend_day_check(const char *id, uint32_t event_day, uint32_t today,
                         sd_err *err);

/* The id an EventHeld written by state at seq must carry. */
void org_event_id(char out[ORG_ID_MAX], const char *state, uint64_t seq);

/* Readers: each calls fn per row; fn's non-zero return stops the walk. */
int org_officers_each(store *s, store_txn *txn, const char *state,
                      int (*fn)(const Sadasya__OfficerView *o, void *ctx),
                      void *ctx, sd_err *err);
int org_events_each(store *s, store_txn *txn,
                    int (*fn)(const Sadasya__EventView *ev, void *ctx),
                    void *ctx, sd_err *err);
int org_event_get(store *s, store_txn *txn, const char *id,
                  Sadasya__EventView **out, sd_err *err);
int org_attendance_each(store *s, store_txn *txn, const char *event_id,
                        int (*fn)(const char *number, uint32_t day, void *ctx),
                        void *ctx, sd_err *err);
/* number NULL: every honour. */
int org_honours_each(store *s, store_txn *txn, const char *number,
                     int (*fn)(const char *number, const Sadasya__Honour *h,
                               void *ctx),
                     void *ctx, sd_err *err);
/* Newest first. */
int org_notices_each(store *s, store_txn *txn,
                     int (*fn)(const char *state, const Sadasya__Notice *n,
                               uint64_t time_ms, void *ctx),
                     void *ctx, sd_err *err);
int org_directory_each(store *s, store_txn *txn,
                       int (*fn)(const Sadasya__EnterpriseListed *en, void *ctx),
                       void *ctx, sd_err *err);

#endif
