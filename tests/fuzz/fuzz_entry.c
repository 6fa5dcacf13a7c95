/*
 * fuzz_entry.c — libFuzzer target: signed entries and their Personal
 * blobs, as a peer, a bundle or a file hands them over, decoded and
 * applied through the one write path (apply_batch) to the fixture store
 * of common.h.
 *
 * Input: byte 0 holds flags, the rest the entries.
 *   bits 0-1  layout of the rest:
 *             0  raw: a 2-byte big-endian entry length, the entry bytes,
 *                64 signature bytes (zero-padded when short), and the
 *                rest is the Personal blob (none when empty);
 *             1  one packed Carried;
 *             2  one packed BundleFrame (its carried entry);
 *             3  up to FZ_MAX_ITEMS packed Carried, each after a 2-byte
 *                big-endian length: a batch, with runs and chains;
 *   bit 2     apply with APPLY_RUNSIG, as a batch from a peer is;
 *   bits 3-4  signatures: 0 as given; 1 each entry re-signed with the key
 *             of the origin entry_peek reads; 2 only the last entry
 *             re-signed (RUNSIG must vouch for the rest through the
 *             chain); 3 each re-signed with the key of its decoded origin;
 *   bit 5     a joined or updated entry carrying a Personal blob is first
 *             made to commit to it (its personal_hash set to the blob's
 *             hash, the entry re-encoded): with re-signing, mutated blobs
 *             reach entry_personal_decode's checks and the indexes.
 *
 * Each entry goes through entry_decode, entry_peek, entry_kind and
 * entry_personal_commitment, its blob through entry_personal_decode; the
 * batch through apply_batch and then the oracles of common.h. A store
 * error from apply_batch is a finding too: hostile input must be refused
 * entry by entry, not fail the batch (a peer could stall replication).
 */
#include "common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
/* Makes es's body commit to its Personal blob (bit 5): new entry bytes,
 * which the caller frees, or NULL when there is nothing to commit. */
static uint8_t *recommit(entry_signed *es)
{
    Sadasya__Entry *e = NULL;
    if (!es->personal || entry_decode(es->entry, es->entry_len, &e, NULL))
        return NULL;
    ProtobufCBinaryData *w = NULL;
    if (e->body_case == SADASYA__ENTRY__BODY_JOINED)
        w = &e->joined->personal_hash;
    else if (e->body_case == SADASYA__ENTRY__BODY_UPDATED)
        w = &e->updated->personal_hash;
    uint8_t *out = NULL;
    size_t len = 0;
    if (w) {
        uint8_t ph[ENTRY_HASH_BYTES];
        entry_personal_hash(es->personal, es->personal_len, ph);
        ProtobufCBinaryData old = *w;
        w->data = ph;
        w->len = sizeof ph;
        if (entry_encode(e, &out, &len, NULL))
            out = NULL;
        *w = old; /* free_unpacked frees what the decoder allocated */
    }
    sadasya__entry__free_unpacked(e, NULL);
    if (out) {
        es->entry = out;
        es->entry_len = len;
    }
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_setup();
    return 0;
}

/* Every decoder on one entry, apart from applying it. */
static void exercise(const entry_signed *es)
{
    Sadasya__Entry *e = NULL;
    sd_err err;
    if (entry_decode(es->entry, es->entry_len, &e, &err) == SD_OK) {
        if (!entry_kind(e))
            FZ_DIE("entry_kind returned NULL");
        const ProtobufCBinaryData *c = entry_personal_commitment(e);
        if (c && c->len && c->data[c->len - 1] == 0x5a)
            (void)err; /* touch the last byte: ASan checks the length */
        sadasya__entry__free_unpacked(e, NULL);
    } else if (!err.msg[0]) {
        FZ_DIE("entry_decode failed without a message");
    }
    uint8_t origin[32], prev[32];
    uint64_t seq;
    (void)entry_peek(es->entry, es->entry_len, origin, &seq, NULL);
    (void)entry_peek(es->entry, es->entry_len, origin, &seq, prev);
    fz_check_peek(es->entry, es->entry_len);
    if (es->personal) {
        Sadasya__Personal *p = NULL;
        if (entry_personal_decode(es->personal, es->personal_len, &p, &err) ==
            SD_OK)
            sadasya__personal__free_unpacked(p, NULL);
    }
}

/* Copies of the raw layout's pieces: each in its own allocation, so that
 * ASan sees a read past the entry (the signature follows it in the input). */
static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (!d)
        abort();
    if (n)
        memcpy(d, p, n);
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags = data[0];
    fz_reader r = { data + 1, size - 1 };
    entry_signed items[FZ_MAX_ITEMS];
    Sadasya__Carried *owned[FZ_MAX_ITEMS];
    Sadasya__BundleFrame *frame = NULL;
    size_t n = 0, nowned = 0;
    uint8_t *raw_entry = NULL, *raw_personal = NULL;

    switch (flags & 3) {
    case 0: {
        const uint8_t *p;
        size_t len;
        if (!fz_take(&r, &p, &len))
            return 0;
        memset(&items[0], 0, sizeof items[0]);
        items[0].entry = raw_entry = dup_bytes(p, len);
        items[0].entry_len = len;
        size_t sl = r.n < ENTRY_SIG_BYTES ? r.n : ENTRY_SIG_BYTES;
        memcpy(items[0].sig, r.p, sl);
        r.p += sl;
        r.n -= sl;
        if (r.n) {
            items[0].personal = raw_personal = dup_bytes(r.p, r.n);
            items[0].personal_len = r.n;
        }
        n = 1;
        break;
    }
    case 1: {
        Sadasya__Carried *c = sadasya__carried__unpack(NULL, r.n, r.p);
        if (!c)
            return 0;
        owned[nowned++] = c;
        n = fz_from_carried(c, &items[0]);
        break;
    }
    case 2:
        frame = sadasya__bundle_frame__unpack(NULL, r.n, r.p);
        if (frame && frame->frame_case == SADASYA__BUNDLE_FRAME__FRAME_CARRIED)
            n = fz_from_carried(frame->carried, &items[0]);
        break;
    case 3: {
        const uint8_t *p;
        size_t len;
        while (nowned < FZ_MAX_ITEMS && fz_take(&r, &p, &len)) {
            Sadasya__Carried *c = sadasya__carried__unpack(NULL, len, p);
            if (!c)
                continue;
            owned[nowned++] = c;
            n += (size_t)fz_from_carried(c, &items[n]);
        }
        break;
    }
    }

    uint8_t *recommitted[FZ_MAX_ITEMS];
    size_t nrec = 0;
    unsigned sign = (flags >> 3) & 3;
    for (size_t i = 0; i < n; i++) {
        if ((flags & 0x20) && (recommitted[nrec] = recommit(&items[i])))
            nrec++;
        if (sign == 1 || sign == 3 || (sign == 2 && i == n - 1))
            fz_resign(&items[i], sign == 3);
        exercise(&items[i]);
    }

    if (n) {
        apply_opts o;
        memset(&o, 0, sizeof o);
        o.flags = flags & 4 ? APPLY_RUNSIG : 0;
        size_t sum = 0;
        o.on_reject = fz_on_reject;
        o.ctx = &sum;
        apply_result res;
        sd_err err;
        sd_err_clear(&err);
        int rc = apply_batch(fz.s, items, n, &o, &res, &err);
        fz_say_result("apply_batch", rc, &res, err.msg);
        if (rc == SD_OK) {
            fz_check_counts(&res, n);
            fz_check_applied(fz.s, items, n);
        } else {
            fz_check_store_error("apply_batch", rc, &err);
        }
    }
    fz_finish(data, size);

    for (size_t i = 0; i < nowned; i++)
        sadasya__carried__free_unpacked(owned[i], NULL);
    if (frame)
        sadasya__bundle_frame__free_unpacked(frame, NULL);
    for (size_t i = 0; i < nrec; i++)
        free(recommitted[i]);
    free(raw_entry);
    free(raw_personal);
    return 0;
}
