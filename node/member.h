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
#define MEMBER_FEE_MIN 100       /* paise: a fee below ₹1 is a mistake (paise
                                  * given for rupees), 0 a waived fee */

/* Text as given; NULL or "" means not given. */
typedef struct member_input {
    const char *name, *name_en, *guardian, *phone, *email, *address;
    const char *gender, *area, *district, *occupation;
    const char *birth_year, *fee_paise, *payment_ref, *referred_by;
    const char *fee;    /* rupees ("11", "11.00", "₹11", "Rs 11"), or fee_paise */
    int allow_duplicate; /* member_check_store lets a likely duplicate in */
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

/* The fee in paise: from fee (rupees: "11", "11.5", "11.00", "1,100",
 * "₹11", "Rs 11", "Rs. 11", "INR 11") or fee_paise (digits), not both;
 * MEMBER_DEFAULT_FEE when neither is given. A fee from 1 to 99 paise is
 * refused ("did you mean --fee 11?"); 0 is a waived fee; above
 * RULES_FEE_MAX_PAISE is refused. SD_OK or SD_EINVAL. */
int member_fee(const member_input *in, uint64_t *paise, sd_err *err);

/* A birth year no later than the year of latest_day (a day number) and
 * not before 1900; year is the text given. SD_OK or SD_EINVAL. */
int member_birth_year(const char *year, uint32_t latest_day, sd_err *err);

/* The checks that need the store, for a new member of state (or, with
 * self, the member self as it will be after an update):
 *  - referred-by: a member of state that is not held here is refused
 *    (SD_ENOTFOUND); a number of another state not held here is only a
 *    warning (it may not have arrived yet), written to warn->msg;
 *  - a likely duplicate, unless in->allow_duplicate: a member of state
 *    (other than self) with the same phone, or with the same name and the
 *    same guardian or birth year, is refused (SD_ECONFLICT) naming its number.
 * warn may be NULL; its msg is "" when there is nothing to say. */
int member_check_store(store *s, store_txn *txn, const char *state,
                       const char *self, const member_input *in,
                       sd_err *warn, sd_err *err);

/* Checks, seals the Personal data and signs a MemberJoined with w. out
 * owns the entry and blob; number receives the member's number. */
int member_build(writer *w, const member_input *in, entry_signed *out,
                 char number[NUMBER_MAX_LEN], sd_err *err);

/* Splits "a;b|c" style lists of interests in place into in->interests.
 * More than MEMBER_MAX_INTERESTS leaves n_interests one past the limit
 * (only the first MEMBER_MAX_INTERESTS stored), which member_check refuses. */
void member_split_interests(member_input *in, char *list);

#endif
