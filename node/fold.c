/*
 * fold.c — body kind → check and fold. See fold.h.
 */
#include "fold.h"

#include "org.h"
#include "roster.h"
#include "rules.h"
#include "store_db.h"

int fold_check(store *s, MDB_txn *txn, const Sadasya__Entry *e,
               const char *state, int national, uint64_t first_serial,
               const store_head *h, sd_err *err)
{
    if (rules_body_check(e, err)) /* fields, bounds, characters: rules.h */
        return SD_EINVAL;
    switch (e->body_case) {
    case SADASYA__ENTRY__BODY_ROSTER:
        if (!national)
            return sd_errf(err, SD_EAUTH,
                           "roster update from a key that is not national");
        return roster_check(e->roster, err);
    case SADASYA__ENTRY__BODY_JOINED:
        return view_check_joined(s, txn, e, state, first_serial, h, err);
    case SADASYA__ENTRY__BODY_UPDATED:
        return view_check_updated(s, txn, e, state, err);
    case SADASYA__ENTRY__BODY_STATUS:
        return view_check_status(s, txn, e, state, err);
    case SADASYA__ENTRY__BODY_REDACTION:
        return view_check_member_of(s, txn, e, state, e->redaction->number,
                                    err);
    case SADASYA__ENTRY__BODY_ENTERPRISE:
        return view_check_member_of(s, txn, e, state, e->enterprise->number,
                                    err);
    case SADASYA__ENTRY__BODY_OFFICER:
        return view_check_officer(s, txn, e, state, national, err);
    default:
        return org_check(s, txn, e, state, err);
    }
}

int fold_entry(store *s, MDB_txn *txn, view_batch *b, const Sadasya__Entry *e,
               const char *state, const Sadasya__Personal *personal,
               sd_err *err)
{
    switch (e->body_case) {
    case SADASYA__ENTRY__BODY_ROSTER:
        return roster_fold(s, txn, e->roster, e->seq, err);
    case SADASYA__ENTRY__BODY_JOINED:
        return view_fold_joined(s, txn, b, e, state, personal, err);
    case SADASYA__ENTRY__BODY_UPDATED:
        return view_fold_updated(s, txn, b, e, personal, err);
    case SADASYA__ENTRY__BODY_STATUS:
        return view_fold_status(s, txn, b, e, err);
    case SADASYA__ENTRY__BODY_REDACTION:
        return view_fold_redaction(s, txn, b, e, err);
    default:
        return org_fold(s, txn, b, e, state, err);
    }
}
