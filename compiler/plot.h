/* plot.h - `snnc plot`: training curves and spike rasters via gnuplot. */
#ifndef SNNC_COMPILER_PLOT_H
#define SNNC_COMPILER_PLOT_H

/* Draws csv (a trainer's metrics or spike record) into out (.png or .svg).
 * Returns the exit status: 0, 1 (bad file, gnuplot failed) or 2 (usage). */
int plot_csv(const char *csv, const char *out);

#endif
