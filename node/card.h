/*
 * card.h — the signed credential that a membership card's QR code carries
 * (proto/README.md), and how a node issues and checks it. The picture of the
 * card is card_render.h's; this module is only keys, bytes and the roster.
 *
 *   payload = "SDY1:" base64url-without-padding(CardCredential)
 *   CardCredential { claim: CardClaim bytes, sig }
 *   sig     = Ed25519(claim.key, "SADASYA-CARD-V1" || claim bytes)
 *
 * A claim names the member (number, state, joined day), commits to the
 * member's name (BLAKE2b-128 of Personal.name, so a name read off the card
 * can be checked without the personal data), and names its signer's key.
 * The signer must be the national key or the roster's active key for the
 * claim's state; a card is genuine on a node when, besides, the member is
 * in that node's view with the same state and joined day. The member's
 * status is reported, never hidden: a resigned member's card is genuine and
 * says so.
 */
#ifndef SADASYA_CARD_H
#define SADASYA_CARD_H

#include <stdint.h>

#include "ident.h"
#include "number.h"
#include "store.h"

#define CARD_DOMAIN "SADASYA-CARD-V1"
#define CARD_PREFIX "SDY1:"
#define CARD_NAME_HASH_BYTES 16
#define CARD_SIG_BYTES 64
#define CARD_PAYLOAD_MAX 400 /* payload characters, NUL not counted */

typedef struct card_claim {
    char number[NUMBER_MAX_LEN];            /* canonical */
    char state[NUMBER_STATE_MAX + 1];
    uint8_t name_hash[CARD_NAME_HASH_BYTES];
    uint32_t joined_day;
    uint32_t issued_day;
    uint8_t key[KEYS_PUBLIC_BYTES];         /* the signer */
} card_claim;

/* BLAKE2b-128 of a name's UTF-8 bytes, exactly as stored in Personal. */
void card_name_hash(const char *name, uint8_t out[CARD_NAME_HASH_BYTES]);

/* Signs claim with kp (claim->key is set to kp's public key first) and
 * writes the payload text with its NUL into out. SD_EINVAL if the claim
 * has no valid number or state. */
int card_sign(const keys_pair *kp, card_claim *claim,
              char out[CARD_PAYLOAD_MAX + 1], sd_err *err);

/* Parses payload text (surrounding white space ignored) and checks the
 * signature against the key the claim names. SD_EINVAL, with the reason,
 * when it is not a well-formed card payload (wrong prefix, bad base64url,
 * bytes not in canonical form, a field of the wrong size, a bad check
 * digit); SD_EAUTH when the signature does not match. On SD_OK and on
 * SD_EAUTH, *claim holds what the card claims. */
int card_open(const char *payload, card_claim *claim, sd_err *err);

/* Who signed a card, as the roster knows the key. */
enum { CARD_SIGNER_CHAPTER = 1, CARD_SIGNER_NATIONAL = 2 };

/* A card checked against one node's roster and view. */
typedef struct card_check {
    card_claim claim;
    int opened;                     /* the payload parsed and its signature holds */
    int signer;                     /* CARD_SIGNER_*, once the signer is known good */
    Sadasya__MemberView *member;    /* the member in this node's view, or NULL */
    Sadasya__Personal *personal;    /* its personal data, or NULL if not held */
    int name_matches;               /* 1, 0, or -1 when the name is not held */
    int former_key;                 /* signed by a key the roster has since ended */
} card_check;

/* Checks a payload on this node: card_open, then the signer (the national
 * key, or the active roster key of the claim's state; or an earlier key of
 * the state that a cut ended, for a member its own valid entries
 * registered: node/README.md), then the member in
 * the view. SD_OK when the card is genuine here; otherwise err says why:
 * SD_EINVAL not a card payload, SD_EAUTH altered, or signed by an unknown,
 * revoked, replaced or other state's key, SD_ENOTFOUND the member is not in
 * this node's view, SD_ECONFLICT the card disagrees with the member's record
 * (state or joined day); other codes are store failures. r is filled as far
 * as the checks went; release it with card_check_clear. */
int card_check_payload(store *s, store_txn *txn, const char *payload,
                       card_check *r, sd_err *err);
void card_check_clear(card_check *r);

/* Whether node id may issue cards for members of state: the national office
 * for any state, a chapter for its own. SD_EAUTH naming who issues them
 * when not, or when the roster here lists id's key as revoked or replaced.
 * *unlisted (may be NULL) is set when a chapter's key is not (yet) in the
 * roster this node holds: its cards will be refused until it is. */
int card_may_issue(store *s, store_txn *txn, const ident *id, const char *state,
                   int *unlisted, sd_err *err);

/* The claim for member m (name from p, which must be held), issued today
 * by id (its key is set by card_sign). */
void card_claim_for(const Sadasya__MemberView *m, const Sadasya__Personal *p,
                    card_claim *out);

/* The names printed on a state's cards: the organisation (as the national
 * office set it with `rules --org-name`; until then the national node's
 * name, from its own identity or the first entry of its log, "" when this
 * node does not hold it) and the chapter (the roster's name for state;
 * this node's own name when it is that chapter; else the state code).
 * Returns 1 when the organisation's name is the one the national office
 * set, 0 when it is the national node's name in its stead. */
int card_names(store *s, store_txn *txn, const ident *id, const char *state,
               char *org, size_t org_cap, char *chapter, size_t chapter_cap);

#endif
