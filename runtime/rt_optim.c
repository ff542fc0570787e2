/* rt_optim.c - parameter updates, bit for bit as PyTorch 1.13 makes them.
 *
 * Takes: parameters, their gradients and the optimizer state, all float32
 * arrays of the caller (SPEC §1 snn.optimizer, snn.learning_rate, ...).
 * Gives: one step of torch.optim.Adam or torch.optim.SGD (the single-tensor
 * code path that PyTorch takes on the CPU), and a NaN/Inf scan.
 * Afterwards: p, m, v (or the momentum buffer) hold what PyTorch would hold.
 *
 * How PyTorch rounds, and so how this file does:
 * - hyperparameters are Python floats (double); a scalar that meets a float
 *   tensor is converted to float; bias corrections and the step size are
 *   computed in double, as Python does;
 * - `t.add_(u, alpha=a)` is vec::fmadd(u, a, t): one fused multiply-add on
 *   the AVX2, AVX-512 and NEON kernels that PyTorch dispatches to, hence
 *   fmaf() here;
 * - addcmul_ computes t + (value * t1) * t2 and addcdiv_ t + (value * t1) / t2,
 *   each operation rounded, as the vectorized kernels do. Contraction is
 *   off for this file, and the products that a compiler could still fuse
 *   into the add that follows them (clang with -ffp-contract=fast ignores
 *   the pragma) go through a volatile float under clang, which no compiler
 *   fuses across; GCC honours the pragma, so there they stay plain floats
 *   and the loops vectorize (sqrtf too, with -fno-math-errno).
 *   Never build this file with -ffast-math.
 * PyTorch built without AVX2 (capability DEFAULT) rounds add_ twice; the
 * results then differ in the last bit now and then.
 */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#define UNFUSED volatile /* see above */
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#define UNFUSED /* GCC honours the pragma, and the loops stay vectorizable */
#else
#define UNFUSED volatile
#endif

#include <math.h>
#include <string.h>

#include "snnrt.h"

/* torch.optim.adam._single_tensor_adam, amsgrad and maximize off. */
void snnrt_adam_step(const struct snnrt_adam *o, long step, float *p, const float *g, float *m,
                     float *v, size_t n)
{
    double bias_correction1 = 1.0 - pow(o->beta1, (double)step);
    double bias_correction2 = 1.0 - pow(o->beta2, (double)step);
    double step_size = o->lr / bias_correction1;
    double bias_correction2_sqrt = sqrt(bias_correction2);
    const float wd = (float)o->weight_decay;
    const float beta1 = (float)o->beta1;
    const float one_minus_beta1 = (float)(1.0 - o->beta1);
    const float beta2 = (float)o->beta2;
    const float one_minus_beta2 = (float)(1.0 - o->beta2);
    const float bc2_sqrt = (float)bias_correction2_sqrt;
    const float eps = (float)o->eps;
    const float neg_step_size = (float)-step_size;
    size_t i;

    for (i = 0; i < n; i++) {
        float grad = g[i];
        float mi, vi, sq, denom, upd;
        UNFUSED float decayed, rounded;

        if (o->weight_decay != 0.0)
            grad = fmaf(p[i], wd, grad); /* grad.add(param, alpha=wd) */
        /* exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1) */
        mi = m[i] * beta1;
        mi = fmaf(grad, one_minus_beta1, mi);
        m[i] = mi;
        /* exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2) */
        decayed = v[i] * beta2;
        sq = one_minus_beta2 * grad;
        rounded = sq * grad;
        vi = decayed + rounded;
        v[i] = vi;
        /* denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps) */
        denom = sqrtf(vi);
        denom = denom / bc2_sqrt;
        denom = denom + eps;
        /* param.addcdiv_(exp_avg, denom, value=-step_size) */
        upd = neg_step_size * mi;
        upd = upd / denom;
        p[i] = p[i] + upd;
    }
}

/* torch.optim.sgd._single_tensor_sgd, dampening 0, nesterov off. */
void snnrt_sgd_step(double lr, double momentum, double weight_decay, float *p, const float *g,
                    float *buf, size_t n, int first_step)
{
    const float wd = (float)weight_decay;
    const float mom = (float)momentum;
    const float neg_lr = (float)-lr;
    size_t i;

    for (i = 0; i < n; i++) {
        float d_p = g[i];

        if (weight_decay != 0.0)
            d_p = fmaf(p[i], wd, d_p); /* d_p.add(param, alpha=wd) */
        if (momentum != 0.0) {
            if (first_step) {
                buf[i] = d_p; /* torch.clone(d_p) */
            } else {
                /* buf.mul_(momentum).add_(d_p, alpha=1): the fused add of
                 * d_p * 1 rounds once, like a plain add */
                UNFUSED float b = buf[i] * mom;
                buf[i] = b + d_p;
            }
            d_p = buf[i];
        }
        p[i] = fmaf(d_p, neg_lr, p[i]); /* param.add_(d_p, alpha=-lr) */
    }
}

long snnrt_check_finite(const float *x, size_t n)
{
    size_t i = 0;

    /* blocks without a branch per element (they vectorize); the first bad
     * element is then looked for one by one */
    for (; i + 256 <= n; i += 256) {
        uint32_t bad = 0;
        size_t k;

        for (k = 0; k < 256; k++) {
            uint32_t u;

            memcpy(&u, x + i + k, sizeof u);
            bad |= (u & UINT32_C(0x7f800000)) == UINT32_C(0x7f800000);
        }
        if (bad)
            break;
    }
    for (; i < n; i++) {
        uint32_t u;

        memcpy(&u, x + i, sizeof u);
        if ((u & UINT32_C(0x7f800000)) == UINT32_C(0x7f800000))
            return (long)i;
    }
    return -1;
}
