/*
 * test_entry.c — unit tests for node/entry.c: signatures over the domain
 * prefix and the exact entry bytes (checked with plain libsodium, as an
 * auditor would), the chain hash BLAKE2b-256(entry || sig) computed here
 * independently, the shape checks of entry_decode, and the sealing and
 * decoding of Personal blobs.
 */
#include "helpers.h"

#include "entry.h"

static Sadasya__MemberJoined joined_body(void)
{
    static uint8_t ph[ENTRY_HASH_BYTES] = { 7, 7, 7 };
    Sadasya__MemberJoined j = SADASYA__MEMBER_JOINED__INIT;
    j.number = (char *)"BR-0000001-5";
    j.personal_hash.data = ph;
    j.personal_hash.len = sizeof ph;
    j.gender = SADASYA__GENDER__FEMALE;
    j.district = (char *)"Patna";
    j.fee_paise = 1100;
    return j;
}

/* A signed seq-1 entry of kp with a MemberJoined body. */
static void make_signed(const keys_pair *kp, entry_signed *es)
{
    Sadasya__MemberJoined j = joined_body();
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.body_case = SADASYA__ENTRY__BODY_JOINED;
    e.joined = &j;
    th_sign(kp, &e, 1, NULL, es);
}

static void test_sign_verify_roundtrip(void **state)
{
    (void)state;
    keys_pair kp;
    assert_int_equal(keys_generate(&kp), SD_OK);
    entry_signed es;
    make_signed(&kp, &es);
    assert_true(entry_verify_sig(kp.pk, es.entry, es.entry_len, es.sig));

    /* The auditor's promise: plain Ed25519 over domain || entry bytes. */
    size_t dl = strlen(ENTRY_DOMAIN);
    uint8_t *msg = malloc(dl + es.entry_len);
    assert_non_null(msg);
    memcpy(msg, ENTRY_DOMAIN, dl);
    memcpy(msg + dl, es.entry, es.entry_len);
    assert_int_equal(crypto_sign_verify_detached(es.sig, msg, dl + es.entry_len,
                                                 kp.pk),
                     0);
    /* ...and not over the bare entry bytes. */
    assert_int_not_equal(
        crypto_sign_verify_detached(es.sig, es.entry, es.entry_len, kp.pk), 0);
    free(msg);
    entry_signed_clear(&es);
    assert_null(es.entry);
}

static void test_sign_verify_large_entry(void **state)
{
    (void)state;
    /* Past the on-stack message buffer: the heap path must agree. */
    keys_pair kp;
    assert_int_equal(keys_generate(&kp), SD_OK);
    size_t len = 5000;
    uint8_t *bytes = malloc(len);
    assert_non_null(bytes);
    randombytes_buf(bytes, len);
    uint8_t sig[ENTRY_SIG_BYTES];
    entry_sign(&kp, bytes, len, sig);
    assert_true(entry_verify_sig(kp.pk, bytes, len, sig));
    bytes[len - 1] ^= 1;
    assert_false(entry_verify_sig(kp.pk, bytes, len, sig));
    free(bytes);
}

static void test_verify_wrong_key(void **state)
{
    (void)state;
    keys_pair kp, other;
    assert_int_equal(keys_generate(&kp), SD_OK);
    assert_int_equal(keys_generate(&other), SD_OK);
    entry_signed es;
    make_signed(&kp, &es);
    assert_false(entry_verify_sig(other.pk, es.entry, es.entry_len, es.sig));
    entry_signed_clear(&es);
}

static void test_verify_flipped_entry_byte(void **state)
{
    (void)state;
    keys_pair kp;
    assert_int_equal(keys_generate(&kp), SD_OK);
    entry_signed es;
    make_signed(&kp, &es);
    for (size_t i = 0; i < es.entry_len; i += 7) {
        es.entry[i] ^= 0x01;
        assert_false(entry_verify_sig(kp.pk, es.entry, es.entry_len, es.sig));
        es.entry[i] ^= 0x01;
    }
    assert_true(entry_verify_sig(kp.pk, es.entry, es.entry_len, es.sig));
    /* One byte shorter is another message too. */
    assert_false(entry_verify_sig(kp.pk, es.entry, es.entry_len - 1, es.sig));
    entry_signed_clear(&es);
}

static void test_verify_flipped_sig_byte(void **state)
{
    (void)state;
    keys_pair kp;
    assert_int_equal(keys_generate(&kp), SD_OK);
    entry_signed es;
    make_signed(&kp, &es);
    for (size_t i = 0; i < ENTRY_SIG_BYTES; i++) {
        es.sig[i] ^= 0x80;
        assert_false(entry_verify_sig(kp.pk, es.entry, es.entry_len, es.sig));
        es.sig[i] ^= 0x80;
    }
    assert_true(entry_verify_sig(kp.pk, es.entry, es.entry_len, es.sig));
    entry_signed_clear(&es);
}

static void test_hash_is_blake2b_of_entry_and_sig(void **state)
{
    (void)state;
    keys_pair kp;
    assert_int_equal(keys_generate(&kp), SD_OK);
    entry_signed es;
    make_signed(&kp, &es);

    uint8_t *cat = malloc(es.entry_len + ENTRY_SIG_BYTES);
    assert_non_null(cat);
    memcpy(cat, es.entry, es.entry_len);
    memcpy(cat + es.entry_len, es.sig, ENTRY_SIG_BYTES);
    uint8_t want[32], got[ENTRY_HASH_BYTES];
    assert_int_equal(crypto_generichash(want, sizeof want, cat,
                                        es.entry_len + ENTRY_SIG_BYTES, NULL, 0),
                     0);
    entry_hash(es.entry, es.entry_len, es.sig, got);
    assert_int_equal(ENTRY_HASH_BYTES, 32);
    assert_memory_equal(got, want, 32);

    /* The signature is part of what is hashed. */
    es.sig[0] ^= 1;
    entry_hash(es.entry, es.entry_len, es.sig, got);
    assert_memory_not_equal(got, want, 32);
    free(cat);
    entry_signed_clear(&es);
}

static void test_personal_hash_is_blake2b(void **state)
{
    (void)state;
    const uint8_t blob[] = "not really a Personal message";
    uint8_t want[32], got[ENTRY_HASH_BYTES];
    crypto_generichash(want, sizeof want, blob, sizeof blob, NULL, 0);
    entry_personal_hash(blob, sizeof blob, got);
    assert_memory_equal(got, want, 32);
}

/* --- decoding ----------------------------------------------------------- */

static int decode_rc(const uint8_t *bytes, size_t len, sd_err *err)
{
    Sadasya__Entry *e = (Sadasya__Entry *)&e; /* must be reset to NULL */
    sd_err_clear(err);
    int rc = entry_decode(bytes, len, &e, err);
    if (rc == SD_OK) {
        assert_non_null(e);
        sadasya__entry__free_unpacked(e, NULL);
    } else {
        assert_null(e);
        assert_int_equal(err->code, rc);
        assert_true(strlen(err->msg) > 0);
    }
    return rc;
}

/* Encodes e with the fields given as they are (no fixing up). */
static int decode_of(const Sadasya__Entry *e, sd_err *err)
{
    size_t n = sadasya__entry__get_packed_size(e);
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    sadasya__entry__pack(e, buf);
    int rc = decode_rc(buf, n, err);
    free(buf);
    return rc;
}

static void test_decode_accepts_good(void **state)
{
    (void)state;
    keys_pair kp;
    assert_int_equal(keys_generate(&kp), SD_OK);
    entry_signed es;
    make_signed(&kp, &es);
    Sadasya__Entry *e = NULL;
    sd_err err;
    assert_int_equal(entry_decode(es.entry, es.entry_len, &e, &err), SD_OK);
    assert_int_equal(e->seq, 1);
    assert_memory_equal(e->origin.data, kp.pk, 32);
    assert_int_equal(e->body_case, SADASYA__ENTRY__BODY_JOINED);
    assert_string_equal(e->joined->number, "BR-0000001-5");
    assert_string_equal(entry_kind(e), "joined");
    const ProtobufCBinaryData *c = entry_personal_commitment(e);
    assert_non_null(c);
    assert_int_equal(c->len, 32);
    assert_int_equal(c->data[0], 7);
    sadasya__entry__free_unpacked(e, NULL);
    entry_signed_clear(&es);
}

static void test_decode_rejects_garbage_empty_oversized(void **state)
{
    (void)state;
    sd_err err;
    /* An invalid wire type, then a truncated varint. */
    const uint8_t garbage1[] = { 0xff, 0xff, 0xff, 0xff, 0xff };
    const uint8_t garbage2[] = { 0x10, 0x80, 0x80 };
    assert_int_equal(decode_rc(garbage1, sizeof garbage1, &err), SD_EINVAL);
    assert_int_equal(decode_rc(garbage2, sizeof garbage2, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "decode"));
    uint8_t empty = 0;
    assert_int_equal(decode_rc(&empty, 0, &err), SD_EINVAL);

    /* A well-formed entry whose body makes it one byte too large. */
    keys_pair kp;
    assert_int_equal(keys_generate(&kp), SD_OK);
    uint8_t prev[32] = { 0 };
    Sadasya__MemberStatus st = SADASYA__MEMBER_STATUS__INIT;
    st.number = (char *)"BR-0000001-5";
    st.status = SADASYA__STATUS__INACTIVE;
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.origin.data = kp.pk;
    e.origin.len = 32;
    e.seq = 1;
    e.prev.data = prev;
    e.prev.len = 32;
    e.body_case = SADASYA__ENTRY__BODY_STATUS;
    e.status = &st;
    size_t base = sadasya__entry__get_packed_size(&e);
    /* Length prefixes grow as the reason does: aim a little low, then
     * correct once (the prefixes' widths no longer change by then). */
    size_t rlen = ENTRY_MAX_BYTES - base - 16;
    char *reason = malloc(ENTRY_MAX_BYTES);
    assert_non_null(reason);
    for (int round = 0;; round++) {
        assert_true(round < 3);
        memset(reason, 'x', rlen);
        reason[rlen] = '\0';
        st.reason = reason;
        size_t n = sadasya__entry__get_packed_size(&e);
        if (n == ENTRY_MAX_BYTES + 1)
            break;
        rlen = rlen + (ENTRY_MAX_BYTES + 1) - n;
    }
    size_t n = sadasya__entry__get_packed_size(&e);
    uint8_t *big = malloc(n);
    assert_non_null(big);
    assert_int_equal(sadasya__entry__pack(&e, big), n);
    assert_int_equal(decode_rc(big, n, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "limit"));
    /* Exactly at the limit is fine. */
    reason[rlen - 1] = '\0';
    n = sadasya__entry__get_packed_size(&e);
    assert_int_equal(n, ENTRY_MAX_BYTES);
    assert_int_equal(sadasya__entry__pack(&e, big), n);
    assert_int_equal(decode_rc(big, n, &err), SD_OK);

    /* entry_encode refuses the oversized one too. */
    reason[rlen - 1] = 'x';
    uint8_t *out = NULL;
    size_t olen = 0;
    assert_int_equal(entry_encode(&e, &out, &olen, &err), SD_EINVAL);
    assert_null(out);
    free(big);
    free(reason);
}

static void test_decode_rejects_bad_shape(void **state)
{
    (void)state;
    sd_err err;
    uint8_t key[33], prev[33];
    randombytes_buf(key, sizeof key);
    memset(prev, 0, sizeof prev);
    Sadasya__MemberStatus st = SADASYA__MEMBER_STATUS__INIT;
    st.number = (char *)"BR-0000001-5";
    st.status = SADASYA__STATUS__INACTIVE;
    Sadasya__Entry good = SADASYA__ENTRY__INIT;
    good.origin.data = key;
    good.origin.len = 32;
    good.seq = 1;
    good.prev.data = prev;
    good.prev.len = 32;
    good.body_case = SADASYA__ENTRY__BODY_STATUS;
    good.status = &st;
    assert_int_equal(decode_of(&good, &err), SD_OK);

    Sadasya__Entry e = good;
    e.origin.len = 31;
    assert_int_equal(decode_of(&e, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "origin"));
    e.origin.len = 33;
    assert_int_equal(decode_of(&e, &err), SD_EINVAL);
    e.origin.len = 0;
    assert_int_equal(decode_of(&e, &err), SD_EINVAL);

    e = good;
    e.prev.len = 31;
    assert_int_equal(decode_of(&e, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "prev"));

    e = good;
    e.seq = 0;
    assert_int_equal(decode_of(&e, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "seq is 0"));

    e = good;
    prev[31] = 1;
    assert_int_equal(decode_of(&e, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "seq 1"));
    e.seq = 2; /* a non-zero prev is what seq 2 needs */
    assert_int_equal(decode_of(&e, &err), SD_OK);
    prev[31] = 0;

    e = good;
    e.body_case = SADASYA__ENTRY__BODY__NOT_SET;
    e.status = NULL;
    assert_int_equal(decode_of(&e, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "no body"));
}

static void test_encode_decode_roundtrip(void **state)
{
    (void)state;
    uint8_t key[32], prev[32];
    randombytes_buf(key, sizeof key);
    randombytes_buf(prev, sizeof prev);
    Sadasya__MemberUpdated u = SADASYA__MEMBER_UPDATED__INIT;
    u.number = (char *)"BR-0000001-5";
    u.district = (char *)"Gaya";
    Sadasya__Entry e = SADASYA__ENTRY__INIT;
    e.origin.data = key;
    e.origin.len = 32;
    e.seq = 9;
    e.prev.data = prev;
    e.prev.len = 32;
    e.time_ms = 123456789;
    e.body_case = SADASYA__ENTRY__BODY_UPDATED;
    e.updated = &u;
    uint8_t *buf;
    size_t len;
    sd_err err;
    assert_int_equal(entry_encode(&e, &buf, &len, &err), SD_OK);
    Sadasya__Entry *d = NULL;
    assert_int_equal(entry_decode(buf, len, &d, &err), SD_OK);
    assert_int_equal(d->seq, 9);
    assert_int_equal(d->time_ms, 123456789);
    assert_memory_equal(d->prev.data, prev, 32);
    assert_string_equal(d->updated->district, "Gaya");
    assert_string_equal(entry_kind(d), "updated");
    /* An update without a new Personal blob commits to none. */
    assert_null(entry_personal_commitment(d));
    sadasya__entry__free_unpacked(d, NULL);
    free(buf);
}

/* --- Personal blobs ------------------------------------------------------ */

static void test_personal_seal(void **state)
{
    (void)state;
    Sadasya__Personal p = SADASYA__PERSONAL__INIT;
    p.name = (char *)"राम कुमार";
    p.name_en = (char *)"Ram Kumar";
    p.phone = (char *)"9876543210";
    p.birth_year = 1990;
    uint8_t *b1, *b2;
    size_t l1, l2;
    uint8_t h1[ENTRY_HASH_BYTES], h2[ENTRY_HASH_BYTES], want[32];
    sd_err err;
    assert_int_equal(entry_personal_seal(&p, &b1, &l1, h1, &err), SD_OK);
    assert_int_equal(entry_personal_seal(&p, &b2, &l2, h2, &err), SD_OK);
    /* The seal does not leave pointers to its stack salt behind. */
    assert_null(p.salt.data);
    assert_int_equal(p.salt.len, 0);

    crypto_generichash(want, sizeof want, b1, l1, NULL, 0);
    assert_memory_equal(h1, want, 32);
    crypto_generichash(want, sizeof want, b2, l2, NULL, 0);
    assert_memory_equal(h2, want, 32);
    /* Same data, fresh random salt: different blobs and hashes. */
    assert_int_equal(l1, l2);
    assert_memory_not_equal(b1, b2, l1);
    assert_memory_not_equal(h1, h2, 32);

    Sadasya__Personal *d = NULL;
    assert_int_equal(entry_personal_decode(b1, l1, &d, &err), SD_OK);
    assert_int_equal(d->salt.len, ENTRY_SALT_BYTES);
    assert_string_equal(d->name, "राम कुमार");
    assert_string_equal(d->phone, "9876543210");
    assert_int_equal(d->birth_year, 1990);
    Sadasya__Personal *d2 = NULL;
    assert_int_equal(entry_personal_decode(b2, l2, &d2, &err), SD_OK);
    assert_memory_not_equal(d->salt.data, d2->salt.data, ENTRY_SALT_BYTES);
    sadasya__personal__free_unpacked(d, NULL);
    sadasya__personal__free_unpacked(d2, NULL);
    free(b1);
    free(b2);
}

static int personal_decode_rc(const char *name, const char *address)
{
    Sadasya__Personal p = SADASYA__PERSONAL__INIT;
    p.name = (char *)name;
    p.address = (char *)address;
    size_t n = sadasya__personal__get_packed_size(&p);
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    sadasya__personal__pack(&p, buf);
    Sadasya__Personal *d = (Sadasya__Personal *)&d;
    sd_err err;
    sd_err_clear(&err);
    int rc = entry_personal_decode(buf, n, &d, &err);
    if (rc)
        assert_null(d);
    else
        sadasya__personal__free_unpacked(d, NULL);
    free(buf);
    return rc;
}

static void test_personal_decode_rejects_bad_text(void **state)
{
    (void)state;
    assert_int_equal(personal_decode_rc("सीता", "Patna"), SD_OK);
    assert_int_equal(personal_decode_rc("\xc0\xaf", ""), SD_EINVAL);   /* overlong */
    assert_int_equal(personal_decode_rc("ab\xe0\xa4", ""), SD_EINVAL); /* truncated */
    assert_int_equal(personal_decode_rc("\xff", ""), SD_EINVAL);
    assert_int_equal(personal_decode_rc("ok", "line\x01"), SD_EINVAL); /* control */
}

static void test_personal_decode_rejects_garbage_and_size(void **state)
{
    (void)state;
    Sadasya__Personal *d = NULL;
    sd_err err;
    const uint8_t garbage[] = { 0x12, 0x7f, 'a' }; /* name claims 127 bytes */
    assert_int_equal(entry_personal_decode(garbage, sizeof garbage, &d, &err),
                     SD_EINVAL);
    assert_null(d);
    /* Over the limit, whatever it holds. */
    size_t n = PERSONAL_MAX_BYTES + 1;
    uint8_t *big = calloc(1, n);
    assert_non_null(big);
    assert_int_equal(entry_personal_decode(big, n, &d, &err), SD_EINVAL);
    assert_non_null(strstr(err.msg, "limit"));
    free(big);
}

static void test_personal_seal_refuses_oversized(void **state)
{
    (void)state;
    sd_err err;
    /* Sealing refuses what would be over the limit... */
    char *huge = malloc(PERSONAL_MAX_BYTES + 8);
    assert_non_null(huge);
    memset(huge, 'a', PERSONAL_MAX_BYTES + 7);
    huge[PERSONAL_MAX_BYTES + 7] = '\0';
    Sadasya__Personal p = SADASYA__PERSONAL__INIT;
    p.address = huge;
    uint8_t *blob = NULL;
    size_t len;
    uint8_t h[ENTRY_HASH_BYTES];
    assert_int_equal(entry_personal_seal(&p, &blob, &len, h, &err), SD_EINVAL);
    assert_null(blob);
    free(huge);
    /* ...and leaves p without a pointer to its (gone) stack salt. */
    assert_null(p.salt.data);
    assert_int_equal(p.salt.len, 0);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify_roundtrip),
        cmocka_unit_test(test_sign_verify_large_entry),
        cmocka_unit_test(test_verify_wrong_key),
        cmocka_unit_test(test_verify_flipped_entry_byte),
        cmocka_unit_test(test_verify_flipped_sig_byte),
        cmocka_unit_test(test_hash_is_blake2b_of_entry_and_sig),
        cmocka_unit_test(test_personal_hash_is_blake2b),
        cmocka_unit_test(test_decode_accepts_good),
        cmocka_unit_test(test_decode_rejects_garbage_empty_oversized),
        cmocka_unit_test(test_decode_rejects_bad_shape),
        cmocka_unit_test(test_encode_decode_roundtrip),
        cmocka_unit_test(test_personal_seal),
        cmocka_unit_test(test_personal_decode_rejects_bad_text),
        cmocka_unit_test(test_personal_decode_rejects_garbage_and_size),
        cmocka_unit_test(test_personal_seal_refuses_oversized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
