/*
 * writer.c — signing this node's own entries. See writer.h.
 */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <unistd.h>

#include <sodium.h>

#include "fence.h"
#include "ident.h"
#include "notify.h"
#include "retract.h"

int writer_reload(writer *w, sd_err *err)
{
    store_txn *txn;
    int rc = store_begin(w->s, 0, &txn, err);
    if (rc)
        return rc;
    rc = store_head_get(w->s, txn, w->kp.pk, &w->head, err);
    store_end(txn);
    return rc;
}

int writer_check_fence(store *s, const uint8_t own[32], int national,
                       uint64_t *first_serial, sd_err *err)
{
    store_txn *txn;
    int rc = store_begin(s, 0, &txn, err);
    if (rc)
        return rc;
    rc = fence_check(s, txn, own, national, first_serial, err);
    store_end(txn);
    return rc;
}

int writer_open(writer **out, store *s, sd_err *err)
{
    *out = NULL;
    writer *w = calloc(1, sizeof *w);
    if (!w)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    w->s = s;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", store_dir(s), WRITER_LOCK_FILE);
    w->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (w->lock_fd < 0) {
        int e = errno;
        free(w);
        return sd_errf(err, SD_EIO, "cannot open %s: %s", path, strerror(e));
    }
    if (flock(w->lock_fd, LOCK_EX) != 0) {
        int e = errno;
        close(w->lock_fd);
        free(w);
        return sd_errf(err, SD_EIO, "cannot lock %s: %s", path, strerror(e));
    }
    ident id;
    int rc = ident_load(s, &id, err);
    if (!rc) {
        w->kp = id.kp;
        memcpy(w->state, id.state, sizeof w->state);
        w->national = id.national;
        sodium_memzero(&id, sizeof id);
        rc = writer_check_fence(s, w->kp.pk, w->national, &w->first_serial,
                                err);
    }
    if (!rc)
        rc = retract_view_current(s, err);
    if (!rc)
        rc = writer_reload(w, err);
    if (rc) {
        writer_destroy(&w);
        return rc;
    }
    *out = w;
    return SD_OK;
}

void writer_destroy(writer **w)
{
    if (!w || !*w)
        return;
    presign_destroy(&(*w)->ps);
    if ((*w)->lock_fd >= 0)
        close((*w)->lock_fd); /* releases the flock */
    sodium_memzero(&(*w)->kp, sizeof(*w)->kp);
    free(*w);
    *w = NULL;
}

int writer_next_number(const writer *w, char out[NUMBER_MAX_LEN], sd_err *err)
{
    return number_format(out, w->state, w->first_serial + w->head.joins, err);
}

int writer_sign(writer *w, Sadasya__Entry *e, const uint8_t *personal,
                size_t plen, entry_signed *out, sd_err *err)
{
    memset(out, 0, sizeof *out);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    e->origin.data = w->kp.pk;
    e->origin.len = KEYS_PUBLIC_BYTES;
    e->seq = w->head.seq + 1;
    e->prev.data = w->head.hash;
    e->prev.len = ENTRY_HASH_BYTES;
    e->time_ms = (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
    int rc = entry_encode(e, &out->entry, &out->entry_len, err);
    e->origin.data = e->prev.data = NULL;
    e->origin.len = e->prev.len = 0;
    if (rc)
        return rc;
    if (personal) {
        out->personal = malloc(plen ? plen : 1);
        if (!out->personal) {
            entry_signed_clear(out);
            return sd_errf(err, SD_ENOMEM, "out of memory");
        }
        memcpy(out->personal, personal, plen);
        out->personal_len = plen;
    }
    if (w->ps)
        entry_sign_presigned(w->ps, w->head.seq + 1, out->entry,
                             out->entry_len, out->sig);
    else
        entry_sign(&w->kp, out->entry, out->entry_len, out->sig);
    w->head.seq++;
    entry_hash(out->entry, out->entry_len, out->sig, w->head.hash);
    if (e->body_case == SADASYA__ENTRY__BODY_JOINED)
        w->head.joins++;
    return SD_OK;
}

int writer_presign_start(writer *w, unsigned nworkers, sd_err *err)
{
    writer_presign_stop(w);
    return presign_new(&w->ps, &w->kp, nworkers, w->head.seq + 1, err);
}

void writer_presign_stop(writer *w)
{
    presign_destroy(&w->ps);
}

int writer_commit(writer *w, entry_signed *items, size_t n,
                  const apply_opts *extra, apply_result *res, sd_err *err)
{
    /* APPLY_OWN: any refusal fails the whole batch, its reason in err. */
    apply_opts o = { 0 };
    if (extra)
        o = *extra;
    o.flags |= APPLY_OWN;
    apply_result local;
    if (!res)
        res = &local;
    int rc = apply_batch(w->s, items, n, &o, res, err);
    if (rc)
        writer_reload(w, NULL);
    else
        notify_node(store_dir(w->s));
    return rc;
}
