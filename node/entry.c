/*
 * entry.c — signing, verifying, hashing and decoding entries. See entry.h.
 */
#include "entry.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Ed25519ph is not used: plain Ed25519 over domain || entry, so that any
 * Ed25519 implementation (OpenSSL, PyNaCl) verifies it. The message is
 * assembled on the stack for the common small entry. */
#define ENTRY_STACK_MSG 1024

static const uint8_t *domain_msg(const uint8_t *entry, size_t len,
                                 uint8_t *stack, uint8_t **heap)
{
    size_t dl = sizeof ENTRY_DOMAIN - 1;
    uint8_t *m = stack;
    *heap = NULL;
    if (dl + len > ENTRY_STACK_MSG) {
        m = *heap = malloc(dl + len);
        if (!m)
            return NULL;
    }
    memcpy(m, ENTRY_DOMAIN, dl);
    memcpy(m + dl, entry, len);
    return m;
}

void entry_sign(const keys_pair *kp, const uint8_t *entry, size_t len,
                uint8_t sig[ENTRY_SIG_BYTES])
{
    uint8_t stack[ENTRY_STACK_MSG], *heap;
    const uint8_t *m = domain_msg(entry, len, stack, &heap);
    if (!m) { /* out of memory: a zero signature never verifies */
        memset(sig, 0, ENTRY_SIG_BYTES);
        return;
    }
    crypto_sign_detached(sig, NULL, m, sizeof ENTRY_DOMAIN - 1 + len, kp->sk);
    free(heap);
}

void entry_sign_presigned(presign *p, uint64_t seq, const uint8_t *entry,
                          size_t len, uint8_t sig[ENTRY_SIG_BYTES])
{
    presign_part parts[2] = {
        { (const uint8_t *)ENTRY_DOMAIN, sizeof ENTRY_DOMAIN - 1 },
        { entry, len },
    };
    presign_sign(p, seq, parts, 2, sig);
}

int entry_verify_sig(const uint8_t origin[KEYS_PUBLIC_BYTES],
                     const uint8_t *entry, size_t len,
                     const uint8_t sig[ENTRY_SIG_BYTES])
{
    uint8_t stack[ENTRY_STACK_MSG], *heap;
    const uint8_t *m = domain_msg(entry, len, stack, &heap);
    if (!m)
        return 0;
    int ok = crypto_sign_verify_detached(sig, m, sizeof ENTRY_DOMAIN - 1 + len,
                                         origin) == 0;
    free(heap);
    return ok;
}

void entry_hash(const uint8_t *entry, size_t len,
                const uint8_t sig[ENTRY_SIG_BYTES],
                uint8_t out[ENTRY_HASH_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, ENTRY_HASH_BYTES);
    crypto_generichash_update(&st, entry, len);
    crypto_generichash_update(&st, sig, ENTRY_SIG_BYTES);
    crypto_generichash_final(&st, out, ENTRY_HASH_BYTES);
}

void entry_personal_hash(const uint8_t *personal, size_t len,
                         uint8_t out[ENTRY_HASH_BYTES])
{
    crypto_generichash(out, ENTRY_HASH_BYTES, personal, len, NULL, 0);
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

int entry_decode(const uint8_t *bytes, size_t len, Sadasya__Entry **out,
                 sd_err *err)
{
    *out = NULL;
    if (len == 0 || len > ENTRY_MAX_BYTES)
        return sd_errf(err, SD_EINVAL, "entry of %zu bytes (limit %d)", len,
                       ENTRY_MAX_BYTES);
    Sadasya__Entry *e = sadasya__entry__unpack(NULL, len, bytes);
    if (!e)
        return sd_errf(err, SD_EINVAL, "entry does not decode");
    const char *why = NULL;
    if (e->origin.len != KEYS_PUBLIC_BYTES)
        why = "origin is not a 32-byte key";
    else if (e->prev.len != ENTRY_HASH_BYTES)
        why = "prev is not a 32-byte hash";
    else if (e->seq == 0)
        why = "seq is 0";
    else if (e->seq == 1 && !all_zero(e->prev.data, ENTRY_HASH_BYTES))
        why = "seq 1 with a non-zero prev";
    else if (e->body_case == SADASYA__ENTRY__BODY__NOT_SET)
        why = "no body";
    uint8_t po[32], pp[32];
    uint64_t ps;
    if (!why && (entry_peek(bytes, len, po, &ps, pp) || ps != e->seq ||
                 memcmp(po, e->origin.data, 32) || memcmp(pp, e->prev.data, 32)))
        why = "origin, seq or prev encoded more than once";
    if (why) {
        sadasya__entry__free_unpacked(e, NULL);
        return sd_errf(err, SD_EINVAL, "malformed entry: %s", why);
    }
    *out = e;
    return SD_OK;
}

const ProtobufCBinaryData *entry_personal_commitment(const Sadasya__Entry *e)
{
    if (e->body_case == SADASYA__ENTRY__BODY_JOINED && e->joined)
        return &e->joined->personal_hash;
    if (e->body_case == SADASYA__ENTRY__BODY_UPDATED && e->updated &&
        e->updated->personal_hash.len)
        return &e->updated->personal_hash;
    return NULL;
}

int entry_encode(const Sadasya__Entry *e, uint8_t **out, size_t *len,
                 sd_err *err)
{
    size_t n = sadasya__entry__get_packed_size(e);
    if (n > ENTRY_MAX_BYTES)
        return sd_errf(err, SD_EINVAL, "entry of %zu bytes (limit %d)", n,
                       ENTRY_MAX_BYTES);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    *len = sadasya__entry__pack(e, buf);
    *out = buf;
    return SD_OK;
}

void entry_signed_clear(entry_signed *es)
{
    free(es->entry);
    free(es->personal);
    memset(es, 0, sizeof *es);
}

const char *entry_kind(const Sadasya__Entry *e)
{
    switch (e->body_case) {
    case SADASYA__ENTRY__BODY_ROSTER: return "roster";
    case SADASYA__ENTRY__BODY_JOINED: return "joined";
    case SADASYA__ENTRY__BODY_UPDATED: return "updated";
    case SADASYA__ENTRY__BODY_STATUS: return "status";
    case SADASYA__ENTRY__BODY_OFFICER: return "officer";
    case SADASYA__ENTRY__BODY_EVENT: return "event";
    case SADASYA__ENTRY__BODY_ATTENDANCE: return "attendance";
    case SADASYA__ENTRY__BODY_HONOUR: return "honour";
    case SADASYA__ENTRY__BODY_NOTICE: return "notice";
    case SADASYA__ENTRY__BODY_REDACTION: return "redaction";
    case SADASYA__ENTRY__BODY_ENTERPRISE: return "enterprise";
    default: return "unknown";
    }
}

#include "text.h"

int entry_personal_decode(const uint8_t *bytes, size_t len,
                          Sadasya__Personal **out, sd_err *err)
{
    *out = NULL;
    if (len > PERSONAL_MAX_BYTES)
        return sd_errf(err, SD_EINVAL, "personal data of %zu bytes (limit %d)",
                       len, PERSONAL_MAX_BYTES);
    Sadasya__Personal *p = sadasya__personal__unpack(NULL, len, bytes);
    if (!p)
        return sd_errf(err, SD_EINVAL, "personal data does not decode");
    const char *f[] = { p->name, p->name_en, p->guardian, p->phone, p->email,
                        p->address };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        /* protobuf-c checks proto3 strings are UTF-8 only loosely; the
         * view indexes them, so hold them to valid UTF-8 here. */
        if (f[i] && !text_utf8_valid(f[i], strlen(f[i]))) {
            sadasya__personal__free_unpacked(p, NULL);
            return sd_errf(err, SD_EINVAL, "personal data is not valid UTF-8");
        }
    }
    *out = p;
    return SD_OK;
}

int entry_personal_seal(Sadasya__Personal *p, uint8_t **blob, size_t *len,
                        uint8_t hash[ENTRY_HASH_BYTES], sd_err *err)
{
    uint8_t salt[ENTRY_SALT_BYTES];
    randombytes_buf(salt, sizeof salt);
    p->salt.data = salt;
    p->salt.len = sizeof salt;
    size_t n = sadasya__personal__get_packed_size(p);
    uint8_t *buf = n > PERSONAL_MAX_BYTES ? NULL : malloc(n ? n : 1);
    if (!buf) {
        p->salt.data = NULL;
        p->salt.len = 0;
        if (n > PERSONAL_MAX_BYTES)
            return sd_errf(err, SD_EINVAL,
                           "personal data of %zu bytes (limit %d)", n,
                           PERSONAL_MAX_BYTES);
        return sd_errf(err, SD_ENOMEM, "out of memory");
    }
    *len = sadasya__personal__pack(p, buf);
    *blob = buf;
    p->salt.data = NULL;
    p->salt.len = 0;
    entry_personal_hash(buf, *len, hash);
    return SD_OK;
}

static int varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p >= end)
            return -1;
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

int entry_peek(const uint8_t *bytes, size_t len, uint8_t origin[32],
               uint64_t *seq, uint8_t prev[32])
{
    /* The whole message is walked: a field that protobuf readers take the
     * last copy of must not appear twice, or this reading and theirs could
     * differ (a signature checked under one origin, the entry applied
     * under another). */
    if (!bytes || !len)
        return -1;
    const uint8_t *p = bytes, *end = bytes + len;
    int have = 0;
    while (p < end) {
        uint64_t key, v;
        if (varint(&p, end, &key))
            return -1;
        unsigned field = (unsigned)(key >> 3), type = (unsigned)(key & 7);
        if (field >= 1 && field <= 3) {
            int bit = 1 << (field - 1);
            if (have & bit)
                return -1; /* repeated */
            have |= bit;
            if (type != (field == 2 ? 0u : 2u))
                return -1; /* wrong wire type */
        }
        if (type == 0) {
            if (varint(&p, end, &v))
                return -1;
            if (field == 2)
                *seq = v;
        } else if (type == 2) {
            if (varint(&p, end, &v) || v > (uint64_t)(end - p))
                return -1;
            if (field == 1 || field == 3) {
                if (v != 32)
                    return -1;
                if (field == 1)
                    memcpy(origin, p, 32);
                else if (prev)
                    memcpy(prev, p, 32);
            }
            p += v;
        } else if (type == 1) {
            if (end - p < 8)
                return -1;
            p += 8;
        } else if (type == 5) {
            if (end - p < 4)
                return -1;
            p += 4;
        } else {
            return -1;
        }
    }
    return (have & 7) == 7 ? 0 : -1;
}
