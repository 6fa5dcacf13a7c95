/*
 * cmd_card.c — `sadasya card NUMBER --out FILE.png|.svg` and
 * `sadasya cards [--state CODE] --out DIR`: members' ID cards (proto/README.md).
 *
 * A card is issued by the node that holds the signing key of the member's
 * chapter (or by the national office): it reads the member from the view,
 * signs a CardClaim (node/card.c) and draws the card (node/card_render.c).
 * `cards` reads and signs on the main thread and draws on worker threads,
 * each with its own renderer, a bounded queue (workq.h) between them.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "card.h"
#include "card_labels.h"
#include "card_render.h"
#include "cmds.h"
#include "number.h"
#include "workq.h"

#define CARDS_QUEUE 64        /* cards signed ahead of the drawing threads */
#define CARDS_JOBS_MAX 16
#define CARDS_PROGRESS_NS 200000000ll

/* One card to draw: the face's strings, owned. */
typedef struct card_job {
    char number[NUMBER_MAX_LEN];
    char *name, *name_en;
    uint32_t joined_day;
    char payload[CARD_PAYLOAD_MAX + 1];
} card_job;

static void job_free(card_job *j)
{
    free(j->name);
    free(j->name_en);
    free(j);
}

/* The member's card job, signed by id. SD_ENOTFOUND when this node does
 * not hold the member's personal data (the name the card prints). */
static int job_make(const ident *id, const Sadasya__MemberView *m,
                    const Sadasya__Personal *p, card_job **out, sd_err *err)
{
    *out = NULL;
    if (!p && m->erased_day)
        return sd_errf(err, SD_ENOTFOUND,
                       "the personal data of %s was erased on request: a card "
                       "needs the member's name", m->number);
    if (!p)
        return sd_errf(err, SD_ENOTFOUND,
                       "the personal data of %s is not held on this node: a "
                       "card needs the member's name", m->number);
    card_job *j = calloc(1, sizeof *j);
    if (!j)
        return sd_errf(err, SD_ENOMEM, "out of memory");
    card_claim claim;
    card_claim_for(m, p, &claim);
    int rc = card_sign(&id->kp, &claim, j->payload, err);
    j->name = strdup(p->name);
    j->name_en = strdup(p->name_en ? p->name_en : "");
    if (!rc && (!j->name || !j->name_en))
        rc = sd_errf(err, SD_ENOMEM, "out of memory");
    if (rc) {
        job_free(j);
        return rc;
    }
    snprintf(j->number, sizeof j->number, "%s", m->number);
    j->joined_day = m->joined_day;
    *out = j;
    return SD_OK;
}

/* The names a state's cards print, shared by every card. */
typedef struct card_heading {
    char org[IDENT_NAME_MAX], chapter[IDENT_NAME_MAX], state[STORE_STATE_BYTES];
} card_heading;

static int job_draw(card_renderer *r, const card_heading *hd, const card_job *j,
                    const char *path, sd_err *err)
{
    card_face f = { hd->org, hd->chapter, hd->state, j->name, j->name_en,
                    j->number, j->joined_day, j->payload };
    return card_render(r, &f, path, err);
}

/* Opens the store and loads this node's identity, signing key included. */
static int issuer_open(cli *c, store **s, ident *id, sd_err *err)
{
    if (cli_open(c, STORE_RDONLY, s))
        return CLI_EXIT_FAIL;
    int rc = ident_load(*s, id, err);
    if (rc) {
        store_destroy(s);
        return cli_error(err);
    }
    return SD_OK;
}

static void warn_unlisted(const ident *id)
{
    fprintf(stderr,
            "sadasya: warning: the roster this node holds does not list its "
            "key for %s yet: cards it signs are refused until the national "
            "office's roster entry reaches the verifier\n", id->state);
}

/* Said once per command while the national office has not named the
 * organisation (`rules --org-name`): cards then show the national node's
 * name, which may be no more than what its `init --name` was given. */
static void warn_org_unset(const card_heading *hd)
{
    char safe[CLI_SAFE_MAX];
    if (hd->org[0])
        fprintf(stderr, "sadasya: warning: organisation name not set by the "
                "national office: using the national node's name \"%s\" "
                "(sadasya rules --org-name NAME on the national node sets it)\n",
                cli_safe(hd->org, safe, sizeof safe));
    else
        fprintf(stderr, "sadasya: warning: organisation name not set by the "
                "national office, nor the national node's name known here: "
                "using the chapter's name\n");
}

/* --- card ------------------------------------------------------------------ */

static const char card_usage[] =
    "usage: sadasya [--data DIR] [--json] card NUMBER --out FILE.png|FILE.svg\n"
    "\n"
    "Renders the member's ID card: CR80 size (1011 x 638 pixels at 300 dpi\n"
    "as PNG; 85.6 x 54 mm as SVG) with the organisation and chapter, the\n"
    "member's name in its own script and in English, number, state, joining\n"
    "date, and a QR code holding a credential signed with this node's key\n"
    "(`sadasya card-verify` checks it); labels in the state's language and\n"
    "English. The organisation's name is the one the national office set\n"
    "(`sadasya rules --org-name`); until then the national node's name, with\n"
    "a warning. Cards are issued by the member's chapter node or the national\n"
    "office. The file is written mode 0600.\n"
    "Prints the file written; --json adds the QR payload, the organisation's\n"
    "name (org, org_set) and the labels' language.\n";

int cmd_card(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, 0, 'o' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *out = NULL;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'o': out = optarg; break;
        case 'h': fputs(card_usage, stdout); return CLI_EXIT_OK;
        default:
            return cli_opt_bad("card", argv);
        }
    }
    if (optind + 1 != argc)
        return cli_usagef("card", "give one membership number");
    if (!out)
        return cli_usagef("card", "--out FILE.png or FILE.svg is needed");
    if (!card_format_of(out))
        return cli_usagef("card", "--out %s: the file must end in .png or .svg",
                          out);
    char number[NUMBER_MAX_LEN];
    if (cli_number(argv[optind], number))
        return CLI_EXIT_FAIL;

    sd_err err;
    sd_err_clear(&err);
    store *s;
    ident id;
    if (issuer_open(c, &s, &id, &err))
        return CLI_EXIT_FAIL;
    store_txn *txn;
    Sadasya__MemberView *m = NULL;
    Sadasya__Personal *p = NULL;
    card_job *job = NULL;
    card_heading hd;
    int unlisted = 0, org_set = 1;
    int rc = store_begin(s, 0, &txn, &err);
    if (!rc) {
        rc = view_member_get(s, txn, number, &m, &err);
        if (rc == SD_ENOTFOUND)
            sd_errf(&err, rc, "no member %s in this node's view", number);
        if (!rc)
            rc = card_may_issue(s, txn, &id, m->state, &unlisted, &err);
        if (!rc) {
            rc = view_personal_get(s, txn, m, &p, &err);
            if (rc == SD_ENOTFOUND)
                rc = SD_OK; /* job_make says so */
        }
        if (!rc)
            rc = job_make(&id, m, p, &job, &err);
        if (!rc) {
            org_set = card_names(s, txn, &id, m->state, hd.org, sizeof hd.org,
                                 hd.chapter, sizeof hd.chapter);
            snprintf(hd.state, sizeof hd.state, "%s", m->state);
        }
        store_end(txn);
    }
    store_destroy(&s);
    if (!rc && unlisted)
        warn_unlisted(&id);
    if (!rc && !org_set)
        warn_org_unset(&hd);
    sodium_memzero(&id, sizeof id);
    if (p)
        sadasya__personal__free_unpacked(p, NULL);
    if (m)
        sadasya__member_view__free_unpacked(m, NULL);
    if (rc)
        return cli_error(&err);

    card_renderer *r = NULL;
    rc = card_renderer_new(&r, &err);
    if (!rc)
        rc = job_draw(r, &hd, job, out, &err);
    card_renderer_destroy(&r);
    if (!rc) {
        if (c->json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "number", job->number);
            cJSON_AddStringToObject(j, "file", out);
            cJSON_AddStringToObject(j, "format", card_format_of(out) ==
                                                     CARD_FORMAT_PNG ? "png" : "svg");
            cJSON_AddStringToObject(j, "payload", job->payload);
            cJSON_AddStringToObject(j, "org", hd.org);
            cJSON_AddBoolToObject(j, "org_set", org_set);
            cJSON_AddStringToObject(j, "labels", card_labels_for(hd.state)->lang);
            cli_json_print(j);
        } else {
            printf("%s: card written to %s\n", job->number, out);
        }
    }
    job_free(job);
    return rc ? cli_error(&err) : CLI_EXIT_OK;
}

/* --- cards ----------------------------------------------------------------- */

/* What the reading thread and the drawers share: a bounded queue of jobs
 * (workq.h) and the count of cards drawn. */
typedef struct cards_run {
    workq *q;
    workq_progress drawn;    /* cards written */
    pthread_mutex_t mu;
    int failed;              /* a drawer failed: the others stop */
    sd_err err;              /* the first failure */
    const char *dir;
    const char *ext;
    const card_heading *hd;
} cards_run;

/* Records a drawer's failure (the first one is kept) and closes the queue,
 * so that the reading thread stops. */
static void cards_fail(cards_run *run, const sd_err *err)
{
    pthread_mutex_lock(&run->mu);
    if (!run->failed) {
        run->failed = 1;
        run->err = *err;
    }
    pthread_mutex_unlock(&run->mu);
    workq_close(run->q);
}

static int cards_failed(cards_run *run)
{
    pthread_mutex_lock(&run->mu);
    int failed = run->failed;
    pthread_mutex_unlock(&run->mu);
    return failed;
}

static void *drawer(void *arg)
{
    cards_run *run = arg;
    card_renderer *r = NULL;
    sd_err err;
    sd_err_clear(&err);
    int rc = card_renderer_new(&r, &err);
    if (rc)
        cards_fail(run, &err);
    void *item;
    while (workq_pop(run->q, &item) == 0) {
        card_job *j = item;
        if (!rc && !cards_failed(run)) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s.%s", run->dir, j->number,
                     run->ext);
            if ((rc = job_draw(r, run->hd, j, path, &err)))
                cards_fail(run, &err);
            else
                workq_progress_add(&run->drawn, 1);
        }
        job_free(j); /* after a failure: only emptying the queue */
    }
    card_renderer_destroy(&r);
    return NULL;
}

/* "cards: drawn of total drawn (rate/s)" on stderr. */
static void cards_progress(uint64_t done, uint64_t total, double per_sec,
                           int last, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "\rcards: %llu of %llu drawn (%.0f/s)   %s",
            (unsigned long long)done, (unsigned long long)total, per_sec,
            last ? "\n" : "");
    fflush(stderr);
}

/* What the walk over a state's members needs. */
typedef struct cards_walk {
    cards_run *run;
    store *s;
    store_txn *txn;
    const ident *id;
    int all;                 /* every status, not only active members */
    uint64_t queued, not_held, not_active;
    sd_err err;
} cards_walk;

static int cards_member(const Sadasya__MemberView *m, void *ctx)
{
    cards_walk *w = ctx;
    if (!w->all && m->status != SADASYA__STATUS__ACTIVE) {
        w->not_active++;
        return 0;
    }
    Sadasya__Personal *p = NULL;
    int rc = view_personal_get(w->s, w->txn, m, &p, &w->err);
    if (rc == SD_ENOTFOUND) {
        w->not_held++;
        return 0;
    }
    if (rc)
        return rc;
    card_job *j = NULL;
    rc = job_make(w->id, m, p, &j, &w->err);
    sadasya__personal__free_unpacked(p, NULL);
    if (rc)
        return rc;
    if (workq_push(w->run->q, j)) {
        job_free(j);
        return SD_EIO; /* the drawers' error is reported */
    }
    w->queued++;
    return 0;
}

static const char cards_usage[] =
    "usage: sadasya [--data DIR] [--json] cards [--state CODE] --out DIR\n"
    "         [--format png|svg] [--all] [--jobs N] [--progress]\n"
    "\n"
    "Renders the ID card of every active member of a state (--all: of every\n"
    "member, whatever the status) into DIR/NUMBER.png (or .svg), as `card`\n"
    "does. CODE defaults to this node's state; the national office may give\n"
    "any. DIR is created if missing. Members whose personal data this node\n"
    "does not hold are skipped and counted. --jobs: drawing threads (default:\n"
    "the processors). Progress goes to stderr on a terminal (--progress:\n"
    "always). Prints a summary with the rate in cards per second.\n";

int cmd_cards(cli *c, int argc, char **argv)
{
    static const struct option opts[] = {
        { "state", required_argument, 0, 's' }, { "out", required_argument, 0, 'o' },
        { "format", required_argument, 0, 'f' }, { "all", no_argument, 0, 'a' },
        { "jobs", required_argument, 0, 'j' }, { "progress", no_argument, 0, 'p' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *state = NULL, *dir = NULL, *ext = "png";
    int all = 0, progress = isatty(STDERR_FILENO);
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 's': state = optarg; break;
        case 'o': dir = optarg; break;
        case 'f': ext = optarg; break;
        case 'a': all = 1; break;
        case 'p': progress = 1; break;
        case 'j': {
            char *end;
            jobs = strtol(optarg, &end, 10);
            if (*end || jobs < 1 || jobs > CARDS_JOBS_MAX)
                return cli_usagef("cards", "--jobs takes 1 to %d", CARDS_JOBS_MAX);
            break;
        }
        case 'h': fputs(cards_usage, stdout); return CLI_EXIT_OK;
        default:
            return cli_opt_bad("cards", argv);
        }
    }
    if (optind != argc)
        return cli_usagef("cards", "unexpected argument %s", argv[optind]);
    if (!dir)
        return cli_usagef("cards", "--out DIR is needed");
    if (strcmp(ext, "png") && strcmp(ext, "svg"))
        return cli_usagef("cards", "--format is png or svg");
    if (state && !number_state_valid(state))
        return cli_usagef("cards", "--state %s is not a state code", state);
    if (jobs < 1)
        jobs = 1;
    if (jobs > CARDS_JOBS_MAX)
        jobs = CARDS_JOBS_MAX;

    sd_err err;
    sd_err_clear(&err);
    store *s;
    ident id;
    if (issuer_open(c, &s, &id, &err))
        return CLI_EXIT_FAIL;
    char own[STORE_STATE_BYTES];
    if (!state) {
        if (id.national) {
            store_destroy(&s);
            sodium_memzero(&id, sizeof id);
            return cli_usagef("cards", "the national office names the state: --state CODE");
        }
        snprintf(own, sizeof own, "%s", id.state);
        state = own;
    }
    if (mkdir(dir, 0700) && errno != EEXIST) {
        store_destroy(&s);
        sodium_memzero(&id, sizeof id);
        return cli_errorf("cannot create %s: %s", dir, strerror(errno));
    }

    card_heading hd;
    snprintf(hd.state, sizeof hd.state, "%s", state);
    cards_run run;
    memset(&run, 0, sizeof run);
    if (workq_new(&run.q, CARDS_QUEUE, &err)) {
        store_destroy(&s);
        sodium_memzero(&id, sizeof id);
        return cli_error(&err);
    }
    pthread_mutex_init(&run.mu, NULL);
    run.dir = dir;
    run.ext = ext;
    run.hd = &hd;
    cards_walk w;
    memset(&w, 0, sizeof w);
    w.run = &run;
    w.s = s;
    w.id = &id;
    w.all = all;
    sd_err_clear(&w.err);

    int unlisted = 0, counting = 0;
    store_txn *txn;
    pthread_t th[CARDS_JOBS_MAX];
    long started = 0;
    int rc = store_begin(s, 0, &txn, &err);
    if (!rc) {
        w.txn = txn;
        rc = card_may_issue(s, txn, &id, state, &unlisted, &err);
        if (!rc) {
            if (!card_names(s, txn, &id, state, hd.org, sizeof hd.org, hd.chapter,
                            sizeof hd.chapter))
                warn_org_unset(&hd);
            counter_row row = { 0 };
            view_counter_get(s, txn, "state", state, &row, NULL);
            if (unlisted)
                warn_unlisted(&id);
            workq_progress_init(&run.drawn, row.members, CARDS_PROGRESS_NS,
                                progress ? cards_progress : NULL, NULL);
            counting = 1;
            for (; started < jobs; started++)
                if (pthread_create(&th[started], NULL, drawer, &run))
                    break;
            if (!started)
                rc = sd_errf(&err, SD_ENOMEM, "cannot start a drawing thread");
        }
        if (!rc) {
            rc = view_members_each(s, txn, state, cards_member, &w, &err);
            if (rc && w.err.code)
                err = w.err;
        }
        store_end(txn);
    }
    workq_close(run.q);
    for (long i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    void *left;
    while (workq_pop(run.q, &left) == 0) /* no drawer started */
        job_free(left);
    workq_destroy(&run.q);
    uint64_t done = 0;
    double secs = 0;
    if (counting) {
        done = workq_progress_done(&run.drawn);
        secs = workq_progress_seconds(&run.drawn);
        if (!started)
            run.drawn.fn = NULL;
        workq_progress_end(&run.drawn);
    }
    store_destroy(&s);
    sodium_memzero(&id, sizeof id);
    pthread_mutex_destroy(&run.mu);
    if (run.failed)
        return cli_error(&run.err);
    if (rc)
        return cli_error(&err);

    double rate = secs > 0 ? (double)done / secs : 0;
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "state", state);
        cJSON_AddStringToObject(j, "dir", dir);
        cJSON_AddStringToObject(j, "format", ext);
        cJSON_AddNumberToObject(j, "cards", (double)done);
        cJSON_AddNumberToObject(j, "skipped_not_active", (double)w.not_active);
        cJSON_AddNumberToObject(j, "skipped_not_held", (double)w.not_held);
        cJSON_AddNumberToObject(j, "seconds", secs);
        cJSON_AddNumberToObject(j, "per_second", rate);
        cJSON_AddNumberToObject(j, "jobs", (double)started);
        cli_json_print(j);
    } else {
        printf("rendered %llu cards of %s into %s in %.2f s (%.0f cards/s)\n",
               (unsigned long long)done, state, dir, secs, rate);
        if (w.not_active)
            printf("skipped %llu members who are not active (--all includes them)\n",
                   (unsigned long long)w.not_active);
        if (w.not_held)
            printf("skipped %llu members whose personal data this node does not hold\n",
                   (unsigned long long)w.not_held);
    }
    return CLI_EXIT_OK;
}
