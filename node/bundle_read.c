/*
 * bundle_read.c — checking and applying bundle files (format in
 * bundle.h).
 *
 * Streams the file twice: a structural pass (framing, decoding, count,
 * digest) that holds one frame at a time, then apply passes that hold one
 * batch at a time. Nothing is applied unless the first pass found the
 * bundle whole.
 */
#define _FILE_OFFSET_BITS 64
#include "bundle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <sodium.h>

#include "roster.h"

/* A set of 32-byte origins (counting distinct ones in a file that may
 * have been crafted: keyed SipHash, so collisions cannot be arranged). */
typedef struct origin_set {
    uint8_t (*keys)[32];
    uint8_t *used;
    size_t cap, n;
    uint8_t hkey[crypto_shorthash_KEYBYTES];
} origin_set;

static size_t oset_slot(const origin_set *o, const uint8_t k[32])
{
    uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, k, 32, o->hkey);
    uint64_t v;
    memcpy(&v, h, sizeof v);
    size_t i = (size_t)v & (o->cap - 1);
    while (o->used[i] && memcmp(o->keys[i], k, 32))
        i = (i + 1) & (o->cap - 1);
    return i;
}

/* Adds k; SD_ENOMEM on failure. */
static int oset_add(origin_set *o, const uint8_t k[32])
{
    if (2 * (o->n + 1) > o->cap) {
        origin_set g = *o;
        g.cap = o->cap ? o->cap * 2 : 64;
        g.n = 0;
        g.keys = malloc(g.cap * 32);
        g.used = calloc(g.cap, 1);
        if (!g.keys || !g.used) {
            free(g.keys);
            free(g.used);
            return SD_ENOMEM;
        }
        if (!o->cap)
            randombytes_buf(g.hkey, sizeof g.hkey);
        for (size_t i = 0; i < o->cap; i++)
            if (o->used[i]) {
                size_t j = oset_slot(&g, o->keys[i]);
                memcpy(g.keys[j], o->keys[i], 32);
                g.used[j] = 1;
                g.n++;
            }
        free(o->keys);
        free(o->used);
        *o = g;
    }
    size_t i = oset_slot(o, k);
    if (!o->used[i]) {
        memcpy(o->keys[i], k, 32);
        o->used[i] = 1;
        o->n++;
    }
    return SD_OK;
}

static void oset_free(origin_set *o)
{
    free(o->keys);
    free(o->used);
    memset(o, 0, sizeof *o);
}

typedef struct frame_reader {
    FILE *in;
    crypto_generichash_state h;
    uint8_t *buf;
    uint64_t off;      /* bytes read from the start of the bundle */
    size_t frames;     /* frames read */
    size_t carried;    /* carried frames read */
} frame_reader;

static int fr_read(frame_reader *r, void *p, size_t n, size_t *got,
                   sd_err *err)
{
    *got = fread(p, 1, n, r->in);
    if (*got < n && ferror(r->in))
        return sd_errf(err, SD_EIO, "reading the bundle: %s",
                       strerror(errno ? errno : EIO));
    r->off += *got;
    return SD_OK;
}

/* Starts reading at the magic. */
static int fr_start(frame_reader *r, sd_err *err)
{
    r->off = 0;
    r->frames = r->carried = 0;
    crypto_generichash_init(&r->h, NULL, 0, BUNDLE_DIGEST_BYTES);
    uint8_t magic[BUNDLE_MAGIC_LEN];
    size_t got;
    int rc = fr_read(r, magic, sizeof magic, &got, err);
    if (rc)
        return rc;
    if (got < sizeof magic || memcmp(magic, BUNDLE_MAGIC, sizeof magic))
        return sd_errf(err, SD_EINVAL,
                       "not a sadasya bundle (no \"SADASYA-BUNDLE-1\" header)");
    crypto_generichash_update(&r->h, magic, sizeof magic);
    return SD_OK;
}

/* The next frame, decoded and checked for shape (*out is the caller's).
 * Carried frames are hashed as read; the end frame is not. */
static int fr_next(frame_reader *r, Sadasya__BundleFrame **out, sd_err *err)
{
    *out = NULL;
    uint8_t hdr[BUNDLE_FRAME_HDR];
    size_t got;
    uint64_t at = r->off;
    int rc = fr_read(r, hdr, sizeof hdr, &got, err);
    if (rc)
        return rc;
    if (got == 0)
        return sd_errf(err, SD_EINVAL,
                       "truncated bundle: it ends after %zu entries without "
                       "its end frame", r->carried);
    if (got < sizeof hdr)
        return sd_errf(err, SD_EINVAL,
                       "truncated bundle: frame %zu cut short at byte %llu",
                       r->frames + 1, (unsigned long long)r->off);
    uint32_t n = store_be32(hdr);
    if (n > BUNDLE_FRAME_MAX)
        return sd_errf(err, SD_EINVAL,
                       "frame %zu at byte %llu: frame of %u bytes (limit %d)",
                       r->frames + 1, (unsigned long long)at, n,
                       BUNDLE_FRAME_MAX);
    if (!r->buf && !(r->buf = malloc(BUNDLE_FRAME_MAX)))
        return sd_errf(err, SD_ENOMEM, "out of memory");
    if ((rc = fr_read(r, r->buf, n, &got, err)))
        return rc;
    if (got < n)
        return sd_errf(err, SD_EINVAL,
                       "truncated bundle: frame %zu cut short at byte %llu "
                       "(%u bytes announced, %zu present)",
                       r->frames + 1, (unsigned long long)r->off, n, got);
    r->frames++;
    Sadasya__BundleFrame *f = sadasya__bundle_frame__unpack(NULL, n, r->buf);
    if (!f)
        return sd_errf(err, SD_EINVAL, "frame %zu at byte %llu does not decode",
                       r->frames, (unsigned long long)at);
    const char *why = NULL;
    if (f->frame_case == SADASYA__BUNDLE_FRAME__FRAME_CARRIED) {
        if (!f->carried->signed_)
            why = "carries no signed entry";
    } else if (f->frame_case != SADASYA__BUNDLE_FRAME__FRAME_END) {
        why = "is neither an entry nor the end";
    }
    if (why) {
        sadasya__bundle_frame__free_unpacked(f, NULL);
        return sd_errf(err, SD_EINVAL, "frame %zu at byte %llu %s", r->frames,
                       (unsigned long long)at, why);
    }
    if (f->frame_case == SADASYA__BUNDLE_FRAME__FRAME_CARRIED) {
        crypto_generichash_update(&r->h, hdr, sizeof hdr);
        crypto_generichash_update(&r->h, r->buf, n);
        r->carried++;
    }
    *out = f;
    return SD_OK;
}

/* Checks the end frame against what was read, and that nothing follows. */
static int fr_finish(frame_reader *r, const Sadasya__BundleEnd *end,
                     sd_err *err)
{
    uint8_t digest[BUNDLE_DIGEST_BYTES];
    crypto_generichash_final(&r->h, digest, sizeof digest);
    if (end->count != r->carried)
        return sd_errf(err, SD_EINVAL,
                       "damaged bundle: its end frame counts %llu entries, "
                       "%zu were read", (unsigned long long)end->count,
                       r->carried);
    if (end->digest.len != sizeof digest ||
        sodium_memcmp(end->digest.data, digest, sizeof digest))
        return sd_errf(err, SD_EINVAL,
                       "damaged bundle: digest mismatch (its bytes were "
                       "altered)");
    uint8_t extra;
    size_t got;
    int rc = fr_read(r, &extra, 1, &got, err);
    if (rc)
        return rc;
    if (got)
        return sd_errf(err, SD_EINVAL,
                       "damaged bundle: bytes after its end frame (at byte "
                       "%llu)", (unsigned long long)(r->off - 1));
    return SD_OK;
}

/* What the structural pass learns. */
typedef struct check_info {
    size_t personal;
    size_t origins;
    int national_late;   /* a national entry follows another origin's */
} check_info;

static int check_pass(frame_reader *r, const uint8_t *national,
                      check_info *ci, sd_err *err)
{
    memset(ci, 0, sizeof *ci);
    origin_set set;
    memset(&set, 0, sizeof set);
    int seen_other = 0;
    int rc = fr_start(r, err);
    while (!rc) {
        Sadasya__BundleFrame *f;
        if ((rc = fr_next(r, &f, err)))
            break;
        if (f->frame_case == SADASYA__BUNDLE_FRAME__FRAME_END) {
            rc = fr_finish(r, f->end, err);
            sadasya__bundle_frame__free_unpacked(f, NULL);
            break;
        }
        const Sadasya__SignedEntry *se = f->carried->signed_;
        if (f->carried->personal.len)
            ci->personal++;
        uint8_t origin[32];
        uint64_t seq;
        if (entry_peek(se->entry.data, se->entry.len, origin, &seq, NULL) == 0) {
            if (oset_add(&set, origin))
                rc = sd_errf(err, SD_ENOMEM, "out of memory");
            if (national && !memcmp(origin, national, 32))
                ci->national_late |= seen_other;
            else
                seen_other = 1;
        }
        sadasya__bundle_frame__free_unpacked(f, NULL);
    }
    ci->origins = set.n;
    oset_free(&set);
    return rc;
}

int bundle_check(FILE *in, bundle_stats *st, sd_err *err)
{
    bundle_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    frame_reader r = { .in = in };
    check_info ci;
    int rc = check_pass(&r, NULL, &ci, err);
    free(r.buf);
    st->entries = r.carried;
    st->personal = ci.personal;
    st->origins = ci.origins;
    st->bytes = r.off;
    return rc;
}


/* --- applying ------------------------------------------------------------- */

/* One item of a batch: the frame it points into, and how it sorts. */
typedef struct batch_item {
    Sadasya__BundleFrame *frame;
    uint8_t origin[32];
    uint64_t seq;
    int rank;            /* 0 national, 1 other, 2 does not decode */
    size_t idx;          /* file order, for a stable sort */
} batch_item;

/* A refusal noted during a batch, reported once the batch commits (when
 * a roster entry of the same batch may name the origin's state). */
typedef struct noted {
    uint8_t origin[32];
    int have_origin;
    uint64_t seq;
    int personal_only;
    char *why;
} noted;

typedef struct applier {
    store *s;
    uint8_t national[32];
    int have_national;
    bundle_stats *st;
    bundle_reject_fn on_reject;
    void *ctx;
    batch_item *items;   /* BUNDLE_BATCH_ENTRIES of them */
    entry_signed *es;    /* the same, as apply_batch takes them */
    size_t n, bytes, next_idx;
    noted *notes;
    size_t nnotes, cap_notes;
    apply_result res;
} applier;

static void notes_truncate(applier *a, size_t keep)
{
    for (size_t i = keep; i < a->nnotes; i++)
        free(a->notes[i].why);
    a->nnotes = keep;
}

static void note(applier *a, const batch_item *it, int personal_only,
                 const char *why)
{
    if (a->nnotes == a->cap_notes) {
        size_t cap = a->cap_notes ? a->cap_notes * 2 : 64;
        noted *nn = realloc(a->notes, cap * sizeof *nn);
        if (!nn)
            return; /* counted all the same; only the line is lost */
        a->notes = nn;
        a->cap_notes = cap;
    }
    noted *x = &a->notes[a->nnotes];
    x->have_origin = it->rank < 2;
    memcpy(x->origin, it->origin, 32);
    x->seq = it->rank < 2 ? it->seq : 0;
    x->personal_only = personal_only;
    if ((x->why = strdup(why)))
        a->nnotes++;
}

static void on_apply_reject(const entry_signed *es, int kind, const char *why,
                            void *ctx)
{
    applier *a = ctx;
    note(a, &a->items[es - a->es], kind == APPLY_PERSONAL_DROPPED, why);
}

static int item_cmp(const void *x, const void *y)
{
    const batch_item *a = x, *b = y;
    if (a->rank != b->rank)
        return a->rank - b->rank;
    int c = a->rank < 2 ? memcmp(a->origin, b->origin, 32) : 0;
    if (c)
        return c;
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The state an origin writes for, as this node now knows it. */
static void origin_label(applier *a, store_txn *txn, const noted *x,
                         char out[24])
{
    if (!x->have_origin) {
        snprintf(out, 24, "?");
        return;
    }
    if (a->have_national && !memcmp(x->origin, a->national, 32)) {
        snprintf(out, 24, "%s", ROSTER_NATIONAL_STATE);
        return;
    }
    roster_who who;
    if (txn && roster_whois(a->s, txn, x->origin, &who, NULL) == SD_OK &&
        who.listed) {
        snprintf(out, 24, "%s", who.rk.state);
        return;
    }
    store_head h;
    if (txn && store_head_get(a->s, txn, x->origin, &h, NULL) == SD_OK &&
        h.seq && h.state[0]) {
        snprintf(out, 24, "%s", h.state);
        return;
    }
    char hex[KEYS_HEX_LEN + 1];
    keys_public_hex(x->origin, hex);
    snprintf(out, 24, "key %.16s", hex);
}

static void report_notes(applier *a)
{
    if (a->nnotes && a->on_reject) {
        store_txn *txn = NULL;
        if (store_begin(a->s, 0, &txn, NULL))
            txn = NULL;
        for (size_t i = 0; i < a->nnotes; i++) {
            bundle_reject r;
            memset(&r, 0, sizeof r);
            origin_label(a, txn, &a->notes[i], r.state);
            r.seq = a->notes[i].seq;
            r.personal_only = a->notes[i].personal_only;
            r.why = a->notes[i].why;
            a->on_reject(&r, a->ctx);
        }
        if (txn)
            store_end(txn);
    }
    notes_truncate(a, 0);
}

static void batch_free(applier *a)
{
    for (size_t i = 0; i < a->n; i++)
        sadasya__bundle_frame__free_unpacked(a->items[i].frame, NULL);
    a->n = a->bytes = 0;
}

static void add_result(apply_result *to, const apply_result *r)
{
    to->added += r->added;
    to->duplicate += r->duplicate;
    to->rejected += r->rejected;
    to->evidence += r->evidence;
    to->personal_dropped += r->personal_dropped;
    to->personal_healed += r->personal_healed;
}

/* Applies the batch in one apply_batch call, then reports its refusals. */
static int flush_batch(applier *a, sd_err *err)
{
    int rc = SD_OK;
    if (a->n) {
        qsort(a->items, a->n, sizeof *a->items, item_cmp);
        for (size_t i = 0; i < a->n; i++) {
            const Sadasya__Carried *ca = a->items[i].frame->carried;
            entry_signed *es = &a->es[i];
            es->entry = ca->signed_->entry.data;
            es->entry_len = ca->signed_->entry.len;
            memcpy(es->sig, ca->signed_->sig.data, ENTRY_SIG_BYTES);
            es->personal = ca->personal.len ? ca->personal.data : NULL;
            es->personal_len = ca->personal.len;
        }
        memset(&a->res, 0, sizeof a->res);
        apply_opts o = { 0 };
        o.on_reject = on_apply_reject;
        o.ctx = a;
        rc = apply_batch(a->s, a->es, a->n, &o, &a->res, err);
        if (!rc)
            add_result(&a->st->applied, &a->res);
    }
    batch_free(a);
    if (rc)
        notes_truncate(a, 0);
    else
        report_notes(a);
    return rc;
}

/* Takes f into the batch (or refuses it here), flushing a full batch. */
static int add_frame(applier *a, Sadasya__BundleFrame *f, const uint8_t *origin,
                     uint64_t seq, int rank, sd_err *err)
{
    batch_item it = { f, { 0 }, seq, rank, a->next_idx++ };
    if (rank < 2)
        memcpy(it.origin, origin, 32);
    const Sadasya__Carried *ca = f->carried;
    if (ca->signed_->sig.len != ENTRY_SIG_BYTES) {
        /* Not a signed entry apply_batch could take: refused here. */
        char why[64];
        snprintf(why, sizeof why, "signature of %zu bytes",
                 ca->signed_->sig.len);
        note(a, &it, 0, why);
        a->st->applied.rejected++;
        sadasya__bundle_frame__free_unpacked(f, NULL);
        return SD_OK;
    }
    a->items[a->n++] = it;
    a->bytes += ca->signed_->entry.len + ca->personal.len;
    if (a->n == BUNDLE_BATCH_ENTRIES || a->bytes >= BUNDLE_BATCH_BYTES)
        return flush_batch(a, err);
    return SD_OK;
}

enum { PASS_ALL, PASS_NATIONAL, PASS_OTHERS };

/* Streams the (already checked) bundle again, applying the entries the
 * pass takes. The structure is checked again as it goes: a file changed
 * since the check pass stops here. */
static int apply_pass(applier *a, frame_reader *r, int pass, sd_err *err)
{
    int changed = 0;
    int rc = fr_start(r, err);
    while (!rc) {
        Sadasya__BundleFrame *f;
        if ((rc = fr_next(r, &f, err))) {
            changed = 1;
            break;
        }
        if (f->frame_case == SADASYA__BUNDLE_FRAME__FRAME_END) {
            changed = (rc = fr_finish(r, f->end, err)) != SD_OK;
            sadasya__bundle_frame__free_unpacked(f, NULL);
            break;
        }
        const Sadasya__SignedEntry *se = f->carried->signed_;
        uint8_t origin[32];
        uint64_t seq = 0;
        int rank = 2;
        if (entry_peek(se->entry.data, se->entry.len, origin, &seq, NULL) == 0)
            rank = a->have_national && !memcmp(origin, a->national, 32) ? 0 : 1;
        if ((pass == PASS_NATIONAL && rank != 0) ||
            (pass == PASS_OTHERS && rank == 0)) {
            sadasya__bundle_frame__free_unpacked(f, NULL);
            continue;
        }
        rc = add_frame(a, f, origin, seq, rank, err);
    }
    if (!rc)
        rc = flush_batch(a, err);
    batch_free(a);
    notes_truncate(a, 0);
    if (changed && rc == SD_EINVAL && err) {
        sd_err why = *err;
        sd_errf(err, rc, "the bundle changed while being applied (%s); "
                "what was applied before stays", why.msg);
    }
    return rc;
}

int bundle_read_apply(store *s, FILE *in, bundle_stats *st,
                      bundle_reject_fn on_reject, void *ctx, sd_err *err)
{
    bundle_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    off_t start = ftello(in);
    if (start < 0)
        return sd_errf(err, SD_EINVAL,
                       "a bundle must be read from a file (it is read twice)");

    applier a;
    memset(&a, 0, sizeof a);
    a.s = s;
    a.st = st;
    a.on_reject = on_reject;
    a.ctx = ctx;
    store_txn *txn;
    int rc = store_begin(s, 0, &txn, err);
    if (rc)
        return rc;
    a.have_national = roster_national_key(s, txn, a.national, NULL) == SD_OK;
    store_end(txn);

    /* Pass 1: the whole structure, before anything is applied. */
    frame_reader r = { .in = in };
    check_info ci;
    rc = check_pass(&r, a.have_national ? a.national : NULL, &ci, err);
    st->entries = r.carried;
    st->personal = ci.personal;
    st->origins = ci.origins;
    st->bytes = r.off;
    if (rc)
        goto out;

    a.items = malloc(BUNDLE_BATCH_ENTRIES * sizeof *a.items);
    a.es = calloc(BUNDLE_BATCH_ENTRIES, sizeof *a.es);
    if (!a.items || !a.es) {
        rc = sd_errf(err, SD_ENOMEM, "out of memory");
        goto out;
    }
    /* Then the entries: the national log first, so that its roster
     * precedes what it authorises. Bundles written by bundle_write are
     * in that order already and take one pass. */
    int passes[2] = { PASS_ALL, -1 };
    if (ci.national_late) {
        passes[0] = PASS_NATIONAL;
        passes[1] = PASS_OTHERS;
    }
    for (int i = 0; i < 2 && passes[i] >= 0 && !rc; i++) {
        if (fseeko(in, start, SEEK_SET) != 0) {
            rc = sd_errf(err, SD_EIO, "rewinding the bundle: %s",
                         strerror(errno));
            break;
        }
        rc = apply_pass(&a, &r, passes[i], err);
    }
out:
    free(r.buf);
    free(a.items);
    free(a.es);
    free(a.notes);
    return rc;
}
