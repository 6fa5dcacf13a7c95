/*
 * ident.c — loading a node's identity. See ident.h.
 */
#include "ident.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "number.h"
#include "roster.h"

#include <sodium.h>

static int meta_str(store *s, store_txn *txn, const char *name, char *out,
                    size_t cap, sd_err *err)
{
    const void *v;
    size_t n;
    int rc = store_meta_get(s, txn, name, &v, &n, err);
    if (rc)
        return rc == SD_ENOTFOUND
                   ? sd_errf(err, rc, "%s holds no identity (run `sadasya init`)",
                             store_dir(s))
                   : rc;
    if (n >= cap)
        return sd_errf(err, SD_ECORRUPT, "meta %s too long", name);
    memcpy(out, v, n);
    out[n] = '\0';
    return SD_OK;
}

int ident_load_public(store *s, store_txn *txn, ident *id, sd_err *err)
{
    memset(id, 0, sizeof *id);
    char role[16];
    int rc;
    if ((rc = meta_str(s, txn, STORE_META_ROLE, role, sizeof role, err)) ||
        (rc = meta_str(s, txn, STORE_META_STATE, id->state, sizeof id->state, err)) ||
        (rc = meta_str(s, txn, STORE_META_NAME, id->name, sizeof id->name, err)) ||
        (rc = roster_national_key(s, txn, id->national_key, err)))
        return rc;
    id->national = !strcmp(role, "national");
    return store_meta_key32(s, txn, STORE_META_OWN_KEY, id->kp.pk, err);
}

int ident_load(store *s, ident *id, sd_err *err)
{
    store_txn *txn;
    int rc = store_begin(s, 0, &txn, err);
    if (rc)
        return rc;
    rc = ident_load_public(s, txn, id, err);
    store_end(txn);
    if (rc)
        return rc;
    unsigned char pk[KEYS_PUBLIC_BYTES];
    memcpy(pk, id->kp.pk, sizeof pk);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", store_dir(s), STORE_KEY_FILE);
    if ((rc = keys_load(path, &id->kp, err)))
        return rc;
    if (memcmp(pk, id->kp.pk, sizeof pk))
        return sd_errf(err, SD_EAUTH, "%s does not hold this node's key", path);
    return SD_OK;
}
