/* hal.h - the little a test firmware needs from its board: text out, exit
 * with a status, and files (semihosting on QEMU, stdio on the host).
 * Takes: nothing. Gives: hal_semi.c (Cortex-M, ARM semihosting) and
 * hal_host.c (any hosted C) implement it; the harness main is the same
 * source for both, so their outputs can be compared line by line. */
#ifndef SNNC_MCU_HAL_H
#define SNNC_MCU_HAL_H

void hal_puts(const char *s);
void hal_exit(int status) __attribute__((noreturn));
/* Read-only binary file: a handle >= 0, or -1. */
int hal_open(const char *path);
/* Reads up to n bytes; returns how many (0 at the end, -1 on error). */
long hal_read(int h, void *buf, unsigned long n);
void hal_close(int h);
/* Instruction-count markers: no-ops that a QEMU plugin watches. */
void hal_mark_begin(void);
void hal_mark_end(void);

#endif
