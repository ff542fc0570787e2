/* main.c - runs every unit suite; exits non-zero if any test fails. */
#include <stdio.h>
#include <stdlib.h>

#include "tests.h"

const char *test_srcpath(const char *rel)
{
    static char buf[8][4096];
    static int next;
    const char *top = getenv("top_srcdir");
    char *p = buf[next++ % 8];
    snprintf(p, sizeof buf[0], "%s/%s", top ? top : ".", rel);
    return p;
}

int main(void)
{
    SRunner *sr = srunner_create(textproto_suite());
    srunner_add_suite(sr, runtime_suite());
    srunner_add_suite(sr, passes_suite());
    srunner_add_suite(sr, gradcheck_suite());
    srunner_add_suite(sr, conv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
