/* team_tuner.c - drives the emitted thread tuner through simulated passes.
 *
 * team_tuner.sh cuts struct snn_tuner and its two functions out of an
 * emitted model.c and includes them here (TUNER_CODE), with a clock and
 * a thread count of our own, so each scenario is a list of pass costs
 * in simulated seconds and the check is on the teams the tuner chose:
 * nothing depends on the speed of the machine the test runs on. */
#include <stdio.h>

static int snn_team = 1;
static double fake_now;
static int omp_get_max_threads(void) { return 2; }
static double omp_get_wtime(void) { return fake_now; }

#include TUNER_CODE

/* seconds of pass p on one thread and on all (noisy: a slowdown of the
 * whole machine, which costs all threads a little more than one) */
typedef void cost_fn(long p, double c[2]);

static void quiet(long p, double c[2]) { (void)p; c[0] = 2.0, c[1] = 1.0; }
static void core_busy(long p, double c[2]) { (void)p; c[0] = 2.0, c[1] = 4.0; }
static void busy_then_quiet(long p, double c[2]) { (p < 400 ? core_busy : quiet)(p, c); }
static void noise_blocks(long p, double c[2])
{
    if (p / 6 % 2)
        c[0] = 4.0, c[1] = 4.5;
    else
        quiet(p, c);
}

/* the share of passes in [from, to) that ran on all threads */
static double share_all(cost_fn *cost, long from, long to)
{
    struct snn_tuner u = {0};
    long all = 0;
    for (long p = 0; p < to; p++) {
        double c[2];
        cost(p, c);
        const double t0 = snn_pass_begin(&u);
        fake_now += c[snn_team > 1];
        if (p >= from)
            all += snn_team > 1;
        snn_pass_end(&u, t0);
    }
    return (double)all / (double)(to - from);
}

static int expect(const char *what, double share, double lo, double hi)
{
    const int ok = share >= lo && share <= hi;
    printf("%s: %s, %.0f%% of passes on all threads (expected %.0f-%.0f%%)\n", ok ? "ok" : "FAIL", what,
           100.0 * share, 100.0 * lo, 100.0 * hi);
    return ok;
}

int main(void)
{
    int ok = 1;
    ok &= expect("quiet machine", share_all(quiet, 0, 1000), 0.99, 1.0);
    ok &= expect("a core held by another program", share_all(core_busy, 0, 1000), 0.0, 0.03);
    ok &= expect("the core freed again", share_all(busy_then_quiet, 500, 1000), 0.97, 1.0);
    /* a trial in a slow spell wins alone, but all threads are faster over
     * the spells: a single pass compared with a long average would move to
     * one thread, and lose */
    ok &= expect("slow spells of 6 passes", share_all(noise_blocks, 0, 1000), 0.95, 1.0);
    return ok ? 0 : 1;
}
