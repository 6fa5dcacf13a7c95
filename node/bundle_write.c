/*
 * bundle_write.c — writing bundle files (format in bundle.h).
 *
 * Walks the heads table in one read transaction and streams each origin's
 * log into frames, hashing as it goes; bundle_create puts the result under
 * its name durably (durable.h).
 */
#include "bundle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "durable.h"
#include "number.h"
#include "roster.h"

typedef struct frame_writer {
    FILE *out;
    crypto_generichash_state h;
    uint8_t *buf;
    size_t cap;
    uint64_t bytes;
} frame_writer;

static int fw_raw(frame_writer *w, const void *p, size_t n, int hash,
                  sd_err *err)
{
    if (n && fwrite(p, 1, n, w->out) != n) {
        int e = errno;
        return sd_errf(err, e == ENOSPC ? SD_EFULL : SD_EIO,
                       "writing the bundle: %s", strerror(e ? e : EIO));
    }
    if (hash)
        crypto_generichash_update(&w->h, p, n);
    w->bytes += n;
    return SD_OK;
}

/* Packs f behind its length; carried frames are hashed, the end is not. */
static int fw_frame(frame_writer *w, const Sadasya__BundleFrame *f, int hash,
                    sd_err *err)
{
    size_t n = sadasya__bundle_frame__get_packed_size(f);
    if (n > BUNDLE_FRAME_MAX)
        return sd_errf(err, SD_EINVAL, "frame of %zu bytes (limit %d)", n,
                       BUNDLE_FRAME_MAX);
    if (BUNDLE_FRAME_HDR + n > w->cap) {
        size_t cap = BUNDLE_FRAME_HDR + BUNDLE_FRAME_MAX;
        uint8_t *b = realloc(w->buf, cap);
        if (!b)
            return sd_errf(err, SD_ENOMEM, "out of memory");
        w->buf = b;
        w->cap = cap;
    }
    store_put_be32(w->buf, (uint32_t)n);
    sadasya__bundle_frame__pack(f, w->buf + BUNDLE_FRAME_HDR);
    return fw_raw(w, w->buf, BUNDLE_FRAME_HDR + n, hash, err);
}

/* An origin to carry, as the heads table knows it. */
typedef struct origin_ref {
    uint8_t key[32];
    char state[STORE_STATE_BYTES];
    int national;
} origin_ref;

static int origin_cmp(const void *a, const void *b)
{
    const origin_ref *x = a, *y = b;
    if (x->national != y->national)
        return y->national - x->national;
    int c = strcmp(x->state, y->state);
    return c ? c : memcmp(x->key, y->key, 32);
}

typedef struct origin_list {
    origin_ref *v;
    size_t n, cap;
    int have_national;
    uint8_t national[32];
} origin_list;

static int add_origin(const uint8_t origin[32], const store_head *h, void *ctx)
{
    origin_list *l = ctx;
    if (!h->seq)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        origin_ref *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return SD_ENOMEM;
        l->v = nv;
        l->cap = cap;
    }
    origin_ref *o = &l->v[l->n++];
    memcpy(o->key, origin, 32);
    memcpy(o->state, h->state, STORE_STATE_BYTES);
    o->national = l->have_national && !memcmp(o->key, l->national, 32);
    return 0;
}

/* Every origin with a head, national first, then by state code. */
static int list_origins(store *s, store_txn *txn, origin_ref **out, size_t *n,
                        sd_err *err)
{
    *out = NULL;
    *n = 0;
    origin_list l = { 0 };
    l.have_national = roster_national_key(s, txn, l.national, NULL) == SD_OK;
    int rc = store_origins_each(s, txn, add_origin, &l, err);
    if (rc == SD_ENOMEM)
        rc = sd_errf(err, SD_ENOMEM, "out of memory");
    if (rc) {
        free(l.v);
        return rc;
    }
    qsort(l.v, l.n, sizeof *l.v, origin_cmp);
    *out = l.v;
    *n = l.n;
    return SD_OK;
}

/* Keeps the national origin and those of the named states; each named
 * state must be valid and held. */
static int filter_origins(origin_ref *v, size_t *n, const char *const *states,
                          size_t nstates, sd_err *err)
{
    for (size_t i = 0; i < nstates; i++) {
        const char *code = states[i];
        if (!strcmp(code, ROSTER_NATIONAL_STATE))
            continue;
        if (!number_state_valid(code))
            return sd_errf(err, SD_EINVAL,
                           "state code \"%s\" is not 2-3 capital letters",
                           code);
        size_t j = 0;
        while (j < *n && strcmp(v[j].state, code))
            j++;
        if (j == *n)
            return sd_errf(err, SD_ENOTFOUND,
                           "this node holds no entries of state %s", code);
    }
    if (!nstates)
        return SD_OK;
    size_t keep = 0;
    for (size_t j = 0; j < *n; j++) {
        int want = v[j].national;
        for (size_t i = 0; i < nstates && !want; i++)
            want = !strcmp(v[j].state, states[i]);
        if (want)
            v[keep++] = v[j];
    }
    *n = keep;
    return SD_OK;
}

typedef struct origin_writer {
    store *s;
    store_txn *txn;
    frame_writer *w;
    const origin_ref *o;
    const audience *aud;
    bundle_stats *st;
    sd_err *err;
} origin_writer;

/* One entry of the origin, with its Personal blob where one is held and
 * the bundle's recipient may hold it. */
static int write_entry(uint64_t seq, const uint8_t *sig, const uint8_t *entry,
                       size_t len, void *ctx)
{
    origin_writer *x = ctx;
    if (!sig)
        return sd_errf(x->err, SD_ECORRUPT, "log record %llu is too short "
                       "to hold a signature", (unsigned long long)seq);
    Sadasya__SignedEntry se = SADASYA__SIGNED_ENTRY__INIT;
    se.sig.data = (uint8_t *)sig;
    se.sig.len = ENTRY_SIG_BYTES;
    se.entry.data = (uint8_t *)entry;
    se.entry.len = len;
    Sadasya__Carried ca = SADASYA__CARRIED__INIT;
    ca.signed_ = &se;
    const uint8_t *blob;
    size_t blen;
    int rc = store_personal_get(x->s, x->txn, x->o->key, seq, &blob, &blen, x->err);
    if (rc == SD_OK && blen && audience_takes(x->aud, entry, len)) {
        ca.personal.data = (uint8_t *)blob;
        ca.personal.len = blen;
        x->st->personal++;
    } else if (rc != SD_OK && rc != SD_ENOTFOUND) {
        return rc;
    }
    Sadasya__BundleFrame f = SADASYA__BUNDLE_FRAME__INIT;
    f.frame_case = SADASYA__BUNDLE_FRAME__FRAME_CARRIED;
    f.carried = &ca;
    if ((rc = fw_frame(x->w, &f, 1, x->err)))
        return rc;
    x->st->entries++;
    return 0;
}

static int write_origin(store *s, store_txn *txn, frame_writer *w,
                        const origin_ref *o, const audience *aud,
                        bundle_stats *st, sd_err *err)
{
    origin_writer x = { s, txn, w, o, aud, st, err };
    return store_log_each(s, txn, o->key, 0, write_entry, &x, err);
}

int bundle_write(store *s, FILE *out, const char *const *states,
                 size_t nstates, const audience *aud, bundle_stats *st,
                 sd_err *err)
{
    bundle_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    store_txn *txn;
    int rc = store_begin(s, 0, &txn, err);
    if (rc)
        return rc;
    origin_ref *origins = NULL;
    size_t n = 0;
    frame_writer w = { .out = out };
    crypto_generichash_init(&w.h, NULL, 0, BUNDLE_DIGEST_BYTES);
    if ((rc = list_origins(s, txn, &origins, &n, err)) ||
        (rc = filter_origins(origins, &n, states, nstates, err)) ||
        (rc = fw_raw(&w, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN, 1, err)))
        goto out;
    for (size_t i = 0; i < n && !rc; i++)
        rc = write_origin(s, txn, &w, &origins[i], aud, st, err);
    if (rc)
        goto out;
    st->origins = n;

    uint8_t digest[BUNDLE_DIGEST_BYTES];
    crypto_generichash_final(&w.h, digest, sizeof digest);
    Sadasya__BundleEnd end = SADASYA__BUNDLE_END__INIT;
    end.count = st->entries;
    end.digest.data = digest;
    end.digest.len = sizeof digest;
    Sadasya__BundleFrame f = SADASYA__BUNDLE_FRAME__INIT;
    f.frame_case = SADASYA__BUNDLE_FRAME__FRAME_END;
    f.end = &end;
    if ((rc = fw_frame(&w, &f, 0, err)))
        goto out;
    if (fflush(out) != 0) {
        int e = errno;
        rc = sd_errf(err, e == ENOSPC ? SD_EFULL : SD_EIO,
                     "writing the bundle: %s", strerror(e));
    }
    st->bytes = w.bytes;
out:
    store_end(txn);
    free(origins);
    free(w.buf);
    return rc;
}

int bundle_create(store *s, const char *path, const char *const *states,
                  size_t nstates, const audience *aud, bundle_stats *st,
                  sd_err *err)
{
    /* 0600: a bundle carries members' personal data. */
    durable_file *df;
    int rc = durable_open(&df, NULL, path, 0600, 0, err);
    if (rc)
        return rc;
    FILE *f = durable_stream(df);
    rc = f ? bundle_write(s, f, states, nstates, aud, st, err)
           : sd_errf(err, SD_ENOMEM, "out of memory");
    if (rc)
        durable_abort(&df);
    else
        rc = durable_commit(&df, err);
    return rc;
}
