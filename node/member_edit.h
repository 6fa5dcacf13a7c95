/*
 * member_edit.h — a correction of a member held here: the member as a
 * row gives it (a spreadsheet read back, node/import.h) compared with the
 * member as held, and the MemberUpdated (personal data sealed anew,
 * district, area, occupation, interests) and MemberStatus entries that
 * record the difference, signed by this node's writer. What an entry
 * cannot change (gender, joining date, fee, payment reference) is refused;
 * the referrer is never re-pointed.
 */
#ifndef SADASYA_MEMBER_EDIT_H
#define SADASYA_MEMBER_EDIT_H

#include <stddef.h>

#include "day.h"
#include "member.h"
#include "view.h"

#define MEMBER_EDIT_CHANGED_MAX 256  /* bytes listing the fields changed */
#define MEMBER_EDIT_ENTRIES 2        /* a MemberUpdated, a MemberStatus */

typedef struct member_edit {
    char number[NUMBER_MAX_LEN];
    int update;                      /* a MemberUpdated is to be signed */
    uint8_t *personal;               /* sealed anew; NULL when unchanged */
    size_t personal_len;
    uint8_t personal_hash[ENTRY_HASH_BYTES];
    char *district, *occupation;     /* "" when unchanged */
    int area;                        /* 0 when unchanged */
    char **interests;
    size_t n_interests;
    int interests_set;
    int status;                      /* -1: unchanged */
    char *reason;
    char changed[MEMBER_EDIT_CHANGED_MAX]; /* "email", "district", ... */
} member_edit;

/* Compares in (every field given: what the row leaves out the caller
 * takes from the member as held) and the status (NULL or "": unchanged)
 * and reason with member m and its personal data p (NULL when not held)
 * and prepares ed. SD_OK with ed->changed empty when nothing differs;
 * SD_EINVAL, the message naming the field, for a change no entry
 * records, or a new value the member rules refuse. ed is the caller's to
 * clear either way. */
int member_edit_prepare(const Sadasya__MemberView *m,
                        const Sadasya__Personal *p, const member_input *in,
                        const char *status, const char *reason,
                        member_edit *ed, sd_err *err);

/* Signs ed's entries with w into out (up to MEMBER_EDIT_ENTRIES), *n of
 * them. */
int member_edit_sign(writer *w, const member_edit *ed,
                     entry_signed out[MEMBER_EDIT_ENTRIES], size_t *n,
                     sd_err *err);

void member_edit_clear(member_edit *ed);

/* Text member_edit_fill writes for fields held as numbers. */
typedef struct member_edit_bufs {
    char birth_year[16], fee[24], joined[DAY_STR_LEN];
} member_edit_bufs;

/* The member as it will be: each field given (non-NULL in given; the
 * interests when given->n_interests or interests_given) or else as held in
 * m and p (p NULL when not held). What member_edit_prepare compares, and
 * what `update`, an import's corrections and the web's form share.
 * Strings point into given, m, p or b; allow_duplicate is given's. */
void member_edit_fill(const Sadasya__MemberView *m, const Sadasya__Personal *p,
                      const member_input *given, int interests_given,
                      member_input *full, member_edit_bufs *b);

/* Whether a and b are the same text but for spaces around it (NULL is
 * ""): how a spreadsheet's cell is compared with what is held. */
int member_edit_same(const char *a, const char *b);

#endif
