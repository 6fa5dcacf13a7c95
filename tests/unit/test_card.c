/*
 * test_card.c — unit tests for node/card.c (the signed credential a card's
 * QR code carries) and node/card_render.c (drawing it, reading it back).
 *
 * A national node, BR (in the roster) and JH (not in it until a test adds
 * it); BR registers two members and the logs are carried both ways. Then:
 * a card signs and opens; every character and every byte of a payload
 * changed is refused; base64url and protobuf that are not exactly ours are
 * refused; a key other than the claim's, a key no roster lists, another
 * state's key, a revoked and a replaced key are refused with the reason;
 * a card is checked against the member in the view (unknown member,
 * another joined day) and reports a changed status instead of hiding it;
 * who may issue; and a rendered PNG gives its payload back through zbar.
 */
#include "helpers.h"

#include "card.h"
#include "card_read.h"
#include "card_render.h"
#include "day.h"
#include "view.h"

/* Under LeakSanitizer (tests/run.sh): fontconfig keeps its configuration
 * for the life of the process, by design. Leaks of ours still fail. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

typedef struct fed {
    char root[TH_PATH_MAX];
    th_node nat, br, jh;
    char numbers[2][NUMBER_MAX_LEN];
} fed;

static int setup(void **state)
{
    fed *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    th_tmpdir(f->root, "test_card");
    th_node_national(&f->nat, f->root, "nat");
    th_node_state(&f->br, f->root, "br", "BR", f->nat.pk);
    th_node_state(&f->jh, f->root, "jh", "JH", f->nat.pk);
    th_roster_add(&f->nat, "BR", f->br.pk);
    th_register(&f->br, 2, f->numbers);
    th_replicate(f->br.s, f->nat.s, f->br.pk);
    th_replicate(f->nat.s, f->br.s, f->nat.pk);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fed *f = *state;
    th_node_close(&f->nat);
    th_node_close(&f->br);
    th_node_close(&f->jh);
    th_rmrf(f->root);
    free(f);
    return 0;
}

/* --- helpers ---------------------------------------------------------------- */

/* The claim for a member as node `from` holds it (issued today). */
static void claim_of(th_node *from, const char *number, card_claim *c)
{
    MDB_txn *txn;
    Sadasya__MemberView *m = NULL;
    Sadasya__Personal *p = NULL;
    assert_int_equal(store_begin(from->s, 0, &txn, NULL), SD_OK);
    assert_int_equal(view_member_get(from->s, txn, number, &m, NULL), SD_OK);
    assert_int_equal(view_personal_get(from->s, txn, m, &p, NULL), SD_OK);
    card_claim_for(m, p, c);
    mdb_txn_abort(txn);
    sadasya__personal__free_unpacked(p, NULL);
    sadasya__member_view__free_unpacked(m, NULL);
}

/* A card for number signed with signer's key. */
static void issue(th_node *from, th_node *signer, const char *number,
                  char payload[CARD_PAYLOAD_MAX + 1])
{
    card_claim c;
    claim_of(from, number, &c);
    keys_pair kp;
    th_keys(signer, &kp);
    sd_err err;
    sd_err_clear(&err);
    if (card_sign(&kp, &c, payload, &err))
        fail_msg("card_sign: %s", err.msg);
}

static int check(th_node *on, const char *payload, card_check *r, sd_err *err)
{
    MDB_txn *txn;
    sd_err_clear(err);
    assert_int_equal(store_begin(on->s, 0, &txn, NULL), SD_OK);
    int rc = card_check_payload(on->s, txn, payload, r, err);
    mdb_txn_abort(txn);
    return rc;
}

/* Checks, expecting rc and a message containing want (NULL: any). */
static void expect(th_node *on, const char *payload, int rc, const char *want)
{
    card_check r;
    sd_err err;
    int got = check(on, payload, &r, &err);
    card_check_clear(&r);
    if (got != rc)
        fail_msg("expected %d, got %d (%s) for %s", rc, got, err.msg, payload);
    if (want && !strstr(err.msg, want))
        fail_msg("expected \"%s\" in \"%s\"", want, err.msg);
}

/* The credential's bytes from a payload, and a payload from bytes. */
static size_t payload_bytes(const char *payload, uint8_t *bin, size_t cap)
{
    size_t len = 0;
    const char *b64 = payload + strlen(CARD_PREFIX);
    assert_int_equal(sodium_base642bin(bin, cap, b64, strlen(b64), NULL, &len,
                                       NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    return len;
}

static void bytes_payload(const uint8_t *bin, size_t len, char *out, size_t cap)
{
    size_t pl = strlen(CARD_PREFIX);
    assert_true(pl + sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING) <= cap);
    memcpy(out, CARD_PREFIX, pl);
    sodium_bin2base64(out + pl, cap - pl, bin, len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* A credential whose claim names key `named` but is signed by kp. */
static void forge(const card_claim *c, const uint8_t named[32],
                  const keys_pair *kp, char *out, size_t cap)
{
    Sadasya__CardClaim cc = SADASYA__CARD_CLAIM__INIT;
    cc.number = (char *)c->number;
    cc.state = (char *)c->state;
    cc.name_hash.data = (uint8_t *)c->name_hash;
    cc.name_hash.len = CARD_NAME_HASH_BYTES;
    cc.joined_day = c->joined_day;
    cc.key.data = (uint8_t *)named;
    cc.key.len = 32;
    cc.issued_day = c->issued_day;
    uint8_t claim[256], msg[300], sig[64], bin[512];
    size_t clen = sadasya__card_claim__pack(&cc, claim);
    memcpy(msg, CARD_DOMAIN, strlen(CARD_DOMAIN));
    memcpy(msg + strlen(CARD_DOMAIN), claim, clen);
    crypto_sign_detached(sig, NULL, msg, strlen(CARD_DOMAIN) + clen, kp->sk);
    Sadasya__CardCredential cr = SADASYA__CARD_CREDENTIAL__INIT;
    cr.claim.data = claim;
    cr.claim.len = clen;
    cr.sig.data = sig;
    cr.sig.len = 64;
    bytes_payload(bin, sadasya__card_credential__pack(&cr, bin), out, cap);
}

/* --- the credential ----------------------------------------------------------- */

static void test_sign_open_roundtrip(void **state)
{
    fed *f = *state;
    char payload[CARD_PAYLOAD_MAX + 1];
    issue(&f->br, &f->br, f->numbers[0], payload);
    assert_memory_equal(payload, CARD_PREFIX, strlen(CARD_PREFIX));
    /* Short enough for a small QR code (version 10 at level M). */
    assert_true(strlen(payload) <= 213);

    card_claim c;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(card_open(payload, &c, &err), SD_OK);
    assert_string_equal(c.number, f->numbers[0]);
    assert_string_equal(c.state, "BR");
    assert_memory_equal(c.key, f->br.pk, 32);
    assert_int_equal(c.issued_day, day_today());
    uint32_t joined;
    assert_int_equal(day_parse("2026-09-15", &joined, NULL), SD_OK);
    assert_int_equal(c.joined_day, joined);
    uint8_t h[CARD_NAME_HASH_BYTES];
    card_name_hash("सदस्य", h);
    assert_memory_equal(c.name_hash, h, sizeof h);

    /* Surrounding white space, as QR readers add, is no harm. */
    char spaced[CARD_PAYLOAD_MAX + 8];
    snprintf(spaced, sizeof spaced, " %s\r\n", payload);
    assert_int_equal(card_open(spaced, &c, &err), SD_OK);
}

static void test_genuine_on_chapter_and_national(void **state)
{
    fed *f = *state;
    char payload[CARD_PAYLOAD_MAX + 1];
    issue(&f->br, &f->br, f->numbers[1], payload);
    th_node *on[] = { &f->br, &f->nat };
    for (int i = 0; i < 2; i++) {
        card_check r;
        sd_err err;
        if (check(on[i], payload, &r, &err))
            fail_msg("%s: %s", on[i]->dir, err.msg);
        assert_int_equal(r.signer, CARD_SIGNER_CHAPTER);
        assert_non_null(r.member);
        assert_string_equal(r.member->number, f->numbers[1]);
        assert_int_equal(r.member->status, SADASYA__STATUS__ACTIVE);
        assert_non_null(r.personal);
        assert_int_equal(r.name_matches, 1);
        card_check_clear(&r);
    }
    /* The national key is the trust anchor: its cards hold everywhere. */
    issue(&f->nat, &f->nat, f->numbers[1], payload);
    card_check r;
    sd_err err;
    assert_int_equal(check(&f->br, payload, &r, &err), SD_OK);
    assert_int_equal(r.signer, CARD_SIGNER_NATIONAL);
    card_check_clear(&r);
}

static void test_every_character_changed_is_refused(void **state)
{
    fed *f = *state;
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char payload[CARD_PAYLOAD_MAX + 1], bad[CARD_PAYLOAD_MAX + 1];
    issue(&f->br, &f->br, f->numbers[0], payload);
    size_t n = strlen(payload);
    card_claim c;
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 3; k++) {
            memcpy(bad, payload, n + 1);
            /* Three other characters of the alphabet at each position. */
            const char *at = strchr(alphabet, payload[i]);
            size_t j = at ? (size_t)(at - alphabet) : 0;
            bad[i] = alphabet[(j + 1 + (size_t)k * 21) % 64];
            if (bad[i] == payload[i])
                continue;
            int rc = card_open(bad, &c, NULL);
            if (rc != SD_EINVAL && rc != SD_EAUTH)
                fail_msg("changed character %zu ('%c' for '%c') accepted",
                         i, bad[i], payload[i]);
        }
    }
    /* Cut short, or one character longer. */
    memcpy(bad, payload, n + 1);
    bad[n - 1] = '\0';
    assert_int_not_equal(card_open(bad, &c, NULL), SD_OK);
    snprintf(bad, sizeof bad, "%sA", payload);
    assert_int_not_equal(card_open(bad, &c, NULL), SD_OK);
}

static void test_every_byte_changed_is_refused(void **state)
{
    fed *f = *state;
    char payload[CARD_PAYLOAD_MAX + 1], bad[CARD_PAYLOAD_MAX + 1];
    issue(&f->br, &f->br, f->numbers[0], payload);
    uint8_t bin[512], mod[512];
    size_t len = payload_bytes(payload, bin, sizeof bin);
    card_claim c;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(mod, bin, len);
            mod[i] ^= (uint8_t)(1u << bit);
            bytes_payload(mod, len, bad, sizeof bad);
            sd_err err;
            sd_err_clear(&err);
            int rc = card_open(bad, &c, &err);
            if (rc != SD_EINVAL && rc != SD_EAUTH)
                fail_msg("byte %zu bit %d flipped: accepted", i, bit);
        }
    }
}

static void test_not_our_encoding_is_refused(void **state)
{
    fed *f = *state;
    char payload[CARD_PAYLOAD_MAX + 1], bad[CARD_PAYLOAD_MAX + 64];
    issue(&f->br, &f->br, f->numbers[0], payload);
    card_claim c;
    sd_err err;
    size_t pl = strlen(CARD_PREFIX);
    const char *cases[] = { "", "SDY1", "SDY1:", "SDY1:!!!!", "SDY2:AAAA",
                            "https://example.org/card" };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sd_err_clear(&err);
        assert_int_equal(card_open(cases[i], &c, &err), SD_EINVAL);
        assert_true(err.msg[0]);
    }
    /* The prefix in another case. */
    snprintf(bad, sizeof bad, "sdy1:%s", payload + pl);
    assert_int_equal(card_open(bad, &c, NULL), SD_EINVAL);
    /* Padding, or the standard alphabet's + and /. */
    snprintf(bad, sizeof bad, "%s==", payload);
    assert_int_equal(card_open(bad, &c, NULL), SD_EINVAL);
    snprintf(bad, sizeof bad, "%s", payload);
    bad[pl + 3] = '+';
    assert_int_equal(card_open(bad, &c, NULL), SD_EINVAL);
    bad[pl + 3] = '/';
    assert_int_equal(card_open(bad, &c, NULL), SD_EINVAL);
    /* Bytes outside the alphabet that libsodium 1.0.18 decodes as if they
     * were in it (0xff as '_'; found by fuzz_card): each character of the
     * card is checked, so one card has one text. */
    snprintf(bad, sizeof bad, "%s", payload);
    char *u = strchr(bad + pl, '_');
    if (!u)
        u = strchr(bad + pl, '-');
    if (u) {
        *u = (char)0xff;
        sd_err_clear(&err);
        assert_int_equal(card_open(bad, &c, &err), SD_EINVAL);
        assert_non_null(strstr(err.msg, "base64url"));
    }
    for (int b = 0x80; b <= 0xff; b++) {
        snprintf(bad, sizeof bad, "%s", payload);
        bad[pl + 5] = (char)b;
        assert_int_equal(card_open(bad, &c, NULL), SD_EINVAL);
    }
    /* Too long to be a card. */
    memset(bad, 'A', sizeof bad - 1);
    memcpy(bad, CARD_PREFIX, pl);
    bad[sizeof bad - 1] = '\0';
    sd_err_clear(&err);
    assert_int_equal(card_open(bad, &c, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "at most"));

    /* Valid protobuf that is not the canonical encoding: an unknown field
     * added to the credential, and the claim field with a padded length. */
    uint8_t bin[512];
    size_t len = payload_bytes(payload, bin, sizeof bin);
    bin[len] = 0x18; /* field 3, varint */
    bin[len + 1] = 0x01;
    bytes_payload(bin, len + 2, bad, sizeof bad);
    sd_err_clear(&err);
    assert_int_equal(card_open(bad, &c, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "canonical"));
    assert_int_equal(bin[0], 0x0a);       /* field 1, bytes */
    assert_true(bin[1] < 0x80);           /* a one-byte length */
    uint8_t pad[512];
    pad[0] = 0x0a;
    pad[1] = (uint8_t)(bin[1] | 0x80);    /* the same length in two bytes */
    pad[2] = 0x00;
    memcpy(pad + 3, bin + 2, len - 2);
    bytes_payload(pad, len + 1, bad, sizeof bad);
    assert_int_equal(card_open(bad, &c, NULL), SD_EINVAL);
}

static void test_wrong_key_is_refused(void **state)
{
    fed *f = *state;
    card_claim c;
    claim_of(&f->br, f->numbers[0], &c);
    keys_pair br, jh;
    th_keys(&f->br, &br);
    th_keys(&f->jh, &jh);
    char payload[CARD_PAYLOAD_MAX + 1];

    /* The claim names BR's key but JH signed it. */
    forge(&c, f->br.pk, &jh, payload, sizeof payload);
    card_claim got;
    sd_err err;
    sd_err_clear(&err);
    assert_int_equal(card_open(payload, &got, &err), SD_EAUTH);
    assert_non_null(strstr(err.msg, "signature does not match"));
    expect(&f->nat, payload, SD_EAUTH, "signature does not match");

    /* JH signed it honestly, but no roster here lists JH's key. */
    forge(&c, f->jh.pk, &jh, payload, sizeof payload);
    assert_int_equal(card_open(payload, &got, NULL), SD_OK);
    expect(&f->nat, payload, SD_EAUTH, "unknown key");
    expect(&f->br, payload, SD_EAUTH, "unknown key");

    /* Once listed, JH's key is JH's: it does not sign BR's cards. */
    th_roster_add(&f->nat, "JH", f->jh.pk);
    expect(&f->nat, payload, SD_EAUTH, "does not issue cards for BR");
}

static void test_revoked_and_replaced_keys_are_refused(void **state)
{
    fed *f = *state;
    char payload[CARD_PAYLOAD_MAX + 1];
    issue(&f->br, &f->br, f->numbers[0], payload);
    expect(&f->nat, payload, SD_OK, NULL);
    th_roster_revoke(&f->nat, "BR");
    expect(&f->nat, payload, SD_EAUTH, "revoked");

    /* A new key for BR: the old one stays revoked, its cards refused. */
    th_roster_add(&f->nat, "BR", f->jh.pk);
    expect(&f->nat, payload, SD_EAUTH, "revoked");
}

/* node/README.md: a key handed over with a cut still vouches for the members
 * it registered within its valid entries; not for a number past its cut. */
static void test_handed_over_key_cards_stay_genuine(void **state)
{
    fed *f = *state;
    char payload[CARD_PAYLOAD_MAX + 1];
    issue(&f->br, &f->br, f->numbers[0], payload);
    expect(&f->nat, payload, SD_OK, NULL);
    keys_pair next;
    assert_int_equal(keys_generate(&next), 0);
    th_roster_cut(&f->nat, "BR", f->br.pk, 1000, next.pk, 1000);
    expect(&f->nat, payload, SD_OK, NULL);

    /* The old key signing for a number it never registered is refused. */
    keys_pair br;
    th_keys(&f->br, &br);
    card_claim c;
    claim_of(&f->br, f->numbers[0], &c);
    char number[NUMBER_MAX_LEN];
    assert_int_equal(number_format(number, "BR", 1000, NULL), SD_OK);
    snprintf(c.number, sizeof c.number, "%s", number);
    assert_int_equal(card_sign(&br, &c, payload, NULL), SD_OK);
    expect(&f->nat, payload, SD_ENOTFOUND, NULL);

    /* A revocation without a cut (written before epochs) refuses them. */
    issue(&f->br, &f->br, f->numbers[0], payload);
    th_roster_revoke(&f->nat, "BR");
    expect(&f->nat, payload, SD_OK, NULL); /* the old key's cut still holds */
}

static void test_checked_against_the_view(void **state)
{
    fed *f = *state;
    keys_pair br;
    th_keys(&f->br, &br);
    char payload[CARD_PAYLOAD_MAX + 1];

    /* A well-signed card for a member this node has never heard of. */
    card_claim c;
    claim_of(&f->br, f->numbers[0], &c);
    char number[NUMBER_MAX_LEN];
    assert_int_equal(number_format(number, "BR", 77, NULL), SD_OK);
    snprintf(c.number, sizeof c.number, "%s", number);
    assert_int_equal(card_sign(&br, &c, payload, NULL), SD_OK);
    expect(&f->nat, payload, SD_ENOTFOUND, "not in this node's view");

    /* A real member, but not the day the member joined. */
    claim_of(&f->br, f->numbers[0], &c);
    c.joined_day += 1;
    assert_int_equal(card_sign(&br, &c, payload, NULL), SD_OK);
    expect(&f->nat, payload, SD_ECONFLICT, "joined");

    /* A name other than the member's: genuine, but said. */
    claim_of(&f->br, f->numbers[0], &c);
    card_name_hash("किसी और का नाम", c.name_hash);
    assert_int_equal(card_sign(&br, &c, payload, NULL), SD_OK);
    card_check r;
    sd_err err;
    assert_int_equal(check(&f->nat, payload, &r, &err), SD_OK);
    assert_int_equal(r.name_matches, 0);
    card_check_clear(&r);
}

static void test_status_is_shown_not_hidden(void **state)
{
    fed *f = *state;
    char payload[CARD_PAYLOAD_MAX + 1];
    issue(&f->br, &f->br, f->numbers[0], payload);

    Sadasya__MemberStatus ms = SADASYA__MEMBER_STATUS__INIT;
    ms.number = f->numbers[0];
    ms.status = SADASYA__STATUS__RESIGNED;
    ms.reason = "moved abroad";
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_STATUS;
    e.status = &ms;
    th_commit_body(&f->br, &e, NULL, 0);
    th_replicate(f->br.s, f->nat.s, f->br.pk);

    th_node *on[] = { &f->br, &f->nat };
    for (int i = 0; i < 2; i++) {
        card_check r;
        sd_err err;
        assert_int_equal(check(on[i], payload, &r, &err), SD_OK);
        assert_int_equal(r.member->status, SADASYA__STATUS__RESIGNED);
        assert_string_equal(r.member->status_reason, "moved abroad");
        card_check_clear(&r);
    }
}

static void test_who_may_issue(void **state)
{
    fed *f = *state;
    ident br, nat, jh;
    sd_err err;
    assert_int_equal(ident_load(f->br.s, &br, NULL), SD_OK);
    assert_int_equal(ident_load(f->nat.s, &nat, NULL), SD_OK);
    assert_int_equal(ident_load(f->jh.s, &jh, NULL), SD_OK);
    MDB_txn *txn;
    int unlisted = -1;

    assert_int_equal(store_begin(f->br.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(card_may_issue(f->br.s, txn, &br, "BR", &unlisted, NULL), SD_OK);
    assert_int_equal(unlisted, 0);
    sd_err_clear(&err);
    assert_int_equal(card_may_issue(f->br.s, txn, &br, "JH", NULL, &err), SD_EAUTH);
    assert_non_null(strstr(err.msg, "JH chapter"));
    mdb_txn_abort(txn);

    assert_int_equal(store_begin(f->nat.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(card_may_issue(f->nat.s, txn, &nat, "BR", NULL, NULL), SD_OK);
    mdb_txn_abort(txn);

    /* JH is not in the roster JH holds (it has no national log yet). */
    assert_int_equal(store_begin(f->jh.s, 0, &txn, NULL), SD_OK);
    assert_int_equal(card_may_issue(f->jh.s, txn, &jh, "JH", &unlisted, NULL), SD_OK);
    assert_int_equal(unlisted, 1);
    mdb_txn_abort(txn);

    /* Once BR's key is revoked and BR hears of it, it issues no more. */
    th_roster_revoke(&f->nat, "BR");
    th_replicate(f->nat.s, f->br.s, f->nat.pk);
    assert_int_equal(store_begin(f->br.s, 0, &txn, NULL), SD_OK);
    sd_err_clear(&err);
    assert_int_equal(card_may_issue(f->br.s, txn, &br, "BR", NULL, &err), SD_EAUTH);
    assert_non_null(strstr(err.msg, "revoked"));
    mdb_txn_abort(txn);
    sodium_memzero(&br, sizeof br);
    sodium_memzero(&nat, sizeof nat);
    sodium_memzero(&jh, sizeof jh);
}

static void test_names_on_the_card(void **state)
{
    fed *f = *state;
    ident br, nat;
    assert_int_equal(ident_load(f->br.s, &br, NULL), SD_OK);
    assert_int_equal(ident_load(f->nat.s, &nat, NULL), SD_OK);
    char org[IDENT_NAME_MAX], chapter[IDENT_NAME_MAX];
    MDB_txn *txn;
    assert_int_equal(store_begin(f->br.s, 0, &txn, NULL), SD_OK);
    card_names(f->br.s, txn, &br, "BR", org, sizeof org, chapter, sizeof chapter);
    assert_string_equal(org, "National Office");
    assert_string_equal(chapter, "State Chapter");
    mdb_txn_abort(txn);
    assert_int_equal(store_begin(f->nat.s, 0, &txn, NULL), SD_OK);
    card_names(f->nat.s, txn, &nat, "BR", org, sizeof org, chapter, sizeof chapter);
    assert_string_equal(org, "National Office");
    assert_string_equal(chapter, "Chapter"); /* the roster's name */
    card_names(f->nat.s, txn, &nat, "MP", org, sizeof org, chapter, sizeof chapter);
    assert_string_equal(chapter, "MP");
    mdb_txn_abort(txn);
    sodium_memzero(&br, sizeof br);
    sodium_memzero(&nat, sizeof nat);
}

/* --- the picture ----------------------------------------------------------------- */

static void test_render_and_read_back(void **state)
{
    fed *f = *state;
    char payload[CARD_PAYLOAD_MAX + 1];
    issue(&f->br, &f->br, f->numbers[0], payload);
    card_renderer *r = NULL;
    sd_err err;
    sd_err_clear(&err);
    if (card_renderer_new(&r, &err))
        fail_msg("card_renderer_new: %s", err.msg);
    card_face face = { "राष्ट्रीय कार्यालय", "बिहार", "BR", "क्षत्रिय",
                       "Kshatriya", f->numbers[0], 20700, payload };
    char png[TH_PATH_MAX + 32], svg[TH_PATH_MAX + 32], name[TH_PATH_MAX + 32];
    snprintf(png, sizeof png, "%s/card.PNG", f->root);
    snprintf(svg, sizeof svg, "%s/card.svg", f->root);
    snprintf(name, sizeof name, "%s/name.png", f->root);
    assert_int_equal(card_render(r, &face, png, &err), SD_OK);
    assert_int_equal(card_render(r, &face, svg, &err), SD_OK);
    struct stat st;
    assert_int_equal(stat(png, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    char got[CARD_PAYLOAD_MAX * 2];
    assert_int_equal(card_qr_read(png, got, sizeof got, &err), SD_OK);
    assert_string_equal(got, payload);

    FILE *fp = fopen(svg, "r");
    assert_non_null(fp);
    char head[64] = "";
    assert_non_null(fgets(head, sizeof head, fp));
    fclose(fp);
    assert_non_null(strstr(head, "<?xml"));

    /* The SVG card reads back too (librsvg). */
    memset(got, 0, sizeof got);
    assert_int_equal(card_qr_read(svg, got, sizeof got, &err), SD_OK);
    assert_string_equal(got, payload);

    /* Wrong extension; a file that is no image; no file; no QR code. */
    char bad[TH_PATH_MAX + 32], pdf[TH_PATH_MAX + 32];
    snprintf(bad, sizeof bad, "%s/card.jpg", f->root);
    assert_int_equal(card_render(r, &face, bad, &err), SD_EINVAL);
    assert_int_equal(stat(bad, &st), -1);
    snprintf(pdf, sizeof pdf, "%s/card.pdf", f->root);
    fp = fopen(pdf, "w");
    assert_non_null(fp);
    fputs("%PDF-1.7\n", fp);
    fclose(fp);
    sd_err_clear(&err);
    assert_int_equal(card_qr_read(pdf, got, sizeof got, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "not an image (a PDF?)"));
    assert_int_equal(card_qr_read(bad, got, sizeof got, &err), SD_ENOTFOUND);
    assert_int_equal(card_render_name(r, "क्षत्रिय", name, &err), SD_OK);
    sd_err_clear(&err);
    assert_int_equal(card_qr_read(name, got, sizeof got, &err), SD_ENOTFOUND);
    assert_non_null(strstr(err.msg, "no QR code"));
    card_renderer_destroy(&r);
    assert_null(r);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        T(test_sign_open_roundtrip),
        T(test_genuine_on_chapter_and_national),
        T(test_every_character_changed_is_refused),
        T(test_every_byte_changed_is_refused),
        T(test_not_our_encoding_is_refused),
        T(test_wrong_key_is_refused),
        T(test_revoked_and_replaced_keys_are_refused),
        T(test_handed_over_key_cards_stay_genuine),
        T(test_checked_against_the_view),
        T(test_status_is_shown_not_hidden),
        T(test_who_may_issue),
        T(test_names_on_the_card),
        T(test_render_and_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
