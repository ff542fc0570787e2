/* hal_host.c - hal.h on a hosted C library, for the host build of the
 * test firmware's main. */
#include <stdio.h>
#include <stdlib.h>

#include "hal.h"

#define MAX_FILES 8
static FILE *files[MAX_FILES];

void hal_puts(const char *s)
{
    fputs(s, stdout);
}

void hal_exit(int status)
{
    fflush(stdout);
    exit(status);
}

int hal_open(const char *path)
{
    for (int i = 0; i < MAX_FILES; i++)
        if (!files[i]) {
            files[i] = fopen(path, "rb");
            return files[i] ? i : -1;
        }
    return -1;
}

long hal_read(int h, void *buf, unsigned long n)
{
    if (h < 0 || h >= MAX_FILES || !files[h])
        return -1;
    size_t got = fread(buf, 1, n, files[h]);
    return ferror(files[h]) ? -1 : (long)got;
}

void hal_close(int h)
{
    if (h >= 0 && h < MAX_FILES && files[h]) {
        fclose(files[h]);
        files[h] = NULL;
    }
}

void hal_mark_begin(void)
{
}

void hal_mark_end(void)
{
}
