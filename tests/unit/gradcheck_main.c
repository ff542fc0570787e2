/* gradcheck_main.c - checks the emitted backward pass against central
 * finite differences of the emitted forward pass, on a model whose loss
 * is a smooth function of its parameters (no reset, loss on membranes).
 * Exits 0 when every checked element agrees, 1 otherwise.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

static unsigned long lcg = 12345;

static float next_uniform(void)
{
    lcg = lcg * 6364136223846793005UL + 1442695040888963407UL;
    return (float)((lcg >> 40) & 0xffffff) / 16777216.0f;
}

static double loss_now(void)
{
    if (model_forward() != 0) {
        fprintf(stderr, "forward: %s\n", model_error());
        return NAN;
    }
    return model_outputs[MODEL_LOSS_OUTPUT].f32[0];
}

int main(void)
{
    static float analytic[1 << 16];
    model_init_params(MODEL_SEED);
    for (int i = 0; i < MODEL_NUM_INPUTS; i++) {
        const struct model_tensor *in = &model_inputs[i];
        for (size_t k = 0; k < in->numel; k++) {
            if (in->i64)
                in->i64[k] = (int64_t)(k % 3);
            else
                in->f32[k] = 2.0f * next_uniform() - 0.5f;
        }
    }
    /* larger weights, so the dynamics are not trivially small */
    for (int i = 0; i < MODEL_NUM_PARAMS; i++)
        if (model_params[i].numel > 1)
            for (size_t k = 0; k < model_params[i].numel; k++)
                model_params[i].f32[k] *= 2.0f;
    loss_now();
    model_backward();
    int bad = 0, checked = 0;
    for (int i = 0; i < MODEL_NUM_PARAMS; i++) {
        const struct model_tensor *p = &model_params[i], *g = &model_grads[i];
        if (!g->f32)
            continue;
        memcpy(analytic, g->f32, g->numel * sizeof(float));
        size_t stride = p->numel > 8 ? p->numel / 8 : 1;
        for (size_t k = 0; k < p->numel; k += stride) {
            const float keep = p->f32[k], h = 5e-3f;
            p->f32[k] = keep + h;
            double up = loss_now();
            p->f32[k] = keep - h;
            double down = loss_now();
            p->f32[k] = keep;
            double fd = (up - down) / (2.0 * (double)h), an = analytic[k];
            /* float32 rounding of the loss limits what differences can resolve */
            double noise = 4.0 * 6e-8 * fabs(up) / (double)h;
            int ok = fabs(fd - an) <= 1e-3 + noise + 2e-2 * fabs(an);
            checked++;
            if (!ok) {
                bad++;
                printf("MISMATCH %s[%zu]: analytic %.6g, finite difference %.6g\n", p->name, k, an, fd);
            }
        }
    }
    printf("%d gradient elements checked, %d mismatches\n", checked, bad);
    return bad || !checked;
}
