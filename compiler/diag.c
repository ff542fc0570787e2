/* diag.c - keeps the first user error of a compilation. */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

bool diag_error(struct diag *d, const char *fmt, ...)
{
    if (d->failed)
        return false;
    d->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    return false;
}
