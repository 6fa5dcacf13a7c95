/*
 * err.h — errors as values.
 *
 * Library functions return an int status (SD_OK or a negative SD_E* code)
 * and, when they fail, fill an sd_err with one human-readable line. The
 * CLI prints that line as "sadasya: error: <msg>"; the library never exits.
 */
#ifndef SADASYA_ERR_H
#define SADASYA_ERR_H

#include <stddef.h>

#define SD_ERR_MSG_MAX 512

enum {
    SD_OK = 0,
    SD_EINVAL = -1,     /* bad input from the user or a file */
    SD_EIO = -2,        /* file system or LMDB failure */
    SD_ENOTFOUND = -3,  /* no such member, key, entry */
    SD_EFULL = -4,      /* disk or map full; nothing was written */
    SD_EAUTH = -5,      /* bad signature, unknown or revoked key */
    SD_ECONFLICT = -6,  /* already exists; equivocation */
    SD_ENOMEM = -7,
    SD_ECORRUPT = -8,   /* stored data does not decode */
    SD_EMAPFULL = -9,   /* LMDB map full: the writer grows it and retries */
};

typedef struct sd_err {
    int code;
    char msg[SD_ERR_MSG_MAX];
} sd_err;

/* Sets err (when non-NULL) to code and a printf-style message; returns code. */
int sd_errf(sd_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err to SD_OK and an empty message. */
void sd_err_clear(sd_err *err);

#endif
