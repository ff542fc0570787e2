/* plot.c - `snnc plot`: pictures of a training run, drawn by gnuplot.
 *
 * Takes: a CSV the trainer wrote: metrics (epoch,train_loss,train_acc,
 * test_acc,...) or a spike record (t,layer,neuron,value). Gives: a PNG or
 * SVG (by the output's extension): loss and accuracy curves, or a spike
 * raster with one panel per recorded layer.
 * Holds: gnuplot (Debian's gnuplot-nox) draws; nothing here renders by hand.
 * A file of another shape, or a missing gnuplot, is one clear error.
 */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define MAX_LAYERS 16

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

/* gnuplot strings are single-quoted; a quote in a path would end them */
static bool safe_path(const char *p)
{
    return !strchr(p, '\'') && !strchr(p, '\n');
}

static int run_gnuplot(const char *script, const char *out)
{
    FILE *g = popen("gnuplot 2>&1", "w");
    if (!g) {
        fprintf(stderr, "snnc: cannot run gnuplot: %s (install Debian's gnuplot-nox)\n", strerror(errno));
        return 1;
    }
    fputs(script, g);
    int rc = pclose(g);
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
        fprintf(stderr, "snnc: gnuplot failed drawing %s%s\n", out,
                WIFEXITED(rc) && WEXITSTATUS(rc) == 127 ? " (gnuplot is not installed: apt-get install gnuplot-nox)" : "");
        return 1;
    }
    return 0;
}

static void terminal(FILE *f, const char *out, int width, int height)
{
    if (ends_with(out, ".svg"))
        fprintf(f, "set terminal svg size %d,%d dynamic background rgb 'white'\n", width, height);
    else
        fprintf(f, "set terminal pngcairo size %d,%d\n", width, height);
    fprintf(f, "set termoption noenhanced\nset output '%s'\nset datafile separator ','\nset key top right\nset grid\n", out);
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* header: the CSV's first line; columns after the sixth are further test
 * accuracies (test_acc_NAME), one curve each. */
static int plot_metrics(const char *csv, const char *header, const char *out)
{
    char *script = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&script, &len);
    if (!f)
        return 1;
    terminal(f, out, 1000, 420);
    fprintf(f, "set multiplot layout 1,2 title 'training run: %s'\n", base_name(csv));
    fprintf(f, "set xlabel 'epoch'\nset ylabel 'loss'\nset title 'training loss'\n");
    fprintf(f, "plot '%s' every ::1 using 1:2 with linespoints lw 2 title 'train loss'\n", csv);
    fprintf(f, "set ylabel 'accuracy'\nset title 'accuracy'\nset yrange [0:1]\nset key bottom left\n");
    fprintf(f, "plot '%s' every ::1 using 1:3 with linespoints lw 2 title 'train', "
               "'' every ::1 using 1:4 with linespoints lw 2 title 'test'", csv);
    int col = 1;
    for (const char *p = header; *p && *p != '\n'; p++) {
        if (*p != ',')
            continue;
        col++;
        if (col < 7)
            continue;
        const char *name = p + 1, *end = name;
        while (*end && *end != ',' && *end != '\n' && *end != '\r')
            end++;
        if (!strncmp(name, "test_acc_", 9))
            name += 9;
        fprintf(f, ", '' every ::1 using 1:%d with linespoints lw 2 title 'test, by %.*s'", col,
                (int)(end - name), name);
    }
    fprintf(f, "\n");
    fprintf(f, "unset multiplot\n");
    fclose(f);
    int rc = run_gnuplot(script, out);
    free(script);
    return rc;
}

/* The layer names of a spike record, in order of first appearance. */
static int raster_layers(FILE *in, char layers[MAX_LAYERS][128], long *max_t, long *max_neuron)
{
    char line[512];
    int n = 0;
    *max_t = 0;
    while (fgets(line, sizeof line, in)) {
        long t, j;
        char name[128];
        if (sscanf(line, "%ld,%127[^,],%ld", &t, name, &j) != 3)
            continue;
        if (t > *max_t)
            *max_t = t;
        int k;
        for (k = 0; k < n && strcmp(layers[k], name); k++)
            ;
        if (k == n && n < MAX_LAYERS) {
            max_neuron[n] = 0;
            memcpy(layers[n++], name, sizeof name);
        }
        if (k < n && j > max_neuron[k])
            max_neuron[k] = j;
    }
    return n;
}

static int plot_raster(const char *csv, FILE *in, const char *out)
{
    char layers[MAX_LAYERS][128];
    long max_t, max_neuron[MAX_LAYERS];
    int n = raster_layers(in, layers, &max_t, max_neuron);
    if (!n) {
        fprintf(stderr, "snnc: %s: no rows of t,layer,neuron,value; nothing to draw\n", csv);
        return 1;
    }
    char *script = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&script, &len);
    if (!f)
        return 1;
    terminal(f, out, 900, 260 * n + 60);
    fprintf(f, "set multiplot layout %d,1 title 'spike raster of one test sample: %s'\n", n, base_name(csv));
    fprintf(f, "set xrange [-0.5:%ld.5]\nset xlabel 'time step'\nset ylabel 'neuron'\nunset key\n", max_t);
    for (int k = 0; k < n; k++) {
        /* a spike is a dot; a multi-strength spike a bigger one; a membrane a heat strip */
        fprintf(f, "set title '%s'\nset yrange [-0.5:%ld.5]\n", layers[k], max_neuron[k]);
        fprintf(f, "plot '%s' every ::1 using 1:(strcol(2) eq '%s' && $4 > 0 ? $3 : 1/0):"
                   "($4 > 1 ? 1.2 : 0.6) with points pt 7 ps variable lc rgb '#1f4e9a'\n",
                csv, layers[k]);
    }
    fprintf(f, "unset multiplot\n");
    fclose(f);
    int rc = run_gnuplot(script, out);
    free(script);
    return rc;
}

int plot_csv(const char *csv, const char *out)
{
    if (!safe_path(csv) || !safe_path(out)) {
        fprintf(stderr, "snnc: plot: paths with quotes or newlines are not supported\n");
        return 2;
    }
    if (!ends_with(out, ".png") && !ends_with(out, ".svg")) {
        fprintf(stderr, "snnc: plot: %s: the output must end in .png or .svg\n", out);
        return 2;
    }
    FILE *in = fopen(csv, "r");
    if (!in) {
        fprintf(stderr, "snnc: %s: cannot open: %s\n", csv, strerror(errno));
        return 1;
    }
    char header[512] = "";
    if (!fgets(header, sizeof header, in))
        header[0] = 0;
    int rc;
    if (!strncmp(header, "epoch,train_loss,train_acc,test_acc", 35)) {
        rc = plot_metrics(csv, header, out);
    } else if (!strncmp(header, "t,layer,neuron,value", 20)) {
        rc = plot_raster(csv, in, out);
    } else {
        fprintf(stderr, "snnc: %s: not a metrics CSV (epoch,train_loss,...) or a spike record "
                        "(t,layer,neuron,value) written by an snnc trainer\n", csv);
        rc = 1;
    }
    fclose(in);
    if (!rc)
        fprintf(stderr, "snnc: wrote %s\n", out);
    return rc;
}
