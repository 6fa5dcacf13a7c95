/*
 * import.c — members from a CSV file: columns, rows, and pass 1, the check
 * of every row (pass 2, signing and committing, is import_run.c). See
 * import.h.
 */
#define _FILE_OFFSET_BITS 64
#include "import_int.h"

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
int import_row_blank(const csvio_row *row)
{
    if (row->broken)
        return 0;
    size_t kept = row->n < CSVIO_FIELDS_MAX ? row->n : CSVIO_FIELDS_MAX;
    for (size_t i = 0; i < kept; i++)
        if (row->field[i][0] && strspn(row->field[i], " \t") != strlen(row->field[i]))
            return 0;
    return 1;
}


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
int import_row_input(const import_plan *plan, csvio_row *row,
                     member_input *in, import_row_extra *x, sd_err *err)
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

void import_bad_add(import_bad *b, unsigned long line, const char *why)
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
                          const import_row_extra *x, char number[NUMBER_MAX_LEN],
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

int import_rowbit_has(const uint8_t *bits, size_t cap, uint64_t i)
{
    return i / 8 < cap && (bits[i / 8] >> (i % 8) & 1);
}

/* Marks data row i (from 0) of the plan as registered already. */
static int known_set(import_plan *plan, uint64_t i)
{
    return rowbit_set(&plan->known, &plan->known_cap, i);
}

int import_known_has(const import_plan *plan, uint64_t i)
{
    return import_rowbit_has(plan->known, plan->known_cap, i);
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
int import_bad_why(const import_bad *b, unsigned long line,
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
int import_read_file(FILE *in, const char *name, csvio_row_fn fn, void *ctx,
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
            import_bad_add(&plan->bad, cp->phones[i].line, why);
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
    if (import_row_blank(row))
        return 0;
    cp->plan->rows++;
    member_input in;
    import_row_extra x;
    sd_err why;
    sd_err_clear(&why);
    char number[NUMBER_MAX_LEN];
    int known = 0;
    if (import_row_input(cp->plan, row, &in, &x, &why) || member_check(&in, &why) ||
        (cp->lk && (known = row_registered(cp->lk, cp->plan,
                                           cp->plan->rows - 1, row->line, &in,
                                           &x, number, &why)) < 0)) {
        if (known == SD_ENOMEM) {
            cp->rc = sd_errf(&cp->err, SD_ENOMEM, "out of memory");
            return 1;
        }
        import_bad_add(&cp->plan->bad, row->line, why.msg);
    } else if (known == 2) {
        /* a correction: in plan->edits */
    } else if (known > 0) {
        if (known_set(cp->plan, cp->plan->rows - 1)) {
            cp->rc = sd_errf(&cp->err, SD_ENOMEM, "out of memory");
            return 1;
        }
        import_bad_add(&cp->plan->registered, row->line, number);
    } else if (x.number) {
        import_bad_add(&cp->plan->bad, row->line, "a number column needs a member");
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
            import_bad_add(&cp->plan->bad, row->line, why.msg);
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


void import_on_progress(uint64_t done, uint64_t total, double per_sec,
                        int last, void *ctx)
{
    const import_phase *pr = ctx;
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
    import_phase pr = { o, IMPORT_CHECKING };
    workq_progress_init(&cp.prog, size, IMPORT_PROGRESS_NS,
                        o->progress ? import_on_progress : NULL, &pr);
    int stopped;
    int rc = import_read_file(in, o->name, check_row, &cp, &cp.bytes, plan->hash,
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
