/* tests.h - one Check suite per compiler pass or runtime module. */
#ifndef SNNC_TESTS_UNIT_TESTS_H
#define SNNC_TESTS_UNIT_TESTS_H

#include <check.h>

/* Every suite the runner knows; add a line here and in main.c. */
Suite *textproto_suite(void);
Suite *runtime_suite(void);
Suite *passes_suite(void);
Suite *gradcheck_suite(void);
Suite *conv_suite(void);

/* Path of a file in the source tree (tests run from the build tree). */
const char *test_srcpath(const char *rel);

#endif
