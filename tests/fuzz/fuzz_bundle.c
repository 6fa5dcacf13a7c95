/*
 * fuzz_bundle.c — libFuzzer target: bundle files (bundle.h) handed to
 * `bundle check` and `bundle apply`, against the fixture store of
 * common.h. The file is given to the reader through a memfd, a real
 * seekable file as a USB stick's would be.
 *
 * Input, two kinds:
 *   - starting with the bundle magic: the file, byte for byte. This is
 *     the reader's first line of defence: framing, lengths, decoding, the
 *     end frame's count and digest, nothing after it.
 *   - else byte 0 holds flags and the rest is packed Carried messages,
 *     each after a 2-byte big-endian length (those that do not decode are
 *     left out), which the harness frames into a well-formed bundle, with
 *     count and digest right, so that mutations reach the apply passes
 *     (ordering, national-first passes, batches, refusal reports):
 *       bit 0  every entry re-signed with the key of the origin it names;
 *       bit 1  a zero-length frame of an empty Carried is added (an entry
 *              with no signed part refused at the structure check).
 *
 * bundle_check and bundle_read_apply must agree about the structure; a
 * store error from applying is a finding (hostile input is refused entry
 * by entry); after an apply the oracles of common.h run.
 */
#include "common.h"

#include <sys/mman.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_setup();
    memfd = memfd_create("sadasya-fuzz-bundle", MFD_CLOEXEC);
    if (memfd < 0)
        FZ_DIE("memfd_create");
    return 0;
}

/* The bytes as a file read from its start (the caller fcloses it). */
static FILE *as_file(const uint8_t *p, size_t n)
{
    if (ftruncate(memfd, 0) != 0 ||
        (n && pwrite(memfd, p, n, 0) != (ssize_t)n) ||
        lseek(memfd, 0, SEEK_SET) != 0)
        FZ_DIE("writing the memfd");
    int fd = dup(memfd);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
    if (!f)
        FZ_DIE("fdopen");
    return f;
}

static void on_reject(const bundle_reject *r, void *ctx)
{
    size_t *sum = ctx;
    *sum += strlen(r->state) + strlen(r->why) + (size_t)r->seq +
            (size_t)r->personal_only;
    if (fz.verbose)
        fprintf(stderr, "  %s seq %llu: %s%s\n", r->state,
                (unsigned long long)r->seq, r->personal_only ? "(personal) " : "",
                r->why);
}

static int store_error(int rc)
{
    return rc != SD_OK && rc != SD_EINVAL && rc != SD_ENOMEM;
}

/* Checks, then applies, the file; the two must agree on its structure. */
static void read_bundle(const uint8_t *p, size_t n, const entry_signed *items,
                        size_t nitems)
{
    bundle_stats cst, ast;
    sd_err cerr, aerr;
    sd_err_clear(&cerr);
    sd_err_clear(&aerr);
    FILE *f = as_file(p, n);
    int crc = bundle_check(f, &cst, &cerr);
    fclose(f);
    if (fz.verbose)
        fprintf(stderr, "bundle_check: rc %d %s; %zu entries\n", crc, cerr.msg,
                cst.entries);
    if (crc == SD_OK && (cst.bytes != n || cst.personal > cst.entries ||
                         cst.origins > cst.entries))
        FZ_DIE("bundle_check stats: %llu bytes of %zu, %zu entries, %zu "
               "personal, %zu origins", (unsigned long long)cst.bytes, n,
               cst.entries, cst.personal, cst.origins);

    f = as_file(p, n);
    size_t sum = 0;
    int arc = bundle_read_apply(fz.s, f, &ast, on_reject, &sum, &aerr);
    fclose(f);
    fz_say_result("bundle_read_apply", arc, &ast.applied, aerr.msg);
    if (store_error(arc))
        fz_check_store_error("bundle_read_apply", arc, &aerr);
    if (!store_error(arc) && (crc == SD_OK) != (arc == SD_OK))
        FZ_DIE("bundle_check says %d (%s), bundle_read_apply %d (%s)", crc,
               cerr.msg, arc, aerr.msg);
    if (arc == SD_OK) {
        if (ast.entries != cst.entries)
            FZ_DIE("check read %zu entries, apply %zu", cst.entries,
                   ast.entries);
        const apply_result *r = &ast.applied;
        if (r->added + r->duplicate + r->rejected != ast.entries &&
            fz_oracle("counts"))
            FZ_DIE("bundle counts %zu + %zu + %zu for %zu entries", r->added,
                   r->duplicate, r->rejected, ast.entries);
        fz_check_applied(fz.s, items, nitems);
    }
}

/* Frames the Carried records of the input into a well-formed bundle. */
static void framed(const uint8_t *data, size_t size)
{
    unsigned flags = data[0];
    fz_reader r = { data + 1, size - 1 };
    Sadasya__Carried *cs[FZ_MAX_ITEMS];
    entry_signed items[FZ_MAX_ITEMS];
    size_t nc = 0, ni = 0;
    const uint8_t *p;
    size_t len;
    fz_buf out = { 0 };
    crypto_generichash_state h;
    fz_bundle_begin(&out, &h);
    while (nc < FZ_MAX_ITEMS && fz_take(&r, &p, &len)) {
        Sadasya__Carried *c = sadasya__carried__unpack(NULL, len, p);
        if (!c)
            continue;
        cs[nc++] = c;
        if ((flags & 1) && c->signed_ && c->signed_->sig.len == ENTRY_SIG_BYTES) {
            entry_signed es;
            fz_from_carried(c, &es);
            fz_resign(&es, 0);
            memcpy(c->signed_->sig.data, es.sig, ENTRY_SIG_BYTES);
        }
        if (fz_from_carried(c, &items[ni]))
            ni++;
        fz_bundle_frame(&out, &h, c);
    }
    size_t count = nc;
    if (flags & 2) {
        Sadasya__Carried empty = SADASYA__CARRIED__INIT;
        fz_bundle_frame(&out, &h, &empty);
        count++;
    }
    fz_bundle_end(&out, &h, count);
    read_bundle(out.p, out.n, items, ni);
    for (size_t i = 0; i < nc; i++)
        sadasya__carried__free_unpacked(cs[i], NULL);
    free(out.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (size >= BUNDLE_MAGIC_LEN && !memcmp(data, BUNDLE_MAGIC, BUNDLE_MAGIC_LEN))
        read_bundle(data, size, NULL, 0);
    else
        framed(data, size);
    fz_finish(data, size);
    return 0;
}
