/* err.c — see err.h. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>

int sd_errf(sd_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void sd_err_clear(sd_err *err)
{
    if (err) {
        err->code = SD_OK;
        err->msg[0] = '\0';
    }
}
