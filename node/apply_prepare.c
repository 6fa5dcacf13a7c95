/*
 * apply_prepare.c — the part of the write path that needs no store:
 * decoding and hashing items, Personal blobs against their signed
 * commitments, the run signatures of APPLY_RUNSIG, and joined members'
 * index entries made ahead. Any thread may run it (the node prepares a
 * batch on its own thread while the receive worker applies another). See
 * apply.h.
 */
#include "apply.h"

#include <stdlib.h>
#include <string.h>

#include "view.h"

/* For APPLY_RUNSIG: marks the items whose authenticity their run's last
 * signature establishes. Runs are cut where the origin changes, where an
 * entry does not decode, or where prev is not the previous item's hash. */
static void vouch_runs(const entry_signed *items, apply_prepared *pr, size_t n)
{
    size_t start = 0;
    int linked = 0;
    for (size_t i = 0; i <= n; i++) {
        const Sadasya__Entry *e = i < n ? pr[i].e : NULL;
        const Sadasya__Entry *first = i > start ? pr[start].e : NULL;
        int same = e && first && !memcmp(e->origin.data, first->origin.data, 32);
        if (i > start && !same) {
            /* The run start..i-1 ends here. */
            const entry_signed *last = &items[i - 1];
            if (linked && entry_verify_sig(first->origin.data, last->entry,
                                           last->entry_len, last->sig))
                for (size_t j = start; j < i; j++)
                    pr[j].vouched = 1;
            start = i;
        }
        if (i == n)
            break;
        if (!e) { /* undecodable: its own run, never vouched */
            start = i + 1;
            continue;
        }
        if (i == start)
            linked = 1;
        else
            linked = linked && !memcmp(e->prev.data, pr[i - 1].hash, 32);
    }
}

void apply_prepared_free(apply_prepared **v, size_t n)
{
    if (!v || !*v)
        return;
    for (size_t i = 0; i < n; i++) {
        if ((*v)[i].e)
            sadasya__entry__free_unpacked((*v)[i].e, NULL);
        if ((*v)[i].p)
            sadasya__personal__free_unpacked((*v)[i].p, NULL);
        free((*v)[i].why);
    }
    free(*v);
    *v = NULL;
}

int apply_prepare(const entry_signed *items, size_t n, int flags,
                  apply_prepared **out, sd_err *err)
{
    apply_prepared *pr = calloc(n ? n : 1, sizeof *pr);
    *out = NULL;
    if (!pr)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const entry_signed *es = &items[i];
        sd_err why;
        sd_err_clear(&why);
        if (entry_decode(es->entry, es->entry_len, &pr[i].e, &why)) {
            pr[i].why = strdup(why.msg);
            if (!pr[i].why) {
                apply_prepared_free(&pr, n);
                return sd_errf(err, SD_ENOMEM, "out of memory");
            }
            continue;
        }
        entry_hash(es->entry, es->entry_len, es->sig, pr[i].hash);
        /* The Personal blob travels beside the entry: it counts only if it
         * is the one the signed body committed to. */
        if (es->personal) {
            const ProtobufCBinaryData *commit = entry_personal_commitment(pr[i].e);
            uint8_t ph[ENTRY_HASH_BYTES];
            entry_personal_hash(es->personal, es->personal_len, ph);
            if (!commit || commit->len != ENTRY_HASH_BYTES ||
                memcmp(ph, commit->data, ENTRY_HASH_BYTES) ||
                entry_personal_decode(es->personal, es->personal_len, &pr[i].p,
                                      NULL))
                pr[i].personal_bad = 1;
        }
    }
    if (flags & APPLY_RUNSIG)
        vouch_runs(items, pr, n);
    *out = pr;
    return SD_OK;
}

int apply_prepare_index(store *s, const apply_prepared *pr, size_t n,
                        view_batch **out, sd_err *err)
{
    int rc = view_batch_new(out, err);
    for (size_t i = 0; i < n && !rc; i++)
        if (pr[i].e)
            rc = view_index_joined(s, *out, (uint32_t)i, pr[i].e, pr[i].p, err);
    if (rc) {
        view_batch_destroy(out);
        return rc;
    }
    view_index_sort(*out);
    return SD_OK;
}
