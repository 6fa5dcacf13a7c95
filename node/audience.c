/*
 * audience.c — which Personal blobs a recipient may hold (audience.h).
 */
#include "audience.h"

#include <stdio.h>
#include <string.h>

#include "entry.h"
#include "ident.h"
#include "number.h"
#include "view.h"

void audience_all(audience *a)
{
    memset(a, 0, sizeof *a);
    a->all = 1;
}

int audience_for_state(audience *a, const char *code, sd_err *err)
{
    memset(a, 0, sizeof *a);
    if (code && !strcmp(code, ROSTER_NATIONAL_STATE)) {
        a->all = 1;
        return SD_OK;
    }
    if (!code || !number_state_valid(code))
        return sd_errf(err, SD_EINVAL, "not a state code: '%s' (two or three "
                       "capital letters, IN for the national office)",
                       code ? code : "");
    snprintf(a->state, sizeof a->state, "%s", code);
    return SD_OK;
}

void audience_for_who(audience *a, const roster_who *who)
{
    memset(a, 0, sizeof *a);
    if (who->kind == ROSTER_WHO_NATIONAL)
        a->all = 1;
    else if (who->kind == ROSTER_WHO_CHAPTER)
        snprintf(a->state, sizeof a->state, "%s", who->rk.state);
}

int audience_of_node(store *s, store_txn *txn, audience *a, sd_err *err)
{
    ident id;
    int rc = ident_load_public(s, txn, &id, err);
    if (rc)
        return rc;
    if (id.national) {
        audience_all(a);
        return SD_OK;
    }
    return audience_for_state(a, id.state, err);
}

int audience_takes(const audience *a, const uint8_t *entry, size_t len)
{
    if (a->all)
        return 1;
    if (!a->state[0])
        return 0;
    Sadasya__Entry *e = NULL;
    if (entry_decode(entry, len, &e, NULL))
        return 0;
    /* The member's state is its number's prefix (view_check_joined
     * refuses any other). */
    const char *number = view_personal_member(e);
    size_t sl = strlen(a->state);
    int takes = number && !strncmp(number, a->state, sl) && number[sl] == '-';
    sadasya__entry__free_unpacked(e, NULL);
    return takes;
}
