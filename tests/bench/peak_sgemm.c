/* peak_sgemm.c - this machine's measured single-precision peak, for the
 * benchmark only: the best of a few 2048^3 sgemm calls of Debian's OpenBLAS.
 * Prints GFLOP/s. Not part of snnc or of anything it emits. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>

void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);

enum { N = 2048, ROW_MAJOR = 101, NO_TRANS = 111 };
static float a[N * N], b[N * N], c[N * N];

int main(void)
{
    for (int i = 0; i < N * N; i++) {
        a[i] = (float)(i % 7) * 0.25f;
        b[i] = (float)(i % 5) * 0.5f;
    }
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, N, N, N, 1.0f, a, N, b, N, 0.0f, c, N);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        double gf = 2.0 * N * N * (double)N / s / 1e9;
        if (gf > best)
            best = gf;
    }
    printf("%.1f\n", best);
    return c[12345] < 0;
}
