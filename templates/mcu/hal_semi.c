/* hal_semi.c - hal.h over ARM semihosting (bkpt 0xAB), no libc.
 * QEMU: -semihosting-config enable=on,target=native,chardev=... sends
 * SYS_WRITE0 to the chardev, opens host files relative to QEMU's working
 * folder, and turns SYS_EXIT_EXTENDED's status into its own exit status
 * (plain SYS_EXIT cannot carry one on 32-bit Arm). */
#include <stdint.h>

#include "hal.h"

enum { SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITE0 = 0x04, SYS_READ = 0x06, SYS_FLEN = 0x0c,
       SYS_EXIT_EXTENDED = 0x20 };

static uintptr_t semihost(uintptr_t op, const void *arg)
{
    register uintptr_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void hal_puts(const char *s)
{
    semihost(SYS_WRITE0, s);
}

void hal_exit(int status)
{
    const uintptr_t block[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, (uintptr_t)status};
    for (;;)
        semihost(SYS_EXIT_EXTENDED, block);
}

int hal_open(const char *path)
{
    uintptr_t len = 0;
    while (path[len])
        len++;
    const uintptr_t block[3] = {(uintptr_t)path, 1 /* "rb" */, len};
    return (int)semihost(SYS_OPEN, block);
}

long hal_read(int h, void *buf, unsigned long n)
{
    const uintptr_t block[3] = {(uintptr_t)h, (uintptr_t)buf, n};
    uintptr_t left = semihost(SYS_READ, block); /* bytes not read */
    return left > n ? -1 : (long)(n - left);
}

void hal_close(int h)
{
    const uintptr_t block[1] = {(uintptr_t)h};
    semihost(SYS_CLOSE, block);
}

__attribute__((noinline)) void hal_mark_begin(void)
{
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void hal_mark_end(void)
{
    __asm__ volatile("" ::: "memory");
}
