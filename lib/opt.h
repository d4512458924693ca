/* opt.h - option tables that drive getopt_long and produce the help text, and strict number parsing */
#ifndef KB_OPT_H
#define KB_OPT_H

#include <getopt.h>
#include <stdio.h>

struct kb_option {
	const char *long_name;
	int short_name;      /* 0 for none; also the value getopt_long returns (or a code >= 256) */
	int has_arg;         /* no_argument, required_argument */
	const char *argh;    /* argument name in the help text */
	const char *help;
};

/* Build getopt_long tables; free both with opt_tables_free. */
void opt_tables(const struct kb_option *opts, struct option **longopts, char **shortopts);
void opt_tables_free(struct option *longopts, char *shortopts);
/* Print "  -O, --objdir DIR   help" lines. */
void opt_print_help(FILE *fp, const struct kb_option *opts);
/* Parse a whole decimal integer in [min, max]; 0 or -EINVAL/-ERANGE. */
int opt_parse_long(const char *s, long min, long max, long *out);
/* A whole decimal number in [min, max]; 0 or -EINVAL/-ERANGE. */
int opt_parse_double(const char *s, double min, double max, double *out);
/*
 * A duration in seconds: "90", "90s", "1.5m", "2h", "1d", "500ms", "1333us", "250ns" (no unit
 * means seconds); rejects signs, spaces, empty numbers and unknown units. -EINVAL/-ERANGE.
 */
int opt_parse_duration(const char *s, double min, double max, double *out);
/* "0-3,5" into set[0..ncpus-1] (1 = listed); -EINVAL on bad syntax, -ERANGE for a CPU >= ncpus. */
int opt_parse_cpulist(const char *s, unsigned ncpus, unsigned char *set);

#endif
