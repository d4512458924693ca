/* opt.h - option tables in the style of git's parse-options: one table per command sets the fields and prints the help */
#ifndef KB_OPT_H
#define KB_OPT_H

#include <stdio.h>
#include "strbuf.h"

enum opt_type {
	OPT_T_END,
	OPT_T_HELP,      /* -h, --help: opt_parse returns OPT_HELP */
	OPT_T_BOOL,      /* int = 1 */
	OPT_T_STRING,    /* const char * = the argument (argv's own storage) */
	OPT_T_LIST,      /* struct opt_list: the argument appended (repeatable options) */
	OPT_T_INT,       /* int, whole decimal number in [min, max] */
	OPT_T_UINT,      /* unsigned, whole decimal number in [min, max] */
	OPT_T_LONG,      /* long, whole decimal number in [min, max] */
	OPT_T_DOUBLE,    /* double, decimal number in [min, max] */
	OPT_T_DURATION,  /* double seconds: 90, 90s, 1.5m, 500ms ... in [min, max] */
	OPT_T_CALLBACK,  /* cb(opt, arg, err); arg is NULL when the option takes none */
};

struct kb_option;
/* An option's own parser: 0, or -EINVAL with the whole message (without "error: ") in err. */
typedef int (*opt_cb)(const struct kb_option *opt, const char *arg, struct strbuf *err);

struct kb_option {
	enum opt_type type;
	int short_name;           /* 0 for none */
	const char *long_name;    /* NULL for none */
	void *value;              /* the field this option sets */
	const char *argh;         /* the argument's name in the help; NULL: the option takes none */
	const char *help;
	double min, max;          /* numbers: the range accepted */
	const char *expect;       /* numbers: what is expected, for "invalid --rate 'x': expected ..." */
	opt_cb cb;
};

/* Repeatable options collect their arguments here, in order; release with opt_list_release. */
struct opt_list {
	const char **v;
	size_t nr, alloc;
};
void opt_list_release(struct opt_list *l);

#define OPT_END() { OPT_T_END, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }
#define OPT_HELP() { OPT_T_HELP, 'h', "help", NULL, NULL, "show this help", 0, 0, NULL, NULL }
#define OPT_BOOL(s, l, v, h) { OPT_T_BOOL, (s), (l), (v), NULL, (h), 0, 0, NULL, NULL }
#define OPT_STRING(s, l, v, a, h) { OPT_T_STRING, (s), (l), (v), (a), (h), 0, 0, NULL, NULL }
#define OPT_LIST(s, l, v, a, h) { OPT_T_LIST, (s), (l), (v), (a), (h), 0, 0, NULL, NULL }
#define OPT_INT(s, l, v, a, h, lo, hi, e) { OPT_T_INT, (s), (l), (v), (a), (h), (lo), (hi), (e), NULL }
#define OPT_UINT(s, l, v, a, h, lo, hi, e) { OPT_T_UINT, (s), (l), (v), (a), (h), (lo), (hi), (e), NULL }
#define OPT_LONG(s, l, v, a, h, lo, hi, e) { OPT_T_LONG, (s), (l), (v), (a), (h), (lo), (hi), (e), NULL }
#define OPT_DOUBLE(s, l, v, a, h, lo, hi, e) { OPT_T_DOUBLE, (s), (l), (v), (a), (h), (lo), (hi), (e), NULL }
#define OPT_DURATION(s, l, v, a, h, lo, hi, e) { OPT_T_DURATION, (s), (l), (v), (a), (h), (lo), (hi), (e), NULL }
/* a = NULL: the option takes no argument and cb gets NULL */
#define OPT_CALLBACK(s, l, v, a, h, f) { OPT_T_CALLBACK, (s), (l), (v), (a), (h), 0, 0, NULL, (f) }

enum opt_result {
	OPT_GO = 0,      /* options parsed; *first is the index of the first operand */
	OPT_HELP = 1,    /* -h or --help was given: print the help, exit 0 */
	OPT_ERROR = -1,  /* a bad option or argument: err holds the message */
};

/* opt_parse flags */
#define OPT_ANYWHERE 1u  /* options may follow operands ("plot a.json -o x.svg"): argv is reordered, operands last */

/*
 * Parse argv[1..argc-1] against opts (getopt_long underneath). Options stop at the first operand
 * (unless OPT_ANYWHERE) and after "--" ("--" itself is skipped), so a subcommand or a guest
 * command keeps its own options. Each option stores into its field as it comes; later ones win,
 * lists append. Messages: "unknown option '--x' (see --help)", "option '--x' needs an argument",
 * "invalid --x 'v': expected <expect>", or a callback's own.
 */
enum opt_result opt_parse(int argc, char **argv, const struct kb_option *opts, unsigned flags, int *first,
			  struct strbuf *err);
/*
 * opt_parse for a command: the help goes to stdout (opt_usage), an error to stderr as
 * "prog: error: ...". -1 when the command goes on (*first at the operands), else the status
 * to exit with: KB_OK after the help, KB_EUSAGE after an error.
 */
int opt_parse_command(int argc, char **argv, const struct kb_option *opts, const char *synopsis, unsigned flags,
		      int *first);
/* "usage: SYNOPSIS\n\n" and the option lines (synopsis may hold several lines). */
void opt_usage(FILE *fp, const char *synopsis, const struct kb_option *opts);
/* The option lines only: "  -O, --objdir DIR            help". */
void opt_print_help(FILE *fp, const struct kb_option *opts);

/* A program's commands; the help's command list is printed from the same table. */
struct kb_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;      /* one line; NULL keeps a command out of the list */
};
/* "  name      help" lines, names padded to the longest. */
void opt_print_commands(FILE *fp, const struct kb_command *cmds, size_t n);
const struct kb_command *opt_find_command(const struct kb_command *cmds, size_t n, const char *name);

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
