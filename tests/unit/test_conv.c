/* test_conv.c - the Conv, MaxPool and AveragePool kernels of templates/conv.m4
 * against naive loops.
 *
 * Kernel instances for a fixed list of geometries (strides 1 to 3, pads on
 * one side or both, pads as large as the kernel for Conv, channel counts
 * that are not multiples of the vector width, spike maps of 0/1 (built
 * with the kernels' binary form, which adds weight rows without values),
 * spike maps with strengths and dense inputs, every subset of wanted
 * gradients) are expanded by m4,
 * compiled with the checker below and run: outputs and accumulated
 * gradients (each backward runs twice, so scratch must not leak between
 * calls) must match direct double-precision loops; MaxPool's ties (the
 * inputs are small integers) must go to the first maximum in row-major
 * order, as PyTorch's. A Conv that computes its MaxPool must give what
 * the Conv and the MaxPool kernels give, forward and backward.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests.h"

/* N C H W M KH KW SH SW PT PL PB PR bias sparse want_dx want_dw want_db;
 * sparse: 0 dense, 1 spikes with strengths 1-3, 2 spikes of 0/1 */
static const int geometries[][18] = {
    {3, 1, 10, 10, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1},     /* conv_small's first layer */
    {2, 12, 12, 12, 64, 5, 5, 1, 1, 0, 0, 0, 0, 1, 2, 1, 1, 1},   /* tutorial 6's second conv */
    {2, 2, 11, 9, 6, 3, 2, 2, 1, 1, 0, 0, 2, 0, 0, 0, 1, 0},      /* strides, one-sided pads */
    {1, 5, 7, 8, 13, 3, 3, 3, 2, 0, 2, 1, 0, 1, 1, 1, 0, 1},
    {2, 3, 5, 6, 9, 2, 4, 1, 3, 2, 4, 2, 4, 0, 1, 1, 1, 0},       /* pads as large as the kernel */
    {1, 14, 4, 4, 70, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1},     /* 1x1, M over one register block */
    {2, 7, 9, 3, 1, 5, 3, 2, 2, 2, 1, 2, 1, 1, 2, 1, 1, 1},       /* one output channel, 0/1 spikes */
    {1, 9, 6, 10, 24, 4, 5, 1, 2, 3, 0, 0, 4, 0, 0, 1, 1, 1},
    {3, 4, 8, 8, 17, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 0, 1, 1},
    {1, 1, 12, 12, 12, 5, 5, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1},    /* tutorial 6's first conv */
};

static const char checker[] =
    "typedef void (*ffn)(const float *, float *);\n"
    "typedef void (*fwfn)(const float *, const float *);\n"
    "typedef void (*bfn)(const float *, const float *, float *, float *, float *);\n"
    "typedef void (*bwfn)(const float *);\n"
    "typedef void (*pfn)(const float *, float *);\n"
    "typedef void (*pafn)(const float *, float *, float *);\n"
    "typedef void (*pbfn)(const float *, const float *, float *);\n"
    "typedef void (*fpfn)(const float *, float *, float *);\n"
    "typedef void (*bpfn)(const float *, const float *, const float *, float *, float *, float *);\n"
    "static float rnd(void) { return rand() / (float)RAND_MAX * 2 - 1; }\n"
    "static int close_(const float *a, const float *b, size_t n, const char *what, int id)\n"
    "{\n"
    "    for (size_t i = 0; i < n; i++)\n"
    "        if (!(fabsf(a[i] - b[i]) <= 1e-4f + 1e-4f * fabsf(b[i]))) {\n"
    "            printf(\"case %d %s: [%zu] %g vs %g\\n\", id, what, i, a[i], b[i]);\n"
    "            return 1;\n"
    "        }\n"
    "    return 0;\n"
    "}\n"
    "static int check_conv(int id, int N, int C, int H, int W, int M, int KH, int KW, int SH, int SW, int PT, int PL,\n"
    "                      int PB, int PR, int bias, int sparse, int wdx, int wdw, int wdb, fwfn fw, ffn f, bwfn bw, bfn b, bwfn bsw, bfn bs)\n"
    "{\n"
    "    int OH = (H + PT + PB - KH) / SH + 1, OW = (W + PL + PR - KW) / SW + 1, bad = 0;\n"
    "    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * M * OH * OW, nw = (size_t)M * C * KH * KW;\n"
    "    float *x = calloc(nx, 4), *w = calloc(nw, 4), *bb = calloc(M, 4), *y = calloc(ny, 4), *yr = calloc(ny, 4);\n"
    "    float *dy = calloc(ny, 4), *dx = calloc(nx, 4), *dxr = calloc(nx, 4), *dw = calloc(nw, 4), *dwr = calloc(nw, 4);\n"
    "    float *db = calloc(M, 4), *dbr = calloc(M, 4);\n"
    "    for (size_t i = 0; i < nx; i++) x[i] = sparse ? (rand() % 5 == 0 ? (float)(sparse == 2 ? 1 : rand() % 3 + 1) : 0.0f) : (rand() % 3 ? rnd() : 0.0f);\n"
    "    for (size_t i = 0; i < nw; i++) w[i] = rnd();\n"
    "    for (int i = 0; i < M; i++) bb[i] = rnd();\n"
    "    for (size_t i = 0; i < ny; i++) dy[i] = rand() % 3 ? rnd() : 0.0f;\n"
    "    for (size_t i = 0; i < nx; i++) dx[i] = dxr[i] = 0.5f;\n"
    "    for (size_t i = 0; i < nw; i++) dw[i] = dwr[i] = 0.25f;\n"
    "    for (int i = 0; i < M; i++) db[i] = dbr[i] = 0.125f;\n"
    "    for (int n = 0; n < N; n++) for (int m = 0; m < M; m++) for (int oh = 0; oh < OH; oh++) for (int ow = 0; ow < OW; ow++) {\n"
    "        double s = bias ? bb[m] : 0;\n"
    "        for (int c = 0; c < C; c++) for (int kh = 0; kh < KH; kh++) for (int kw = 0; kw < KW; kw++) {\n"
    "            int ih = oh * SH + kh - PT, iw = ow * SW + kw - PL;\n"
    "            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;\n"
    "            s += (double)x[((n * C + c) * H + ih) * W + iw] * w[((m * C + c) * KH + kh) * KW + kw];\n"
    "            double g = dy[((n * M + m) * OH + oh) * OW + ow];\n"
    "            dxr[((n * C + c) * H + ih) * W + iw] += (float)(g * w[((m * C + c) * KH + kh) * KW + kw]);\n"
    "            dwr[((m * C + c) * KH + kh) * KW + kw] += (float)(g * x[((n * C + c) * H + ih) * W + iw]);\n"
    "        }\n"
    "        yr[((n * M + m) * OH + oh) * OW + ow] = (float)s;\n"
    "        dbr[m] += dy[((n * M + m) * OH + oh) * OW + ow];\n"
    "    }\n"
    "    fw(w, bias ? bb : NULL);\n"
    "    f(x, y);\n"
    "    if (wdx) bw(w), bsw(w);\n"
    "    bad |= close_(y, yr, ny, \"y\", id);\n"
    "    for (int k = 0; k < 2; k++) /* twice: static scratch must not leak between calls */\n"
    "        b(wdw ? x : NULL, dy, wdx ? dx : NULL, wdw ? dw : NULL, wdb ? db : NULL);\n"
    "    if (wdx) {\n"
    "        for (size_t i = 0; i < nx; i++) dxr[i] = 0.5f + 2 * (dxr[i] - 0.5f);\n"
    "        bad |= close_(dx, dxr, nx, \"dx\", id);\n"
    "        /* the storing form writes dx whole, whatever was there */\n"
    "        for (size_t i = 0; i < nx; i++) dx[i] = 7.0f, dxr[i] = (dxr[i] - 0.5f) / 2;\n"
    "        bs(wdw ? x : NULL, dy, dx, NULL, NULL);\n"
    "        bad |= close_(dx, dxr, nx, \"dx stored\", id);\n"
    "    }\n"
    "    if (wdw) { for (size_t i = 0; i < nw; i++) dwr[i] = 0.25f + 2 * (dwr[i] - 0.25f); bad |= close_(dw, dwr, nw, \"dw\", id); }\n"
    "    if (wdb) { for (int i = 0; i < M; i++) dbr[i] = 0.125f + 2 * (dbr[i] - 0.125f); bad |= close_(db, dbr, M, \"db\", id); }\n"
    "    free(x); free(w); free(bb); free(y); free(yr); free(dy); free(dx); free(dxr); free(dw); free(dwr); free(db); free(dbr);\n"
    "    return bad;\n"
    "}\n"
    "/* A Conv that computes its MaxPool against the Conv, then the MaxPool:\n"
    " * small integer weights make ties, which must go to the same maxima. */\n"
    "static int check_fused(int id, int N, int C, int H, int W, int M, int OH, int OW, int PKH, int PKW, int bias,\n"
    "                       int sparse, int wdx, int wdw, int wdb, fwfn fw, ffn f, pafn mf, pbfn mb, bwfn bw, bfn b,\n"
    "                       fwfn pfw, fpfn pf, bwfn pbw, bpfn pb)\n"
    "{\n"
    "    int PH = OH / PKH, PW = OW / PKW, bad = 0;\n"
    "    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * M * OH * OW, np = (size_t)N * M * PH * PW;\n"
    "    size_t nw = (size_t)M * C * (H + 8) * (W + 8);\n"
    "    float *x = calloc(nx, 4), *w = calloc(nw, 4), *bb = calloc(M, 4), *y = calloc(ny, 4), *dy = calloc(ny, 4);\n"
    "    float *p = calloc(np, 4), *am = calloc(np, 4), *p2 = calloc(np, 4), *am2 = calloc(np, 4), *dp = calloc(np, 4);\n"
    "    float *dx = calloc(nx, 4), *dx2 = calloc(nx, 4), *dw = calloc(nw, 4), *dw2 = calloc(nw, 4);\n"
    "    float *db = calloc(M, 4), *db2 = calloc(M, 4);\n"
    "    for (size_t i = 0; i < nx; i++) x[i] = sparse ? (rand() % 5 == 0 ? (float)(sparse == 2 ? 1 : rand() % 3 + 1) : 0.0f) : (float)(rand() % 3);\n"
    "    for (size_t i = 0; i < nw; i++) w[i] = (float)(rand() % 3 - 1);\n"
    "    for (int i = 0; i < M; i++) bb[i] = (float)(rand() % 3 - 1);\n"
    "    for (size_t i = 0; i < np; i++) dp[i] = rnd();\n"
    "    fw(w, bias ? bb : NULL); f(x, y); mf(y, p, am);\n"
    "    pfw(w, bias ? bb : NULL); pf(x, p2, am2);\n"
    "    bad |= close_(p2, p, np, \"conv+pool y\", id) | close_(am2, am, np, \"conv+pool argmax\", id);\n"
    "    for (int k = 0; k < 2; k++) { /* twice: scratch must not leak between calls */\n"
    "        mb(am, dp, dy);\n"
    "        if (wdx) bw(w), pbw(w);\n"
    "        b(wdw ? x : NULL, dy, wdx ? dx : NULL, wdw ? dw : NULL, wdb ? db : NULL);\n"
    "        pb(wdw ? x : NULL, dp, am, wdx ? dx2 : NULL, wdw ? dw2 : NULL, wdb ? db2 : NULL);\n"
    "    }\n"
    "    if (wdx) bad |= close_(dx2, dx, nx, \"conv+pool dx\", id);\n"
    "    if (wdw) bad |= close_(dw2, dw, nw, \"conv+pool dw\", id);\n"
    "    if (wdb) bad |= close_(db2, db, M, \"conv+pool db\", id);\n"
    "    free(x); free(w); free(bb); free(y); free(dy); free(p); free(am); free(p2); free(am2); free(dp);\n"
    "    free(dx); free(dx2); free(dw); free(dw2); free(db); free(db2);\n"
    "    return bad;\n"
    "}\n"
    "static int check_pool(int id, int N, int C, int H, int W, int KH, int KW, int SH, int SW, int PT, int PL, int PB,\n"
    "                      int PR, int inc, pafn mf, pfn mi, pbfn mb, pfn af, pfn ab, int store)\n"
    "{\n"
    "    int OH = (H + PT + PB - KH) / SH + 1, OW = (W + PL + PR - KW) / SW + 1, bad = 0;\n"
    "    if (OH < 1 || OW < 1) return 0;\n"
    "    size_t nx = (size_t)N * C * H * W, ny = (size_t)N * C * OH * OW;\n"
    "    float *x = calloc(nx, 4), *y = calloc(ny, 4), *yr = calloc(ny, 4), *ya = calloc(ny, 4), *yar = calloc(ny, 4);\n"
    "    float *dy = calloc(ny, 4), *dx = calloc(nx, 4), *dxr = calloc(nx, 4), *dxa = calloc(nx, 4), *dxar = calloc(nx, 4);\n"
    "    float *am = calloc(ny, 4), *yi = calloc(ny, 4);\n"
    "    for (size_t i = 0; i < nx; i++) x[i] = (float)(rand() % 3); /* many ties */\n"
    "    for (size_t i = 0; i < ny; i++) dy[i] = rnd();\n"
    "    for (int nc = 0; nc < N * C; nc++) for (int oh = 0; oh < OH; oh++) for (int ow = 0; ow < OW; ow++) {\n"
    "        float best = -INFINITY, s = 0; int at = -1, cnt = 0;\n"
    "        for (int kh = 0; kh < KH; kh++) for (int kw = 0; kw < KW; kw++) {\n"
    "            int ih = oh * SH + kh - PT, iw = ow * SW + kw - PL;\n"
    "            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;\n"
    "            float v = x[(nc * H + ih) * W + iw];\n"
    "            if (at < 0 || v > best) { best = v; at = (nc * H + ih) * W + iw; }\n"
    "            s += v; cnt++;\n"
    "        }\n"
    "        int o = (nc * OH + oh) * OW + ow;\n"
    "        yr[o] = best; dxr[at] += dy[o];\n"
    "        float div = inc ? (float)(KH * KW) : (float)cnt;\n"
    "        yar[o] = s / div;\n"
    "        for (int kh = 0; kh < KH; kh++) for (int kw = 0; kw < KW; kw++) {\n"
    "            int ih = oh * SH + kh - PT, iw = ow * SW + kw - PL;\n"
    "            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;\n"
    "            dxar[(nc * H + ih) * W + iw] += dy[o] / div;\n"
    "        }\n"
    "    }\n"
    "    for (size_t i = 0; i < nx && store; i++) dx[i] = dxa[i] = 9.0f; /* written whole */\n"
    "    mf(x, y, am); mi(x, yi); mb(am, dy, dx); af(x, ya); ab(dy, dxa);\n"
    "    bad |= close_(y, yr, ny, \"maxpool y\", id) | close_(dx, dxr, nx, \"maxpool dx\", id);\n"
    "    bad |= close_(yi, yr, ny, \"maxpool y without argmax\", id);\n"
    "    bad |= close_(ya, yar, ny, \"avgpool y\", id) | close_(dxa, dxar, nx, \"avgpool dx\", id);\n"
    "    free(x); free(y); free(yr); free(ya); free(yar); free(dy); free(dx); free(dxr); free(dxa); free(dxar);\n"
    "    free(am); free(yi);\n"
    "    return bad;\n"
    "}\n"
    "\n";

/* The conv output of geometry g, and a MaxPool window that tiles it
 * (2, else 3, else 1 along each side). */
static void fused_pool(const int *g, int *oh, int *ow, int *pkh, int *pkw)
{
    *oh = (g[2] + g[9] + g[11] - g[5]) / g[7] + 1;
    *ow = (g[3] + g[10] + g[12] - g[6]) / g[8] + 1;
    *pkh = *oh % 2 == 0 ? 2 : *oh % 3 == 0 ? 3 : 1;
    *pkw = *ow % 2 == 0 ? 2 : *ow % 3 == 0 ? 3 : 1;
}

START_TEST(conv_kernels_match_naive_loops)
{
    char dir[] = "/tmp/snnc-conv-XXXXXX", path[4096], cmd[8192];
    ck_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/ref.h", dir);
    FILE *f = fopen(path, "w");
    ck_assert(f);
    fputs(checker, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/t.m4", dir);
    f = fopen(path, "w");
    ck_assert(f);
    /* the batch groups run on two threads, as in the emitted programs; built
     * portable, then for this machine (AVX-512 paths where it has them) */
    fprintf(f, "m4_changequote(<<<,>>>)m4_dnl\nm4_include(<<<common.m4>>>)m4_dnl\nm4_include(<<<dense.m4>>>)m4_dnl\n"
               "m4_include(<<<conv.m4>>>)m4_dnl\n"
               "#include <math.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
               "#define SNN_PAR_FOR _Pragma(\"omp parallel for schedule(static)\")\n");
    int n = (int)(sizeof geometries / sizeof geometries[0]);
    for (int i = 0; i < n; i++) {
        const int *g = geometries[i];
        int vm = (g[4] + 7) / 8, vx = (g[1] * g[6] + 7) / 8;
        int nbm = (vm + (vm + 7) / 8 - 1) / ((vm + 7) / 8), nbx = (vx + (vx + 7) / 8 - 1) / ((vx + 7) / 8);
        char geo[256], pool[256];
        snprintf(geo, sizeof geo, "%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d", g[0], g[1], g[2], g[3],
                 g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12]);
        /* pools on a slightly larger input, pads clipped below the kernel */
        int pt = g[9] < g[5] ? g[9] : g[5] - 1, pl = g[10] < g[6] ? g[10] : g[6] - 1;
        int pb = g[11] < g[5] ? g[11] : g[5] - 1, pr = g[12] < g[6] ? g[12] : g[6] - 1;
        snprintf(pool, sizeof pool, "%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d", g[0], g[1], g[2] + 2,
                 g[3] + 2, g[5], g[6], g[7], g[8], pt, pl, pb, pr);
        int bin = g[14] == 2; /* 0/1 spikes: the binary form */
        fprintf(f, "SNN_CONV_FORWARD(f%d, %s, %d, %d, 0, 0, 0, %d)m4_dnl\n", i, geo, g[13], nbm, bin);
        fprintf(f, "SNN_CONV_BACKWARD(b%d, %s, %d, %d, %d, %d, %d, 0, 0, %d)m4_dnl\n", i, geo, g[15], g[16], g[17], nbm,
                nbx, bin);
        /* the form that stores dx instead of adding to it */
        fprintf(f, "SNN_CONV_BACKWARD(s%d, %s, %d, 0, 0, %d, %d)m4_dnl\n", i, geo, g[15] ? 2 : 0, nbm, nbx);
        fprintf(f, "SNN_MAXPOOL_FORWARD(mf%d, %s, 1)m4_dnl\nSNN_MAXPOOL_FORWARD(mi%d, %s, 0)m4_dnl\n"
                   "SNN_MAXPOOL_BACKWARD(mb%d, %s, 0)m4_dnl\n", i, pool, i, pool, i, pool);
        fprintf(f, "SNN_AVGPOOL_FORWARD(af%d, %s, %d)m4_dnl\nSNN_AVGPOOL_BACKWARD(ab%d, %s, %d, 0)m4_dnl\n", i,
                pool, g[13], i, pool, g[13]);
        /* the Conv with its MaxPool in one kernel, and that MaxPool alone */
        int oh, ow, pkh, pkw;
        fused_pool(g, &oh, &ow, &pkh, &pkw);
        fprintf(f, "SNN_CONV_FORWARD(pf%d, %s, %d, %d, %d, %d, 1, %d)m4_dnl\n", i, geo, g[13], nbm, pkh, pkw, bin);
        fprintf(f, "SNN_CONV_BACKWARD(pb%d, %s, %d, %d, %d, %d, %d, %d, %d, %d)m4_dnl\n", i, geo, g[15], g[16], g[17],
                nbm, nbx, pkh, pkw, bin);
        fprintf(f, "SNN_MAXPOOL_FORWARD(uf%d, %d, %d, %d, %d, %d, %d, %d, %d, 0, 0, 0, 0, 1)m4_dnl\n"
                   "SNN_MAXPOOL_BACKWARD(ub%d, %d, %d, %d, %d, %d, %d, %d, %d, 0, 0, 0, 0, 1)m4_dnl\n",
                i, g[0], g[4], oh, ow, pkh, pkw, pkh, pkw, i, g[0], g[4], oh, ow, pkh, pkw, pkh, pkw);
    }
    fprintf(f, "SNN_MAXPOOL_FORWARD(mft, 2, 3, 8, 6, 2, 3, 2, 3, 0, 0, 0, 0, 1)m4_dnl\n"
               "SNN_MAXPOOL_FORWARD(mit, 2, 3, 8, 6, 2, 3, 2, 3, 0, 0, 0, 0, 0)m4_dnl\n"
               "SNN_MAXPOOL_BACKWARD(mbt, 2, 3, 8, 6, 2, 3, 2, 3, 0, 0, 0, 0, 1)m4_dnl\n"
               "SNN_AVGPOOL_FORWARD(aft, 2, 3, 8, 6, 2, 3, 2, 3, 0, 0, 0, 0, 1)m4_dnl\n"
               "SNN_AVGPOOL_BACKWARD(abt, 2, 3, 8, 6, 2, 3, 2, 3, 0, 0, 0, 0, 1, 1)m4_dnl\n");
    fprintf(f, "#include \"ref.h\"\nint main(void)\n{\n    int bad = 0;\n");
    for (int i = 0; i < n; i++) {
        const int *g = geometries[i];
        fprintf(f, "    bad += check_conv(%d", i);
        for (int k = 0; k < 18; k++)
            fprintf(f, ", %d", g[k]);
        int pt = g[9] < g[5] ? g[9] : g[5] - 1, pl = g[10] < g[6] ? g[10] : g[6] - 1;
        int pb = g[11] < g[5] ? g[11] : g[5] - 1, pr = g[12] < g[6] ? g[12] : g[6] - 1;
        if (g[15]) /* the weight layouts of dx exist only when dx is wanted */
            fprintf(f, ", f%d_weights, f%d, b%d_weights, b%d, s%d_weights, s%d", i, i, i, i, i, i);
        else
            fprintf(f, ", f%d_weights, f%d, NULL, b%d, NULL, s%d", i, i, i, i);
        fprintf(f, ");\n");
        int oh, ow, pkh, pkw;
        fused_pool(g, &oh, &ow, &pkh, &pkw);
        fprintf(f, "    bad += check_fused(%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, f%d_weights, f%d, "
                   "uf%d, ub%d, %s%d%s, b%d, pf%d_weights, pf%d, %s%d%s, pb%d);\n", i, g[0], g[1], g[2], g[3], g[4], oh, ow,
                pkh, pkw, g[13], g[14], g[15], g[16], g[17], i, i, i, i, g[15] ? "b" : "NULL /* ", i,
                g[15] ? "_weights" : " */", i, i, i, g[15] ? "pb" : "NULL /* ", i, g[15] ? "_weights" : " */", i);
        fprintf(f, "    bad += check_pool(%d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, %d, "
                   "mf%d, mi%d, mb%d, af%d, ab%d, 0);\n", i, g[0], g[1], g[2] + 2, g[3] + 2, g[5], g[6], g[7],
                g[8], pt, pl, pb, pr, g[13], i, i, i, i, i);
    }
    /* windows that tile the input: the forms that store dx */
    fprintf(f, "    bad += check_pool(%d, 2, 3, 8, 6, 2, 3, 2, 3, 0, 0, 0, 0, 1, mft, mit, mbt, aft, abt, 1);\n", n);
    fprintf(f, "    return bad != 0;\n}\n");
    fclose(f);
    const char *cc = getenv("CC");
    snprintf(cmd, sizeof cmd,
             "cd %s && %s -P -I %s t.m4 > t.c && %s -std=c99 -O1 -Wall -Wextra -Werror -Wno-unknown-pragmas "
             "-fopenmp -o t t.c -lm && OMP_NUM_THREADS=2 ./t && "
             "%s -std=c99 -O2 -march=native -Wall -Wextra -Werror -Wno-unknown-pragmas -fopenmp -o tn t.c -lm && "
             "OMP_NUM_THREADS=2 ./tn",
             dir, SNNC_M4, test_srcpath("templates"), cc && *cc ? cc : "cc", cc && *cc ? cc : "cc");
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "conv.m4 kernels differ from the naive loops (see above; the test is in %s)", dir);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *conv_suite(void)
{
    Suite *s = suite_create("conv");
    TCase *tc = tcase_create("kernels");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, conv_kernels_match_naive_loops);
    suite_add_tcase(s, tc);
    return s;
}
