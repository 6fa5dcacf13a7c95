/*
 * keys.c — a node's Ed25519 identity on disk (see keys.h).
 *
 * Only the 32-byte seed is stored; the key pair is re-derived from it with
 * crypto_sign_seed_keypair on every load, so the file cannot hold a public
 * key that disagrees with its secret. The file is the chapter's signing
 * authority: it is created exclusively with mode 0600 and made durable
 * (durable.h) before keys_save reports success, and keys_load refuses it
 * outright when group or others have any access, rather than signing with
 * a key that may already have leaked. Seed copies in memory are wiped after use.
 */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"

/* 64 hex characters, a newline, and room to notice trailing junk. */
#define KEYS_FILE_MAX (2 * KEYS_SEED_BYTES + 8)

int keys_generate(keys_pair *kp)
{
    if (sodium_init() < 0)
        return SD_EIO;
    unsigned char seed[KEYS_SEED_BYTES];
    randombytes_buf(seed, sizeof seed);
    crypto_sign_seed_keypair(kp->pk, kp->sk, seed);
    sodium_memzero(seed, sizeof seed);
    return SD_OK;
}

int keys_save(const char *path, const keys_pair *kp, sd_err *err)
{
    if (sodium_init() < 0)
        return sd_errf(err, SD_EIO, "libsodium failed to initialise");

    unsigned char seed[KEYS_SEED_BYTES];
    char text[2 * KEYS_SEED_BYTES + 2];
    crypto_sign_ed25519_sk_to_seed(seed, kp->sk);
    sodium_bin2hex(text, sizeof text, seed, sizeof seed);
    text[2 * KEYS_SEED_BYTES] = '\n';
    text[2 * KEYS_SEED_BYTES + 1] = '\0';
    /* Whole or not at all (a half-written key file would only block the
     * retry), and never over an existing key. */
    int rc = durable_write_file(NULL, path, text, 2 * KEYS_SEED_BYTES + 1,
                                0600, DURABLE_EXCL, err);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(text, sizeof text);
    if (rc == SD_ECONFLICT)
        sd_errf(err, rc, "key file %s already exists; not overwriting it",
                path);
    return rc;
}

int keys_load(const char *path, keys_pair *kp, sd_err *err)
{
    if (sodium_init() < 0)
        return sd_errf(err, SD_EIO, "libsodium failed to initialise");

    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return sd_errf(err, SD_ENOTFOUND, "no key file at %s", path);
        return sd_errf(err, SD_EIO, "cannot open key file %s: %s", path,
                       strerror(errno));
    }

    /* fstat the open file, not the path, so the mode checked is the mode
     * of the bytes read. */
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return sd_errf(err, SD_EIO, "cannot stat key file %s: %s", path,
                       strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return sd_errf(err, SD_ECORRUPT, "key file %s is not a regular file",
                       path);
    }
    if (st.st_mode & 077) {
        close(fd);
        return sd_errf(err, SD_EAUTH,
                       "key file %s has mode %04o; group and others must have "
                       "no access (chmod 600 %s)",
                       path, (unsigned)(st.st_mode & 07777), path);
    }

    char text[KEYS_FILE_MAX];
    size_t len = 0;
    int rc = SD_OK;
    while (len < sizeof text) {
        ssize_t n = read(fd, text + len, sizeof text - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = sd_errf(err, SD_EIO, "cannot read key file %s: %s", path,
                         strerror(errno));
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);

    unsigned char seed[KEYS_SEED_BYTES];
    if (rc == SD_OK) {
        /* Exactly 64 hex characters, then at most a line ending. */
        size_t hex_len = 2 * KEYS_SEED_BYTES;
        size_t seed_len = 0;
        const char *end = NULL;
        int ok = len >= hex_len &&
                 sodium_hex2bin(seed, sizeof seed, text, hex_len, NULL,
                                &seed_len, &end) == 0 &&
                 seed_len == sizeof seed && end == text + hex_len;
        size_t rest = len - (ok ? hex_len : 0);
        if (ok && rest > 0 && !(rest == 1 && text[hex_len] == '\n') &&
            !(rest == 2 && text[hex_len] == '\r' && text[hex_len + 1] == '\n'))
            ok = 0;
        if (ok)
            crypto_sign_seed_keypair(kp->pk, kp->sk, seed);
        else
            rc = sd_errf(err, SD_ECORRUPT,
                         "key file %s does not hold a key (expected 64 hex "
                         "characters and a newline)",
                         path);
    }
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(text, sizeof text);
    return rc;
}

int keys_parse_public(const char *hex, unsigned char pk[KEYS_PUBLIC_BYTES],
                      sd_err *err)
{
    if (!hex)
        hex = "";
    size_t len = strlen(hex);
    if (len != KEYS_HEX_LEN)
        return sd_errf(err, SD_EINVAL,
                       "a public key is %d hex characters, not %zu",
                       KEYS_HEX_LEN, len);
    for (size_t i = 0; i < len; i++) {
        char c = hex[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
              (c >= 'A' && c <= 'F')))
            return sd_errf(err, SD_EINVAL,
                           "public key has a non-hex character at position %zu",
                           i + 1);
    }
    size_t bin_len = 0;
    if (sodium_hex2bin(pk, KEYS_PUBLIC_BYTES, hex, len, NULL, &bin_len,
                       NULL) != 0 ||
        bin_len != KEYS_PUBLIC_BYTES)
        return sd_errf(err, SD_EINVAL, "public key does not decode");
    return SD_OK;
}

void keys_public_hex(const unsigned char pk[KEYS_PUBLIC_BYTES],
                     char out[KEYS_HEX_LEN + 1])
{
    sodium_bin2hex(out, KEYS_HEX_LEN + 1, pk, KEYS_PUBLIC_BYTES);
}
