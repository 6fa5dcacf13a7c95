/*
 * roster.h — which keys may write for which state (proto/README.md).
 *
 * The national origin's RosterUpdate entries are folded into the `roster`
 * table: "s" ‖ CODE → ChapterView (the state's current key), and
 * "k" ‖ key → CODE(4) ‖ flag(1) ‖ first_serial(8) ‖ last_seq(8) ‖ since(8)
 * (big-endian), where flag is ROSTER_ACTIVE, ROSTER_REVOKED or
 * ROSTER_REPLACED (the state has since been given another key).
 *
 * Key epochs (node/README.md): a state's numbering series outlives its keys.
 * Each key has the serial of its first MemberJoined (first_serial) and,
 * once a handover or revocation ends it, a cut (last_seq): its entries
 * with seq <= last_seq stay valid for ever, later ones are void on every
 * node. A key is listed for one state only, never the national key, and
 * a key once ended is never authorised again; a RosterUpdate that breaks
 * these rules has that chapter ignored (the same on every node), since
 * refusing a national entry would stop the national log everywhere.
 *
 * "c" records hold the federation's rules: "cinactive_after_days" (be32) and
 * "corg_name" (the organisation's name, UTF-8), both set by the national office.
 *
 * The national key itself is the trust anchor, fixed at `init` and held in
 * meta as "national_key"; its state code is IN.
 */
#ifndef SADASYA_ROSTER_H
#define SADASYA_ROSTER_H

#include <stdint.h>

#include "entry.h"
#include "store.h"

#define ROSTER_NATIONAL_STATE "IN"
#define ROSTER_INACTIVE_KEY "cinactive_after_days"
#define ROSTER_INACTIVE_DEFAULT 180 /* days without activity: inactive */
#define ROSTER_ORG_NAME_KEY "corg_name"

enum { ROSTER_ACTIVE = 0, ROSTER_REVOKED = 1, ROSTER_REPLACED = 2 };

/* last_seq of a key that no cut has ended (a current key; or one replaced
 * or revoked by a roster entry written before epochs, which recorded no
 * cut: such a key writes nothing more, and keeps what it wrote). */
#define ROSTER_NO_CUT UINT64_MAX
/* How far `roster add --lost` skips a state's series ahead, so that no
 * number a lost device may have handed out after its cut is issued again. */
#define ROSTER_LOST_SKIP 10000

/* What the roster says of one key. */
typedef struct roster_key {
    char state[STORE_STATE_BYTES];
    int flag;
    uint64_t first_serial; /* serial of the key's first MemberJoined (>= 1) */
    uint64_t last_seq;     /* its cut, or ROSTER_NO_CUT */
    uint64_t since;        /* national seq that authorised it: epoch order */
} roster_key;

/* Checks that a RosterUpdate is well formed (state codes, 32-byte keys,
 * nothing for IN). SD_EINVAL with the reason. */
int roster_check(const Sadasya__RosterUpdate *ru, sd_err *err);

/* Folds a checked RosterUpdate, written at national seq, into the table. */
int roster_fold(store *s, store_txn *txn, const Sadasya__RosterUpdate *ru,
                uint64_t seq, sd_err *err);

/* What a key the roster does not list counts as: a state's first key
 * (first serial 1), no cut. */
void roster_key_unlisted(roster_key *rk);

/* What the roster holds for key. SD_ENOTFOUND if not listed (*out is then
 * what roster_key_unlisted says). */
int roster_key_get(store *s, store_txn *txn, const uint8_t key[32],
                   roster_key *out, sd_err *err);

/* What a key is to this node: roster_whois's answer. */
enum {
    ROSTER_WHO_UNKNOWN = 0, /* none of the below: trusted for nothing */
    ROSTER_WHO_NATIONAL,    /* the trust anchor (state IN) */
    ROSTER_WHO_CHAPTER,     /* listed for a state and active */
    ROSTER_WHO_ENDED,       /* listed, since revoked or handed over */
    ROSTER_WHO_OWN          /* this node's own key, not (yet) listed:
                               awaiting authorisation */
};

typedef struct roster_who {
    int kind;      /* ROSTER_WHO_* */
    int listed;    /* the roster lists it: CHAPTER or ENDED */
    int own;       /* this node's own key, whatever its kind */
    roster_key rk; /* listed: the roster's record (state, flag, first
                    * serial, cut, epoch); national: state IN, no cut;
                    * else roster_key_unlisted's defaults */
} roster_who;

/* The one classifier of a key: national, a listed chapter key (active or
 * ended), this node's own unlisted key, or unknown, in that order of
 * precedence. SD_OK whatever the key is; an SD code only when the store
 * cannot be read. */
int roster_whois(store *s, store_txn *txn, const uint8_t key[32],
                 roster_who *out, sd_err *err);

/* Whether a listed key may have written its entry seq: SD_OK, or SD_EAUTH
 * with the reason (beyond its cut; replaced or revoked with no cut). */
int roster_key_allows(const roster_key *rk, uint64_t seq, sd_err *err);

/* Calls fn for every key ever listed for state (any flag), in epoch order
 * (the national seq that authorised it). Stops on non-zero. */
int roster_each_key(store *s, store_txn *txn, const char *state,
                    int (*fn)(const uint8_t key[32], const roster_key *rk,
                              void *ctx),
                    void *ctx, sd_err *err);

/* The listed key whose X25519 form (its CURVE transport key) is xkey:
 * its Ed25519 key in ed and its record in rk. SD_ENOTFOUND if none. */
int roster_key_by_curve(store *s, store_txn *txn, const uint8_t xkey[32],
                        uint8_t ed[32], roster_key *rk, sd_err *err);

/* The state a key is listed for, and its flag. SD_ENOTFOUND if not listed. */
int roster_key_state(store *s, store_txn *txn, const uint8_t key[32],
                     char state[STORE_STATE_BYTES], int *flag, sd_err *err);

/* The chapter of a state; *out is the caller's to free with
 * sadasya__chapter_view__free_unpacked. SD_ENOTFOUND if none. */
int roster_chapter(store *s, store_txn *txn, const char *state,
                   Sadasya__ChapterView **out, sd_err *err);

/* Calls fn for each chapter in state-code order; stops on non-zero. */
int roster_each(store *s, store_txn *txn,
                int (*fn)(const Sadasya__ChapterView *cv, void *ctx),
                void *ctx, sd_err *err);

/* The federation's rule for "inactive": days without activity (set by a
 * national RosterUpdate; ROSTER_INACTIVE_DEFAULT until then). */
uint32_t roster_inactive_days(store *s, store_txn *txn);

/* The organisation's name as the national office set it (`rules
 * --org-name`: national_name in a RosterUpdate after the one that opens
 * the national log) into out, truncated to cap with a NUL. Returns 1 when
 * set, 0 (out "") until then. */
int roster_org_name(store *s, store_txn *txn, char *out, size_t cap);

/* The national key from meta. SD_ENOTFOUND when the store has none. */
int roster_national_key(store *s, store_txn *txn, uint8_t key[32], sd_err *err);

#endif
