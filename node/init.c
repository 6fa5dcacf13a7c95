/*
 * init.c — making a node's data directory (`sadasya init`). See init.h.
 */
#include "init.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fence.h"
#include "number.h"
#include "roster.h"
#include "writer.h"

static int dir_has_identity(const char *dir)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, STORE_KEY_FILE);
    if (stat(path, &st) == 0)
        return 1;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    return stat(path, &st) == 0;
}

int init_dir(const char *dir, const char *state, const char *name,
             const unsigned char *trust, int flags,
             unsigned char pk[KEYS_PUBLIC_BYTES], sd_err *err)
{
    int national = trust == NULL;
    if (!national && (!number_state_valid(state) ||
                      !strcmp(state, ROSTER_NATIONAL_STATE)))
        return sd_errf(err, SD_EINVAL,
                       "state code \"%s\" is not 2-3 capital letters (IN is "
                       "the national office's)", state);
    if (!name || !*name)
        return sd_errf(err, SD_EINVAL, "a name is needed (--name)");
    if (strlen(name) >= IDENT_NAME_MAX)
        return sd_errf(err, SD_EINVAL, "name longer than %d bytes",
                       IDENT_NAME_MAX - 1);
    if (dir_has_identity(dir))
        return sd_errf(err, SD_ECONFLICT,
                       "%s already holds a node identity; nothing was changed",
                       dir);

    keys_pair kp;
    int rc = keys_generate(&kp);
    if (rc)
        return sd_errf(err, rc, "cannot generate a key");
    store *s = NULL;
    if ((rc = store_open(&s, dir, STORE_CREATE, err)))
        return rc;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, STORE_KEY_FILE);
    if ((rc = keys_save(path, &kp, err))) {
        store_destroy(&s);
        return rc;
    }
    const char *code = national ? ROSTER_NATIONAL_STATE : state;
    store_txn *txn;
    if (!(rc = store_begin(s, 1, &txn, err))) {
        const unsigned char *anchor = national ? kp.pk : trust;
        if ((rc = store_meta_put(s, txn, STORE_META_NATIONAL_KEY, anchor, 32, err)) ||
            (rc = store_meta_put(s, txn, STORE_META_OWN_KEY, kp.pk, 32, err)) ||
            (rc = store_meta_put(s, txn, STORE_META_STATE, code, strlen(code), err)) ||
            (rc = store_meta_put(s, txn, STORE_META_NAME, name, strlen(name), err)) ||
            (rc = store_meta_put(s, txn, STORE_META_ROLE, national ? "national" : "state",
                                 national ? 8 : 5, err)) ||
            ((flags & INIT_REPLACING) &&
             (rc = store_meta_put(s, txn, FENCE_META_REPLACING, "1", 1, err))))
            store_end(txn);
        else
            rc = store_commit(s, txn, err);
    }
    if (!rc && national) {
        /* The national log opens by naming the office. */
        writer *w = NULL;
        if (!(rc = writer_open(&w, s, err))) {
            Sadasya__Entry e = SADASYA__ENTRY__INIT;
            Sadasya__RosterUpdate ru = SADASYA__ROSTER_UPDATE__INIT;
            ru.national_name = (char *)name;
            e.body_case = SADASYA__ENTRY__BODY_ROSTER;
            e.roster = &ru;
            entry_signed es;
            if (!(rc = writer_sign(w, &e, NULL, 0, &es, err))) {
                rc = writer_commit(w, &es, 1, NULL, NULL, err);
                entry_signed_clear(&es);
            }
            writer_destroy(&w);
        }
    }
    store_destroy(&s);
    if (rc) {
        /* Leave nothing half made: a later init must be able to start over. */
        snprintf(path, sizeof path, "%s/%s", dir, STORE_KEY_FILE);
        unlink(path);
        const char *files[] = { "data.mdb", "lock.mdb", WRITER_LOCK_FILE };
        for (size_t i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[i]);
            unlink(path);
        }
        rmdir(dir);
        return rc;
    }
    memcpy(pk, kp.pk, KEYS_PUBLIC_BYTES);
    sodium_memzero(&kp, sizeof kp);
    return SD_OK;
}

