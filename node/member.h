/*
 * member.h — a new member as the user gives it (register flags or a CSV
 * row), checked and turned into a signed MemberJoined entry with its
 * sealed Personal blob. One home for the rules both paths share.
 */
#ifndef SADASYA_MEMBER_H
#define SADASYA_MEMBER_H

#include <stddef.h>

#include "entry.h"
#include "rules.h"
#include "writer.h"

#define MEMBER_MAX_INTERESTS RULES_INTERESTS_MAX
#define MEMBER_FIELD_MAX RULES_TEXT_MAX  /* bytes, for any one text field */
#define MEMBER_DEFAULT_FEE 1100  /* paise: ₹11 */

/* Text as given; NULL or "" means not given. */
typedef struct member_input {
    const char *name, *name_en, *guardian, *phone, *email, *address;
    const char *gender, *area, *district, *occupation;
    const char *birth_year, *fee_paise, *payment_ref, *referred_by;
    const char *joined; /* YYYY-MM-DD; today when not given */
    const char *interests[MEMBER_MAX_INTERESTS];
    size_t n_interests;
} member_input;

/* Checks every field: required name, gender, phone, district; gender and
 * area from their lists; phone, email, birth year, fee, referred-by number
 * and date well formed; text, fee and date by the rules every entry meets
 * (rules.h: no control or bidi characters, the fee limit, no date before
 * 2000-01-01 or after tomorrow). The message names the field ("phone
 * \"12ab\" is not a phone number"). */
int member_check(const member_input *in, sd_err *err);

/* Checks, seals the Personal data and signs a MemberJoined with w. out
 * owns the entry and blob; number receives the member's number. */
int member_build(writer *w, const member_input *in, entry_signed *out,
                 char number[NUMBER_MAX_LEN], sd_err *err);

/* Splits "a;b|c" style lists of interests in place into in->interests.
 * More than MEMBER_MAX_INTERESTS leaves n_interests one past the limit
 * (only the first MEMBER_MAX_INTERESTS stored), which member_check refuses. */
void member_split_interests(member_input *in, char *list);

#endif
