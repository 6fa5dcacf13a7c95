/*
 * import.c — members from a CSV file: columns, checks, and the sign/commit
 * pipeline. See import.h.
 */
#define _FILE_OFFSET_BITS 64
#include "import.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "apply.h"
#include "intake.h"
#include "day.h"
#include "member.h"
#include "notify.h"
#include "text.h"
#include "view.h"
#include "workq.h"

#define IMPORT_CHUNK (64 * 1024)          /* bytes read at a time */
#define IMPORT_QUEUE_SLOTS 2              /* signed batches awaiting commit */
#define IMPORT_PROGRESS_NS 100000000ll    /* a report at most every 0.1 s */

/* --- columns -------------------------------------------------------------- */

enum {
    COL_NAME, COL_GENDER, COL_PHONE, COL_DISTRICT, /* required: the first four */
    COL_NAME_EN, COL_GUARDIAN, COL_BIRTH_YEAR, COL_EMAIL, COL_ADDRESS,
    COL_AREA, COL_OCCUPATION, COL_INTEREST, COL_FEE_PAISE, COL_PAYMENT_REF,
    COL_REFERRED_BY, COL_JOINED, COL_NUMBER,
    COL_STATE, COL_STATUS, COL_STATUS_REASON, COL_ORIGIN, COL_SEQ, /* read
                                   * back from an export, not imported */
    COL_COUNT
};
#define COL_IGNORED (-1)
#define COL_REQUIRED 4

static const char *const col_names[COL_COUNT] = {
    "name", "gender", "phone", "district", "name-en", "guardian",
    "birth-year", "email", "address", "area", "occupation", "interest",
    "fee-paise", "payment-ref", "referred-by", "joined", "number",
    "state", "status", "status-reason", "origin", "seq",
};

/* Appends ", \"name\"" (the first without the comma) to a list of column
 * names; a list that is full ends in "...". */
static void names_add(char *list, size_t cap, const char *name)
{
    size_t n = strlen(list);
    if (n + 8 >= cap)
        return;
    int w = snprintf(list + n, cap - n, "%s\"%s\"", n ? ", " : "", name);
    if (w < 0 || (size_t)w >= cap - n)
        snprintf(list + n, cap - n, "%s...", n ? ", " : "");
}

/* Reads the header row into plan; the message names the first problem
 * (every unknown column at once). */
static int header_parse(const import_opts *o, const csvio_row *row,
                        import_plan *plan, sd_err *err)
{
    const char *name = o->name;
    if (row->broken)
        return sd_errf(err, SD_EINVAL, "%s:%lu: header: %s", name, row->line,
                       row->broken);
    if (row->n > CSVIO_FIELDS_MAX)
        return sd_errf(err, SD_EINVAL, "%s:%lu: header has %zu columns; "
                       "at most %d are read", name, row->line, row->n,
                       CSVIO_FIELDS_MAX);
    int seen[COL_COUNT] = { 0 };
    char unknown[IMPORT_IGNORED_MAX] = "";
    size_t nunknown = 0;
    for (size_t i = 0; i < row->n; i++) {
        const char *canon = intake_column(row->field[i]);
        int col = COL_IGNORED;
        for (int k = 0; canon && k < COL_COUNT; k++)
            if (!strcmp(canon, col_names[k]))
                col = k;
        plan->of_field[i] = col;
        if (col == COL_IGNORED) {
            if (!row->field[i][0] && !o->ignore_unknown)
                return sd_errf(err, SD_EINVAL, "%s:%lu: column %zu has no "
                               "name (--ignore-unknown ignores it)", name,
                               row->line, i + 1);
            names_add(unknown, sizeof unknown,
                      row->field[i][0] ? row->field[i] : "(no name)");
            nunknown++;
            continue;
        }
        if (seen[col])
            return sd_errf(err, SD_EINVAL, "%s:%lu: column \"%s\" appears "
                           "twice", name, row->line, col_names[col]);
        seen[col] = 1;
    }
    if (nunknown && !o->ignore_unknown)
        return sd_errf(err, SD_EINVAL, "%s:%lu: unknown column%s %s (known: "
                       "name, gender, phone, district, joined, ... in English "
                       "or Hindi; --ignore-unknown ignores the others)", name,
                       row->line, nunknown == 1 ? "" : "s", unknown);
    snprintf(plan->ignored, sizeof plan->ignored, "%s", unknown);
    plan->ncols = row->n;
    for (int k = 0; k < COL_REQUIRED; k++)
        if (!seen[k])
            return sd_errf(err, SD_EINVAL, "%s: no \"%s\" column in the "
                           "header (required: name, gender, phone, "
                           "district)", name, col_names[k]);
    return SD_OK;
}

/* Whether every cell of a row is empty or spaces (",,,"): skipped. */
static int row_blank(const csvio_row *row)
{
    if (row->broken)
        return 0;
    size_t kept = row->n < CSVIO_FIELDS_MAX ? row->n : CSVIO_FIELDS_MAX;
    for (size_t i = 0; i < kept; i++)
        if (row->field[i][0] && strspn(row->field[i], " \t") != strlen(row->field[i]))
            return 0;
    return 1;
}

/* What a row holds besides its member_input: the joining date rewritten
 * as YYYY-MM-DD, and the number column. */
typedef struct row_extra {
    char joined[INTAKE_DATE_LEN];
    const char *number, *status, *reason;
} row_extra;

/* Whether the file has a column for col. */
static int col_given(const import_plan *plan, int col)
{
    for (size_t i = 0; i < plan->ncols; i++)
        if (plan->of_field[i] == col)
            return 1;
    return 0;
}

/* Turns a data row into a member's input (pointing into the row), not yet
 * checked (member_check). SD_EINVAL with the reason when the row cannot be
 * one. */
static int row_input(const import_plan *plan, csvio_row *row,
                     member_input *in, row_extra *x, sd_err *err)
{
    memset(in, 0, sizeof *in);
    memset(x, 0, sizeof *x);
    if (row->broken)
        return sd_errf(err, SD_EINVAL, "%s", row->broken);
    if (row->n != plan->ncols)
        return sd_errf(err, SD_EINVAL, "%zu fields where the header has %zu",
                       row->n, plan->ncols);
    for (size_t i = 0; i < row->n; i++) {
        char *v = row->field[i];
        if (!*v)
            continue;
        int rc;
        switch (plan->of_field[i]) {
        case COL_NAME: in->name = v; break;
        case COL_GENDER: in->gender = intake_gender(v); break;
        case COL_PHONE:
            if ((rc = intake_phone(v, err)))
                return rc;
            in->phone = v;
            break;
        case COL_DISTRICT: in->district = v; break;
        case COL_NAME_EN: in->name_en = v; break;
        case COL_GUARDIAN: in->guardian = v; break;
        case COL_BIRTH_YEAR: in->birth_year = v; break;
        case COL_EMAIL: in->email = v; break;
        case COL_ADDRESS: in->address = v; break;
        case COL_AREA: in->area = v; break;
        case COL_OCCUPATION: in->occupation = v; break;
        case COL_INTEREST: member_split_interests(in, v); break;
        case COL_FEE_PAISE: in->fee_paise = v; break;
        case COL_PAYMENT_REF: in->payment_ref = v; break;
        case COL_REFERRED_BY: in->referred_by = v; break;
        case COL_JOINED:
            if ((rc = intake_date(v, x->joined, err)))
                return rc;
            in->joined = x->joined;
            break;
        case COL_NUMBER: x->number = v; break;
        case COL_STATUS: x->status = v; break;
        case COL_STATUS_REASON: x->reason = v; break;
        default: break; /* read back from an export, or ignored */
        }
    }
    return SD_OK;
}

static void bad_add(import_bad *b, unsigned long line, const char *why)
{
    if (b->kept < IMPORT_BAD_SHOW) {
        b->line[b->kept] = line;
        snprintf(b->why[b->kept], sizeof b->why[0], "%s", why);
        b->kept++;
    }
    b->n++;
}

/* --- rows already registered ---------------------------------------------- */

/* What the check pass looks members up with. */
typedef struct lookup {
    store *s;
    store_txn *txn;                   /* a read transaction over the pass */
    char state[STORE_STATE_BYTES];    /* this node's */
} lookup;

typedef struct phone_match {
    const lookup *lk;
    const char *name;
    char number[NUMBER_MAX_LEN];
} phone_match;

static int phone_candidate(const char *number, void *ctx)
{
    phone_match *pm = ctx;
    Sadasya__MemberView *m = NULL;
    if (view_member_get(pm->lk->s, pm->lk->txn, number, &m, NULL))
        return 0;
    int hit = 0;
    if (!strcmp(m->state, pm->lk->state)) {
        Sadasya__Personal *p = NULL;
        if (!view_personal_get(pm->lk->s, pm->lk->txn, m, &p, NULL) && p) {
            hit = member_edit_same(p->name, pm->name);
            sadasya__personal__free_unpacked(p, NULL);
        }
    }
    sadasya__member_view__free_unpacked(m, NULL);
    if (hit)
        snprintf(pm->number, sizeof pm->number, "%s", number);
    return hit;
}

/* The row in, with what its file has no column for taken from member m
 * and its personal data p (NULL when not held): what member_edit
 * compares. Strings point into in, m, p or b. */
static void row_full(const import_plan *plan, const member_input *in,
                     const Sadasya__MemberView *m, const Sadasya__Personal *p,
                     member_input *full, member_edit_bufs *b)
{
    member_input given = *in;
    struct { int col; const char **field; } opt[] = {
        { COL_NAME_EN, &given.name_en }, { COL_GUARDIAN, &given.guardian },
        { COL_BIRTH_YEAR, &given.birth_year }, { COL_EMAIL, &given.email },
        { COL_ADDRESS, &given.address }, { COL_AREA, &given.area },
        { COL_OCCUPATION, &given.occupation }, { COL_FEE_PAISE, &given.fee_paise },
        { COL_PAYMENT_REF, &given.payment_ref }, { COL_JOINED, &given.joined },
    };
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++)
        if (!col_given(plan, opt[i].col))
            *opt[i].field = NULL;   /* kept as held */
        else if (!*opt[i].field)
            *opt[i].field = "";     /* an empty cell clears it */
    int interests = col_given(plan, COL_INTEREST);
    if (!interests)
        given.n_interests = 0;
    member_edit_fill(m, p, &given, interests, full, b);
}

/* A correction kept in the plan, in row order. */
static int edit_add(import_plan *plan, uint64_t row, unsigned long line,
                    member_edit *ed)
{
    if (plan->nedits == plan->edits_cap) {
        size_t cap = plan->edits_cap ? plan->edits_cap * 2 : 16;
        import_edit *e = realloc(plan->edits, cap * sizeof *e);
        if (!e)
            return SD_ENOMEM;
        plan->edits = e;
        plan->edits_cap = cap;
    }
    import_edit *e = &plan->edits[plan->nedits++];
    e->row = row;
    e->line = line;
    e->ed = *ed;
    memset(ed, 0, sizeof *ed);
    return SD_OK;
}

/* Whether a checked row (data row `row` of the plan, at line) is a
 * member registered here already: 1 (its number in number), 2 when it
 * corrects that member (the correction added to the plan), 0, or a reason
 * in why to refuse the row (a number column naming no member of this
 * state, a change no entry can record). */
static int row_registered(const lookup *lk, import_plan *plan, uint64_t row,
                          unsigned long line, const member_input *in,
                          const row_extra *x, char number[NUMBER_MAX_LEN],
                          sd_err *why)
{
    if (x->number) {
        char st[NUMBER_STATE_MAX + 1];
        sd_err e;
        if (number_parse(x->number, number, st, NULL, &e))
            return sd_errf(why, SD_EINVAL, "number: %s", e.msg);
        if (strcmp(st, lk->state))
            return sd_errf(why, SD_EINVAL, "number %s is of state %s; this "
                           "node imports members of %s", number, st,
                           lk->state);
        Sadasya__MemberView *m = NULL;
        if (view_member_get(lk->s, lk->txn, number, &m, NULL))
            return sd_errf(why, SD_EINVAL, "number %s: no member holds it",
                           number);
        Sadasya__Personal *p = NULL;
        view_personal_get(lk->s, lk->txn, m, &p, NULL);
        member_input full;
        member_edit_bufs bufs;
        row_full(plan, in, m, p, &full, &bufs);
        member_edit ed;
        int rc = member_edit_prepare(m, p, &full, x->status, x->reason, &ed,
                                     &e);
        int ret = 1;
        if (rc)
            ret = sd_errf(why, rc == SD_ENOMEM ? SD_ENOMEM : SD_EINVAL,
                          "%s: %s", number, e.msg);
        else if (ed.changed[0])
            ret = edit_add(plan, row, line, &ed) ? SD_ENOMEM : 2;
        member_edit_clear(&ed);
        if (p)
            sadasya__personal__free_unpacked(p, NULL);
        sadasya__member_view__free_unpacked(m, NULL);
        return ret;
    }
    phone_match pm = { lk, in->name, "" };
    int rc = view_find_phone(lk->s, lk->txn, in->phone, phone_candidate, &pm,
                             NULL);
    if (rc > 0) {
        memcpy(number, pm.number, NUMBER_MAX_LEN);
        return 1;
    }
    return 0;
}

/* Sets bit i (data row i, from 0) of a growing bitmap. */
static int rowbit_set(uint8_t **bits, size_t *cap, uint64_t i)
{
    if (i / 8 >= *cap) {
        size_t ncap = *cap ? *cap * 2 : 1024;
        while (ncap <= i / 8)
            ncap *= 2;
        uint8_t *k = realloc(*bits, ncap);
        if (!k)
            return SD_ENOMEM;
        memset(k + *cap, 0, ncap - *cap);
        *bits = k;
        *cap = ncap;
    }
    (*bits)[i / 8] |= (uint8_t)(1u << (i % 8));
    return SD_OK;
}

static int rowbit_has(const uint8_t *bits, size_t cap, uint64_t i)
{
    return i / 8 < cap && (bits[i / 8] >> (i % 8) & 1);
}

/* Marks data row i (from 0) of the plan as registered already. */
static int known_set(import_plan *plan, uint64_t i)
{
    return rowbit_set(&plan->known, &plan->known_cap, i);
}

static int known_has(const import_plan *plan, uint64_t i)
{
    return rowbit_has(plan->known, plan->known_cap, i);
}

void import_plan_release(import_plan *plan)
{
    for (size_t i = 0; i < plan->nedits; i++)
        member_edit_clear(&plan->edits[i].ed);
    free(plan->edits);
    plan->edits = NULL;
    plan->nedits = plan->edits_cap = 0;
    free(plan->known);
    plan->known = NULL;
    plan->known_cap = 0;
    free(plan->refused);
    plan->refused = NULL;
    plan->refused_cap = 0;
}

/* The reason the check pass gave for refusing the row at line, when it
 * kept it, else fallback; SD_EINVAL either way. */
static int bad_why(const import_bad *b, unsigned long line,
                   const char *fallback, sd_err *err)
{
    for (size_t i = 0; i < b->kept; i++)
        if (b->line[i] == line)
            return sd_errf(err, SD_EINVAL, "%s", b->why[i]);
    return sd_errf(err, SD_EINVAL, "%s", fallback);
}

/* --- reading the file ------------------------------------------------------ */

/* Streams in from the current position through a CSV reader calling fn
 * with each record, hashing every byte; *bytes counts them as they go (for
 * progress). The hash is valid when SD_OK came back and fn did not stop
 * the reading (*stopped). */
static int read_file(FILE *in, const char *name, csvio_row_fn fn, void *ctx,
                     uint64_t *bytes, uint8_t hash[ENTRY_HASH_BYTES],
                     int *stopped, sd_err *err)
{
    csvio_reader *r;
    int rc = csvio_reader_new(&r, CSVIO_UNGUARD, fn, ctx, err);
    if (rc)
        return rc;
    unsigned char *chunk = malloc(IMPORT_CHUNK);
    if (!chunk) {
        csvio_reader_destroy(&r);
        return sd_errf(err, SD_ENOMEM, "out of memory");
    }
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, ENTRY_HASH_BYTES);
    *stopped = 0;
    size_t n;
    while (!rc && (n = fread(chunk, 1, IMPORT_CHUNK, in)) > 0) {
        crypto_generichash_update(&h, chunk, n);
        __atomic_add_fetch(bytes, n, __ATOMIC_RELAXED);
        rc = csvio_feed(r, chunk, n, err);
    }
    if (!rc && ferror(in))
        rc = sd_errf(err, SD_EIO, "reading %s: %s", name,
                     strerror(errno ? errno : EIO));
    if (!rc)
        rc = csvio_finish(r, err);
    if (rc > 0) { /* fn stopped it: its own failure is recorded by fn */
        *stopped = 1;
        rc = SD_OK;
    } else if (rc == SD_EINVAL) {
        sd_err why = *err;
        sd_errf(err, rc, "%s: %s", name, why.msg);
    }
    crypto_generichash_final(&h, hash, ENTRY_HASH_BYTES);
    free(chunk);
    csvio_reader_destroy(&r);
    return rc;
}

/* --- pass 1: check every row --------------------------------------------- */

typedef struct row_phone row_phone;

typedef struct check_pass {
    const import_opts *o;
    import_plan *plan;
    int have_header;
    int rc;
    sd_err err;             /* a header error: fatal */
    workq_progress prog;
    uint64_t bytes;
    lookup *lk;             /* NULL: rows registered already are not sought */
    row_phone *phones;      /* of the new rows, for duplicates in the file */
    size_t nphones, phones_cap;
} check_pass;

/* A new row's phone (its normalised digits and their count as one key). */
struct row_phone {
    uint64_t key, row;
    unsigned long line;
};

static int phone_keep(check_pass *cp, const char *phone, uint64_t row,
                      unsigned long line)
{
    char d[TEXT_PHONE_MAX];
    int len = text_phone_norm(phone, d);
    if (len < 0)
        return SD_OK; /* member_check refused it already */
    if (cp->nphones == cp->phones_cap) {
        size_t cap = cp->phones_cap ? cp->phones_cap * 2 : 1024;
        row_phone *p = realloc(cp->phones, cap * sizeof *p);
        if (!p)
            return SD_ENOMEM;
        cp->phones = p;
        cp->phones_cap = cap;
    }
    row_phone *p = &cp->phones[cp->nphones++];
    p->key = strtoull(d, NULL, 10) << 4 | (uint64_t)len;
    p->row = row;
    p->line = line;
    return SD_OK;
}

static int phone_cmp(const void *a, const void *b)
{
    const row_phone *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* Refuses every new row whose phone an earlier new row of the file has:
 * registering both would be a second number and a second fee for one
 * person. The refused rows join plan->bad (kept in line order). */
static int phones_refuse(check_pass *cp)
{
    import_plan *plan = cp->plan;
    qsort(cp->phones, cp->nphones, sizeof *cp->phones, phone_cmp);
    int added = 0;
    for (size_t i = 1; i < cp->nphones; i++) {
        const row_phone *first = &cp->phones[i - 1];
        while (i < cp->nphones && cp->phones[i].key == first->key) {
            char why[SD_ERR_MSG_MAX];
            snprintf(why, sizeof why, "likely duplicate: the same phone as "
                     "line %lu of this file (--allow-duplicate registers "
                     "both)", first->line);
            if (rowbit_set(&plan->refused, &plan->refused_cap,
                           cp->phones[i].row))
                return SD_ENOMEM;
            bad_add(&plan->bad, cp->phones[i].line, why);
            added = 1;
            i++;
        }
    }
    if (added) { /* the kept reasons in line order, as the file has them */
        import_bad *b = &plan->bad;
        size_t idx[IMPORT_BAD_SHOW];
        for (size_t i = 0; i < b->kept; i++)
            idx[i] = i;
        for (size_t i = 1; i < b->kept; i++) /* insertion sort: a few rows */
            for (size_t j = i; j > 0 && b->line[idx[j]] < b->line[idx[j - 1]]; j--) {
                size_t t = idx[j];
                idx[j] = idx[j - 1];
                idx[j - 1] = t;
            }
        import_bad sorted = *b;
        for (size_t i = 0; i < b->kept; i++) {
            sorted.line[i] = b->line[idx[i]];
            memcpy(sorted.why[i], b->why[idx[i]], sizeof sorted.why[i]);
        }
        *b = sorted;
    }
    return SD_OK;
}

static int check_row(csvio_row *row, void *ctx)
{
    check_pass *cp = ctx;
    if (!cp->have_header) {
        cp->have_header = 1;
        cp->rc = header_parse(cp->o, row, cp->plan, &cp->err);
        return cp->rc ? 1 : 0;
    }
    if (row_blank(row))
        return 0;
    cp->plan->rows++;
    member_input in;
    row_extra x;
    sd_err why;
    sd_err_clear(&why);
    char number[NUMBER_MAX_LEN];
    int known = 0;
    if (row_input(cp->plan, row, &in, &x, &why) || member_check(&in, &why) ||
        (cp->lk && (known = row_registered(cp->lk, cp->plan,
                                           cp->plan->rows - 1, row->line, &in,
                                           &x, number, &why)) < 0)) {
        if (known == SD_ENOMEM) {
            cp->rc = sd_errf(&cp->err, SD_ENOMEM, "out of memory");
            return 1;
        }
        bad_add(&cp->plan->bad, row->line, why.msg);
    } else if (known == 2) {
        /* a correction: in plan->edits */
    } else if (known > 0) {
        if (known_set(cp->plan, cp->plan->rows - 1)) {
            cp->rc = sd_errf(&cp->err, SD_ENOMEM, "out of memory");
            return 1;
        }
        bad_add(&cp->plan->registered, row->line, number);
    } else if (x.number) {
        bad_add(&cp->plan->bad, row->line, "a number column needs a member");
    } else if (cp->lk) {
        /* a new member: the checks register makes against the store */
        in.allow_duplicate = cp->o->allow_duplicate;
        int rc = member_check_store(cp->lk->s, cp->lk->txn, cp->lk->state,
                                    NULL, &in, NULL, &why);
        if (rc == SD_ENOMEM) {
            cp->rc = sd_errf(&cp->err, SD_ENOMEM, "out of memory");
            return 1;
        }
        if (rc) {
            if (rowbit_set(&cp->plan->refused, &cp->plan->refused_cap,
                           cp->plan->rows - 1)) {
                cp->rc = sd_errf(&cp->err, SD_ENOMEM, "out of memory");
                return 1;
            }
            bad_add(&cp->plan->bad, row->line, why.msg);
        } else if (!cp->o->allow_duplicate &&
                   phone_keep(cp, in.phone, cp->plan->rows - 1, row->line)) {
            cp->rc = sd_errf(&cp->err, SD_ENOMEM, "out of memory");
            return 1;
        }
    }
    if (!(cp->plan->rows & 1023))
        workq_progress_set(&cp->prog, cp->bytes);
    return 0;
}

/* Forwards a pass's progress to the caller's callback. */
typedef struct phase_report {
    const import_opts *o;
    int phase;
} phase_report;

static void on_progress(uint64_t done, uint64_t total, double per_sec,
                        int last, void *ctx)
{
    const phase_report *pr = ctx;
    pr->o->progress(pr->phase, done, total, per_sec, last, pr->o->ctx);
}

int import_check(FILE *in, const import_opts *o, import_plan *plan,
                 sd_err *err)
{
    memset(plan, 0, sizeof *plan);
    plan->start = ftello(in);
    if (plan->start < 0)
        return sd_errf(err, SD_EINVAL, "%s: an import reads its file twice: "
                       "it must be a file, not a pipe", o->name);
    check_pass cp;
    memset(&cp, 0, sizeof cp);
    cp.o = o;
    cp.plan = plan;
    struct stat st;
    uint64_t size = 0;
    if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode))
        size = (uint64_t)st.st_size - (uint64_t)plan->start;
    lookup lk;
    memset(&lk, 0, sizeof lk);
    if (o->s) {
        const void *v;
        size_t len;
        lk.s = o->s;
        int rc = store_begin(o->s, 0, &lk.txn, err);
        if (rc)
            return rc;
        rc = store_meta_get(o->s, lk.txn, STORE_META_STATE, &v, &len, err);
        if (rc) {
            store_end(lk.txn);
            return rc;
        }
        snprintf(lk.state, sizeof lk.state, "%.*s", (int)len, (const char *)v);
        cp.lk = &lk;
    }
    phase_report pr = { o, IMPORT_CHECKING };
    workq_progress_init(&cp.prog, size, IMPORT_PROGRESS_NS,
                        o->progress ? on_progress : NULL, &pr);
    int stopped;
    int rc = read_file(in, o->name, check_row, &cp, &cp.bytes, plan->hash,
                       &stopped, err);
    workq_progress_set(&cp.prog, cp.bytes);
    workq_progress_end(&cp.prog);
    if (lk.txn)
        store_end(lk.txn);
    if (!rc && !cp.rc && cp.nphones && phones_refuse(&cp))
        rc = sd_errf(err, SD_ENOMEM, "out of memory");
    free(cp.phones);
    if (!rc && cp.rc) {
        *err = cp.err;
        rc = cp.rc;
    } else if (!rc && !cp.have_header) {
        rc = sd_errf(err, SD_EINVAL, "%s is empty: the first row must name "
                     "the columns", o->name);
    }
    char hex[2 * ENTRY_HASH_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, plan->hash, sizeof plan->hash);
    snprintf(plan->meta_name, sizeof plan->meta_name, "%s%s",
             IMPORT_META_PREFIX, hex);
    return rc;
}

int import_done_rows(store *s, const import_plan *plan, uint64_t *done,
                     sd_err *err)
{
    store_txn *txn;
    int rc = store_begin(s, 0, &txn, err);
    if (rc)
        return rc;
    const void *v;
    size_t len;
    *done = 0;
    rc = store_meta_get(s, txn, plan->meta_name, &v, &len, err);
    if (rc == SD_OK && len == 8)
        *done = store_be64(v);
    else if (rc == SD_OK)
        rc = sd_errf(err, SD_ECORRUPT, "meta %s is not a row count",
                     plan->meta_name);
    else if (rc == SD_ENOTFOUND)
        rc = SD_OK;
    store_end(txn);
    return rc;
}

/* --- pass 2: sign in a worker, commit in the calling thread --------------- */

typedef struct batch {
    entry_signed *items;         /* room for a batch and one more row */
    size_t n;
    size_t joins, updates;       /* members registered, corrected */
    uint64_t rows_done;          /* data rows of the file done once it lands */
    char first[NUMBER_MAX_LEN], last[NUMBER_MAX_LEN];
} batch;

typedef struct pipeline {
    /* set before the worker starts */
    FILE *in;
    const import_plan *plan;
    const import_opts *o;
    writer *w;                   /* signs in the worker alone while it runs */
    uint64_t skip;               /* data rows done by an earlier run */
    size_t batch_size;
    workq *q;                    /* batches, worker → committer */

    /* the worker's */
    int have_header;
    uint64_t rows;               /* data rows read (atomic: progress reads it) */
    uint64_t pushed_rows;        /* rows_done of the last batch handed over */
    uint64_t bytes;
    batch *cur;
    import_bad *skipped;         /* bad rows skipped in this run */
    size_t next_edit;            /* the plan's next correction */
    int rc;                      /* the worker's failure, read after join */
    sd_err err;
} pipeline;

static void batch_destroy(batch **b)
{
    if (!b || !*b)
        return;
    for (size_t i = 0; i < (*b)->n; i++)
        entry_signed_clear(&(*b)->items[i]);
    free((*b)->items);
    free(*b);
    *b = NULL;
}

static batch *batch_new(size_t size)
{
    batch *b = calloc(1, sizeof *b);
    if (b && !(b->items = calloc(size + MEMBER_EDIT_ENTRIES, sizeof *b->items))) {
        free(b);
        b = NULL;
    }
    return b;
}

/* Hands a batch to the committer. Non-zero when the committer has stopped
 * (the batch is then freed). */
static int hand_over(pipeline *pl, batch *b)
{
    if (workq_push(pl->q, b) == 0)
        return 0;
    batch_destroy(&b);
    return 1;
}

/* Records the worker's failure; 1, to stop the reading. */
static int worker_fail(pipeline *pl, int rc, const sd_err *err)
{
    pl->rc = rc;
    pl->err = *err;
    return 1;
}

/* Hands the current batch over once it holds batch_size entries. */
static int batch_full(pipeline *pl, batch *b)
{
    if (b->n < pl->batch_size)
        return 0;
    b->rows_done = pl->pushed_rows = pl->rows;
    pl->cur = NULL;
    return hand_over(pl, b);
}

static int build_row(csvio_row *row, void *ctx)
{
    pipeline *pl = ctx;
    if (!pl->have_header) {
        pl->have_header = 1;
        return 0;
    }
    if (row_blank(row))
        return 0;
    uint64_t n = __atomic_add_fetch(&pl->rows, 1, __ATOMIC_RELAXED);
    if (n <= pl->skip || known_has(pl->plan, n - 1))
        return 0;
    if (workq_closed(pl->q))
        return 1; /* the committer failed: no use signing more */
    sd_err err;
    sd_err_clear(&err);
    if (!pl->cur && !(pl->cur = batch_new(pl->batch_size)))
        return worker_fail(pl, sd_errf(&err, SD_ENOMEM, "out of memory"),
                           &err);
    batch *b = pl->cur;
    const import_plan *plan = pl->plan;
    while (pl->next_edit < plan->nedits && plan->edits[pl->next_edit].row < n - 1)
        pl->next_edit++;
    if (pl->next_edit < plan->nedits && plan->edits[pl->next_edit].row == n - 1) {
        size_t k;
        int rc = member_edit_sign(pl->w, &plan->edits[pl->next_edit++].ed,
                                  &b->items[b->n], &k, &err);
        if (rc)
            return worker_fail(pl, rc, &err);
        b->n += k;
        b->updates++;
        return batch_full(pl, b);
    }
    member_input in;
    row_extra x;
    int rc = row_input(pl->plan, row, &in, &x, &err);
    if (!rc && x.number) /* not registered, so refused by the check */
        rc = bad_why(&plan->bad, row->line, "its number column names no "
                     "member of this state as the row has it", &err);
    else if (!rc && rowbit_has(plan->refused, plan->refused_cap, n - 1))
        rc = bad_why(&plan->bad, row->line, "a likely duplicate of a member "
                     "(--allow-duplicate registers it)", &err);
    char number[NUMBER_MAX_LEN];
    /* member_build checks the row first: only when that passes is a
     * failure not the row's (no number left, out of memory). */
    if (!rc && (rc = member_build(pl->w, &in, &b->items[b->n], number,
                                  &err)) && !member_check(&in, NULL))
        return worker_fail(pl, rc, &err);
    if (rc) {
        if (!pl->o->skip_bad) {
            sd_err e;
            return worker_fail(pl, sd_errf(&e, SD_EINVAL, "%s changed while "
                                           "it was imported (line %lu: %s)",
                                           pl->o->name, row->line, err.msg),
                               &e);
        }
        bad_add(pl->skipped, row->line, err.msg);
        return 0;
    }
    if (!b->joins)
        memcpy(b->first, number, sizeof number);
    memcpy(b->last, number, sizeof number);
    b->n++;
    b->joins++;
    return batch_full(pl, b);
}

static void *worker_main(void *arg)
{
    pipeline *pl = arg;
    uint8_t hash[ENTRY_HASH_BYTES];
    sd_err err;
    sd_err_clear(&err);
    int stopped = 0;
    int rc = SD_OK;
    if (fseeko(pl->in, pl->plan->start, SEEK_SET) != 0)
        rc = sd_errf(&err, SD_EIO, "rewinding %s: %s", pl->o->name,
                     strerror(errno));
    else
        rc = read_file(pl->in, pl->o->name, build_row, pl, &pl->bytes, hash,
                       &stopped, &err);
    if (rc) {
        worker_fail(pl, rc, &err);
    } else if (!stopped) {
        if (pl->rows != pl->plan->rows ||
            memcmp(hash, pl->plan->hash, sizeof hash)) {
            worker_fail(pl, sd_errf(&err, SD_EINVAL, "%s changed while it "
                                    "was imported; run the import again",
                                    pl->o->name), &err);
        } else if (pl->rows > pl->pushed_rows) {
            /* The last batch also records that every row is done. */
            batch *b = pl->cur ? pl->cur : batch_new(1);
            pl->cur = NULL;
            if (!b) {
                worker_fail(pl, sd_errf(&err, SD_ENOMEM, "out of memory"),
                            &err);
            } else {
                b->rows_done = pl->rows;
                hand_over(pl, b);
            }
        }
    }
    batch_destroy(&pl->cur);
    workq_close(pl->q); /* the committer takes what is queued, then stops */
    return NULL;
}

/* Commits one batch through the one write path, with the file's progress
 * in the same transaction. */
static int commit_batch(writer *w, const import_plan *plan, batch *b,
                        sd_err *err)
{
    uint8_t be[8];
    store_put_be64(be, b->rows_done);
    apply_opts o = { 0 };
    o.flags = APPLY_OWN; /* any refusal fails the batch, its reason in err */
    o.meta_name = plan->meta_name;
    o.meta_val = be;
    o.meta_len = sizeof be;
    apply_result res;
    int rc = apply_batch(w->s, b->items, b->n, &o, &res, err);
    if (!rc)
        notify_node(store_dir(w->s));
    return rc;
}

/* Threads making signature halves: one per online core, since the
 * signing and committing threads wait on them more than they work. */
static unsigned import_signers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > PRESIGN_MAX_WORKERS ? PRESIGN_MAX_WORKERS : (unsigned)n;
}

/* Good rows still to import, at least: rows left less every bad row. */
static uint64_t at_least(uint64_t left, uint64_t bad)
{
    return left > bad ? left - bad : 0;
}

int import_commit(writer *w, FILE *in, const import_plan *plan,
                  const import_opts *o, import_result *res, sd_err *err)
{
    memset(res, 0, sizeof *res);
    res->rows = plan->rows;
    /* Read under the writer's lock: another import of the same file may
     * have been running. */
    int rc = import_done_rows(w->s, plan, &res->already, err);
    if (rc || res->already >= plan->rows)
        return rc;
    if (plan->bad.n && !o->skip_bad)
        return sd_errf(err, SD_EINVAL, "%s: %llu bad row%s of %llu; nothing "
                       "imported", o->name, (unsigned long long)plan->bad.n,
                       plan->bad.n == 1 ? "" : "s",
                       (unsigned long long)plan->rows);
    for (uint64_t i = res->already; i < plan->rows; i++)
        res->registered += (uint64_t)known_has(plan, i);
    uint64_t more = at_least(plan->rows - res->already - res->registered,
                             plan->bad.n);
    if (w->first_serial - 1 + w->head.joins + more > NUMBER_SERIAL_MAX)
        return sd_errf(err, SD_EINVAL, "%s: %llu more members would pass the "
                       "last membership number of %s (serial %u); nothing "
                       "imported", o->name, (unsigned long long)more,
                       w->state, NUMBER_SERIAL_MAX);

    pipeline pl;
    memset(&pl, 0, sizeof pl);
    pl.in = in;
    pl.plan = plan;
    pl.o = o;
    pl.w = w;
    pl.skip = pl.pushed_rows = res->already;
    pl.batch_size = o->batch ? o->batch : IMPORT_BATCH_DEFAULT;
    pl.skipped = &res->skipped;
    if ((rc = workq_new(&pl.q, IMPORT_QUEUE_SLOTS, err)))
        return rc;
    /* Signing is most of an import's work and a chain signs one entry at
     * a time: the (r, R) halves of the signatures are made ahead, one
     * thread per core (presign.h). Without them it still signs, slower. */
    if (writer_presign_start(w, import_signers(), NULL))
        res->plain_signing = 1;
    pthread_t th;
    int prc = pthread_create(&th, NULL, worker_main, &pl);
    if (prc) {
        writer_presign_stop(w);
        workq_destroy(&pl.q);
        return sd_errf(err, SD_ENOMEM, "cannot start the import thread: %s",
                       strerror(prc));
    }
    phase_report pr = { o, IMPORT_SIGNING };
    workq_progress prog;
    workq_progress_init(&prog, plan->rows - pl.skip, IMPORT_PROGRESS_NS,
                        o->progress ? on_progress : NULL, &pr);
    /* The committer never touches w's head while the worker signs: it
     * commits through apply_batch (not writer_commit, which re-reads the
     * head on a failure) and re-reads the head once the worker is done. */
    void *item;
    int got;
    while ((got = workq_pop_wait(pl.q, &item, IMPORT_PROGRESS_NS)) !=
           WORKQ_CLOSED) {
        workq_progress_set(&prog, __atomic_load_n(&pl.rows, __ATOMIC_RELAXED) -
                                      pl.skip);
        if (got == WORKQ_TIMEOUT)
            continue;
        batch *b = item;
        rc = commit_batch(w, plan, b, err);
        if (!rc) {
            if (b->joins && !res->imported)
                memcpy(res->first, b->first, sizeof res->first);
            if (b->joins)
                memcpy(res->last, b->last, sizeof res->last);
            res->imported += b->joins;
            res->updated += b->updates;
        }
        batch_destroy(&b);
        if (rc) {
            workq_close(pl.q); /* stops the worker */
            break;
        }
    }
    pthread_join(th, NULL);
    writer_presign_stop(w);
    while (workq_pop(pl.q, &item) == 0) {
        batch *b = item;
        batch_destroy(&b);
    }
    workq_destroy(&pl.q);
    workq_progress_end(&prog);
    if (!rc && pl.rc) {
        rc = pl.rc;
        *err = pl.err;
    }
    if (rc)
        writer_reload(w, NULL);
    return rc;
}
