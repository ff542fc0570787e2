/* verify.h - `snnc verify`: reference cases compiled, run and compared. */
#ifndef SNNC_COMPILER_VERIFY_H
#define SNNC_COMPILER_VERIFY_H

#include <stdio.h>

/* Returns 0 when every case passes, 1 otherwise; prints rows to out. */
int verify_cases(char **cases, int n, FILE *out);

#endif
