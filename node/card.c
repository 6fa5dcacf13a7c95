/*
 * card.c — issuing and checking the signed credential of a membership
 * card. See card.h.
 */
#include "card.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "day.h"
#include "roster.h"
#include "view.h"

/* Large enough for any well-formed credential: a claim is < 100 bytes. */
#define CARD_BIN_MAX ((CARD_PAYLOAD_MAX - sizeof CARD_PREFIX + 1) * 3 / 4 + 3)

void card_name_hash(const char *name, uint8_t out[CARD_NAME_HASH_BYTES])
{
    crypto_generichash(out, CARD_NAME_HASH_BYTES, (const unsigned char *)name,
                       strlen(name), NULL, 0);
}

/* The message a card's signature covers: the domain, then the claim. */
static uint8_t *signed_message(const uint8_t *claim, size_t len, size_t *mlen)
{
    size_t dl = sizeof CARD_DOMAIN - 1;
    uint8_t *m = malloc(dl + len);
    if (!m)
        return NULL;
    memcpy(m, CARD_DOMAIN, dl);
    memcpy(m + dl, claim, len);
    *mlen = dl + len;
    return m;
}

int card_sign(const keys_pair *kp, card_claim *claim,
              char out[CARD_PAYLOAD_MAX + 1], sd_err *err)
{
    char canon[NUMBER_MAX_LEN], state[NUMBER_STATE_MAX + 1];
    if (number_parse(claim->number, canon, state, NULL, err))
        return SD_EINVAL;
    if (strcmp(canon, claim->number) || strcmp(state, claim->state))
        return sd_errf(err, SD_EINVAL, "card claim for %s names state %s",
                       claim->number, claim->state);
    memcpy(claim->key, kp->pk, KEYS_PUBLIC_BYTES);

    Sadasya__CardClaim cc = SADASYA__CARD_CLAIM__INIT;
    cc.number = claim->number;
    cc.state = claim->state;
    cc.name_hash.data = claim->name_hash;
    cc.name_hash.len = CARD_NAME_HASH_BYTES;
    cc.joined_day = claim->joined_day;
    cc.key.data = claim->key;
    cc.key.len = KEYS_PUBLIC_BYTES;
    cc.issued_day = claim->issued_day;
    uint8_t cbuf[256], bin[CARD_BIN_MAX], sig[CARD_SIG_BYTES];
    size_t clen = sadasya__card_claim__get_packed_size(&cc);
    if (clen > sizeof cbuf)
        return sd_errf(err, SD_EINVAL, "card claim of %zu bytes", clen);
    sadasya__card_claim__pack(&cc, cbuf);

    size_t mlen;
    uint8_t *msg = signed_message(cbuf, clen, &mlen);
    if (!msg)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    crypto_sign_detached(sig, NULL, msg, mlen, kp->sk);
    free(msg);

    Sadasya__CardCredential cr = SADASYA__CARD_CREDENTIAL__INIT;
    cr.claim.data = cbuf;
    cr.claim.len = clen;
    cr.sig.data = sig;
    cr.sig.len = sizeof sig;
    size_t blen = sadasya__card_credential__get_packed_size(&cr);
    size_t pl = sizeof CARD_PREFIX - 1;
    if (blen > sizeof bin ||
        pl + sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING) >
            CARD_PAYLOAD_MAX + 1)
        return sd_errf(err, SD_EINVAL, "card credential of %zu bytes", blen);
    sadasya__card_credential__pack(&cr, bin);
    memcpy(out, CARD_PREFIX, pl);
    sodium_bin2base64(out + pl, CARD_PAYLOAD_MAX + 1 - pl, bin, blen,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return SD_OK;
}

/* Decodes the claim bytes into *claim; SD_EINVAL with the reason. */
static int claim_decode(const ProtobufCBinaryData *bytes, card_claim *claim,
                        sd_err *err)
{
    Sadasya__CardClaim *cc =
        sadasya__card_claim__unpack(NULL, bytes->len, bytes->data);
    if (!cc)
        return sd_errf(err, SD_EINVAL, "the card's claim does not decode");
    int rc = SD_OK;
    char canon[NUMBER_MAX_LEN], state[NUMBER_STATE_MAX + 1];
    sd_err nerr;
    if (number_parse(cc->number, canon, state, NULL, &nerr) ||
        strcmp(canon, cc->number))
        rc = sd_errf(err, SD_EINVAL, "the card's number \"%.20s\" is not valid",
                     cc->number);
    else if (strcmp(state, cc->state))
        rc = sd_errf(err, SD_EINVAL, "the card's number %s is not of state %.8s",
                     cc->number, cc->state);
    else if (cc->name_hash.len != CARD_NAME_HASH_BYTES)
        rc = sd_errf(err, SD_EINVAL, "the card's name hash is %zu bytes, not %d",
                     cc->name_hash.len, CARD_NAME_HASH_BYTES);
    else if (cc->key.len != KEYS_PUBLIC_BYTES)
        rc = sd_errf(err, SD_EINVAL, "the card's key is %zu bytes, not %d",
                     cc->key.len, KEYS_PUBLIC_BYTES);
    if (!rc) {
        memset(claim, 0, sizeof *claim);
        memcpy(claim->number, canon, sizeof canon);
        memcpy(claim->state, state, sizeof state);
        memcpy(claim->name_hash, cc->name_hash.data, CARD_NAME_HASH_BYTES);
        memcpy(claim->key, cc->key.data, KEYS_PUBLIC_BYTES);
        claim->joined_day = cc->joined_day;
        claim->issued_day = cc->issued_day;
    }
    sadasya__card_claim__free_unpacked(cc, NULL);
    return rc;
}

int card_open(const char *payload, card_claim *claim, sd_err *err)
{
    while (isspace((unsigned char)*payload))
        payload++;
    size_t n = strlen(payload);
    while (n && isspace((unsigned char)payload[n - 1]))
        n--;
    size_t pl = sizeof CARD_PREFIX - 1;
    if (n < pl || memcmp(payload, CARD_PREFIX, pl))
        return sd_errf(err, SD_EINVAL,
                       "not a sadasya card (the payload does not start with %s)",
                       CARD_PREFIX);
    if (n > CARD_PAYLOAD_MAX)
        return sd_errf(err, SD_EINVAL, "card payload of %zu characters (at most %d)",
                       n, CARD_PAYLOAD_MAX);
    /* libsodium 1.0.18 decodes some bytes outside the alphabet (0xff as
     * '_'): check the alphabet here, and below that the text is the one
     * encoding of its bytes, so that one card has one text. */
    for (size_t i = pl; i < n; i++) {
        char c = payload[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return sd_errf(err, SD_EINVAL,
                           "the card payload is not valid base64url (character %zu)",
                           i + 1);
    }
    uint8_t bin[CARD_BIN_MAX];
    size_t blen = 0;
    const char *end = NULL;
    if (sodium_base642bin(bin, sizeof bin, payload + pl, n - pl, NULL, &blen,
                          &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
        end != payload + n) {
        if (end && end < payload + n)
            return sd_errf(err, SD_EINVAL,
                           "the card payload is not valid base64url (character %zu)",
                           (size_t)(end - payload) + 1);
        return sd_errf(err, SD_EINVAL,
                       "the card payload is not valid base64url (its end is cut or "
                       "altered)");
    }

    char text[CARD_PAYLOAD_MAX + 1];
    if (sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING) >
            sizeof text ||
        !sodium_bin2base64(text, sizeof text, bin, blen,
                           sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
        strlen(text) != n - pl || memcmp(text, payload + pl, n - pl))
        return sd_errf(err, SD_EINVAL,
                       "the card payload is not valid base64url (its end is cut or "
                       "altered)");

    Sadasya__CardCredential *cr = sadasya__card_credential__unpack(NULL, blen, bin);
    if (!cr)
        return sd_errf(err, SD_EINVAL, "the card's credential does not decode");
    int rc = SD_OK;
    uint8_t again[CARD_BIN_MAX];
    if (cr->sig.len != CARD_SIG_BYTES)
        rc = sd_errf(err, SD_EINVAL, "the card's signature is %zu bytes, not %d",
                     cr->sig.len, CARD_SIG_BYTES);
    /* One encoding only: bytes that decode to the same fields some other
     * way (unknown fields, long varints) are not a card we issued. */
    else if (cr->base.n_unknown_fields ||
             sadasya__card_credential__get_packed_size(cr) != blen ||
             sadasya__card_credential__pack(cr, again) != blen ||
             memcmp(again, bin, blen))
        rc = sd_errf(err, SD_EINVAL, "the card's credential is not in canonical form");
    else
        rc = claim_decode(&cr->claim, claim, err);
    if (!rc) {
        size_t mlen;
        uint8_t *msg = signed_message(cr->claim.data, cr->claim.len, &mlen);
        if (!msg)
            rc = sd_errf(err, SD_ENOMEM, "out of memory");
        else if (crypto_sign_verify_detached(cr->sig.data, msg, mlen, claim->key))
            rc = sd_errf(err, SD_EAUTH,
                         "the signature does not match: the card was altered "
                         "or forged");
        free(msg);
    }
    sadasya__card_credential__free_unpacked(cr, NULL);
    return rc;
}

/* Is claim->key allowed to sign cards for claim->state here? */
static int check_signer(store *s, store_txn *txn, card_check *r, sd_err *err)
{
    const card_claim *c = &r->claim;
    char hex[KEYS_HEX_LEN + 1];
    roster_who who;
    int rc = roster_whois(s, txn, c->key, &who, err);
    if (rc)
        return rc;
    if (who.kind == ROSTER_WHO_NATIONAL) {
        r->signer = CARD_SIGNER_NATIONAL;
        return SD_OK;
    }
    keys_public_hex(c->key, hex);
    if (!who.listed)
        return sd_errf(err, SD_EAUTH,
                       "signed by an unknown key %s (not in this node's roster)",
                       hex);
    const roster_key *rk = &who.rk;
    if (strcmp(rk->state, c->state))
        return sd_errf(err, SD_EAUTH,
                       "signed by the key of %s, which does not issue cards "
                       "for %s members", rk->state, c->state);
    if (rk->flag == ROSTER_REPLACED && rk->last_seq != ROSTER_NO_CUT) {
        /* Handed over at a cut: still genuine for the members it registered
         * within its valid range (checked against the view below), so no
         * state-wide reprint when a secretary changes. A revoked key's
         * cards are refused: it is no longer trusted. */
        r->former_key = 1;
        r->signer = CARD_SIGNER_CHAPTER;
        return SD_OK;
    }
    if (rk->flag == ROSTER_REVOKED)
        return sd_errf(err, SD_EAUTH,
                       "signed by %s's key %s, which the roster has revoked",
                       rk->state, hex);
    if (rk->flag == ROSTER_REPLACED)
        return sd_errf(err, SD_EAUTH,
                       "signed by %s's former key %s, which the roster has "
                       "replaced (the chapter must issue a new card)",
                       rk->state, hex);
    if (who.kind != ROSTER_WHO_CHAPTER)
        return sd_errf(err, SD_ECORRUPT, "roster flag %d for key %s",
                       rk->flag, hex);
    r->signer = CARD_SIGNER_CHAPTER;
    return SD_OK;
}

int card_check_payload(store *s, store_txn *txn, const char *payload,
                       card_check *r, sd_err *err)
{
    memset(r, 0, sizeof *r);
    r->name_matches = -1;
    int rc = card_open(payload, &r->claim, err);
    if (rc)
        return rc;
    r->opened = 1;
    if ((rc = check_signer(s, txn, r, err)))
        return rc;

    const card_claim *c = &r->claim;
    rc = view_member_get(s, txn, c->number, &r->member, err);
    if (rc == SD_ENOTFOUND)
        return sd_errf(err, SD_ENOTFOUND,
                       "the signature is valid, but %s is not in this node's "
                       "view (sync or apply a bundle, then check again)",
                       c->number);
    if (rc)
        return rc;
    if (r->former_key && (r->member->origin.len != 32 ||
                          memcmp(r->member->origin.data, c->key, 32))) {
        char hex[KEYS_HEX_LEN + 1];
        keys_public_hex(c->key, hex);
        return sd_errf(err, SD_EAUTH,
                       "signed by %s's former key %s, which did not register "
                       "%s within its valid entries (a number it gave out "
                       "after its cut is void)", c->state, hex, c->number);
    }
    rc = view_personal_get(s, txn, r->member, &r->personal, err);
    if (rc && rc != SD_ENOTFOUND)
        return rc;
    if (r->personal) {
        uint8_t h[CARD_NAME_HASH_BYTES];
        card_name_hash(r->personal->name, h);
        r->name_matches = !sodium_memcmp(h, c->name_hash, sizeof h);
    }
    if (strcmp(r->member->state, c->state))
        return sd_errf(err, SD_ECONFLICT,
                       "the card says %s is of %s, the record says %s",
                       c->number, c->state, r->member->state);
    if (r->member->joined_day != c->joined_day) {
        char a[DAY_STR_LEN], b[DAY_STR_LEN];
        day_format(c->joined_day, a);
        day_format(r->member->joined_day, b);
        return sd_errf(err, SD_ECONFLICT,
                       "the card says %s joined on %s, the record says %s",
                       c->number, a, b);
    }
    return SD_OK;
}

void card_check_clear(card_check *r)
{
    if (r->member)
        sadasya__member_view__free_unpacked(r->member, NULL);
    if (r->personal)
        sadasya__personal__free_unpacked(r->personal, NULL);
    r->member = NULL;
    r->personal = NULL;
}

/* The chapter's display name, or "" when the roster does not list it. */
static void chapter_name(store *s, store_txn *txn, const char *state, char *out,
                         size_t cap)
{
    Sadasya__ChapterView *cv = NULL;
    out[0] = '\0';
    if (roster_chapter(s, txn, state, &cv, NULL) == SD_OK) {
        snprintf(out, cap, "%s", cv->chapter->name);
        sadasya__chapter_view__free_unpacked(cv, NULL);
    }
}

int card_may_issue(store *s, store_txn *txn, const ident *id, const char *state,
                   int *unlisted, sd_err *err)
{
    if (unlisted)
        *unlisted = 0;
    if (id->national)
        return SD_OK;
    if (strcmp(id->state, state)) {
        char name[IDENT_NAME_MAX];
        chapter_name(s, txn, state, name, sizeof name);
        return sd_errf(err, SD_EAUTH,
                       "cards of %s members are issued by the %s chapter's node%s%s%s "
                       "or the national office, not by this %s node",
                       state, state, name[0] ? " (" : "", name, name[0] ? ")" : "",
                       id->state);
    }
    roster_who who;
    int rc = roster_whois(s, txn, id->kp.pk, &who, err);
    if (rc)
        return rc;
    if (!who.listed) {
        if (unlisted)
            *unlisted = 1;
        return SD_OK;
    }
    if (strcmp(who.rk.state, state))
        return sd_errf(err, SD_EAUTH,
                       "the roster lists this node's key for %s, not for %s",
                       who.rk.state, state);
    if (who.kind == ROSTER_WHO_ENDED)
        return sd_errf(err, SD_EAUTH,
                       "the roster has %s this node's key: cards it signed "
                       "would be refused",
                       who.rk.flag == ROSTER_REVOKED ? "revoked" : "replaced");
    return SD_OK;
}

void card_claim_for(const Sadasya__MemberView *m, const Sadasya__Personal *p,
                    card_claim *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->number, sizeof out->number, "%s", m->number);
    snprintf(out->state, sizeof out->state, "%s", m->state);
    card_name_hash(p->name, out->name_hash);
    out->joined_day = m->joined_day;
    out->issued_day = day_today();
}

/* The national node's name, from the RosterUpdate that opens its log. */
static void national_node_name(store *s, store_txn *txn, char *out, size_t cap)
{
    uint8_t nk[KEYS_PUBLIC_BYTES];
    const uint8_t *sig, *bytes;
    size_t len;
    Sadasya__Entry *e = NULL;
    out[0] = '\0';
    if (roster_national_key(s, txn, nk, NULL) ||
        store_log_get(s, txn, nk, 1, &sig, &bytes, &len, NULL) ||
        entry_decode(bytes, len, &e, NULL))
        return;
    if (e->body_case == SADASYA__ENTRY__BODY_ROSTER && e->roster->national_name)
        snprintf(out, cap, "%s", e->roster->national_name);
    sadasya__entry__free_unpacked(e, NULL);
}

int card_names(store *s, store_txn *txn, const ident *id, const char *state,
               char *org, size_t org_cap, char *chapter, size_t chapter_cap)
{
    int set = roster_org_name(s, txn, org, org_cap);
    if (!set && id->national)
        snprintf(org, org_cap, "%s", id->name);
    else if (!set)
        national_node_name(s, txn, org, org_cap);
    if (!id->national && !strcmp(id->state, state))
        snprintf(chapter, chapter_cap, "%s", id->name);
    else
        chapter_name(s, txn, state, chapter, chapter_cap);
    if (!chapter[0])
        snprintf(chapter, chapter_cap, "%s", state);
    return set;
}
