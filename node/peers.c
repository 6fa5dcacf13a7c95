/*
 * peers.c — the peer-status records in meta. See peers.h.
 */
#include "peers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int peers_status_record(const Sadasya__PeerStatus *ps, char **name,
                        uint8_t **val, size_t *len, sd_err *err)
{
    *name = NULL;
    *val = NULL;
    *len = 0;
    const char *endpoint = ps->endpoint ? ps->endpoint : "";
    size_t nl = STORE_META_PEER_PREFIX_LEN + strlen(endpoint) + 1;
    size_t vl = sadasya__peer_status__get_packed_size(ps);
    char *n = malloc(nl);
    uint8_t *v = malloc(vl ? vl : 1);
    if (!n || !v) {
        free(n);
        free(v);
        return sd_errf(err, SD_ENOMEM, "out of memory");
    }
    snprintf(n, nl, "%s%s", STORE_META_PEER_PREFIX, endpoint);
    *len = sadasya__peer_status__pack(ps, v);
    *name = n;
    *val = v;
    return SD_OK;
}

int peers_status_put(store *s, store_txn *txn, const Sadasya__PeerStatus *ps,
                     sd_err *err)
{
    char *name;
    uint8_t *val;
    size_t len;
    int rc = peers_status_record(ps, &name, &val, &len, err);
    if (rc)
        return rc;
    rc = store_meta_put(s, txn, name, val, len, err);
    free(name);
    free(val);
    return rc;
}

typedef struct each_ctx {
    int (*fn)(const Sadasya__PeerStatus *ps, void *ctx);
    void *ctx;
} each_ctx;

static int one_record(const char *name, size_t name_len, const void *val,
                      size_t len, void *ctx)
{
    each_ctx *x = ctx;
    (void)name, (void)name_len;
    Sadasya__PeerStatus *ps = sadasya__peer_status__unpack(NULL, len, val);
    if (!ps)
        return 0;
    int rc = x->fn(ps, x->ctx);
    sadasya__peer_status__free_unpacked(ps, NULL);
    return rc;
}

int peers_status_each(store *s, store_txn *txn,
                      int (*fn)(const Sadasya__PeerStatus *ps, void *ctx),
                      void *ctx, sd_err *err)
{
    each_ctx x = { fn, ctx };
    return store_meta_each(s, txn, STORE_META_PEER_PREFIX, one_record, &x,
                           err);
}
