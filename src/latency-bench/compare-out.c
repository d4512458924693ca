/* compare-out.c - a comparison's reports: the text table, JUnit XML for CI, one HTML page */
#include "compare.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cause.h"
#include "plot.h"
#include "util.h"

/* ---------------------------------------------------------------------------------------- */
/* text */

static size_t display_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* `s` for a terminal: control characters (a label can hold anything) become '?' */
static void add_plain(struct strbuf *sb, const char *s)
{
	for (; *s; s++)
		strbuf_addch(sb, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void add_padded(struct strbuf *sb, const char *s, size_t width)
{
	add_plain(sb, s);
	for (size_t w = display_width(s); w < width; w++)
		strbuf_addch(sb, ' ');
}

static void add_us(struct strbuf *sb, double v, int width)
{
	if (isnan(v))
		strbuf_addf(sb, " %*s", width, "-");
	else
		strbuf_addf(sb, " %*.1f", width, v);
}

static void safe_text(char *buf, size_t len, unsigned safe)
{
	if (safe == LB_CMP_SAFE_UNKNOWN)
		snprintf(buf, len, "-");
	else if (safe == LB_CMP_SAFE_NONE)
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "%u", safe);
}

static void add_ratio(struct strbuf *sb, double r)
{
	if (isfinite(r))
		strbuf_addf(sb, "x%.2f", r);
	else
		strbuf_addstr(sb, "x inf");
}

static void add_pct(struct strbuf *sb, double tolerance)
{
	strbuf_addf(sb, "%g %%", tolerance * 100);
}

/* "64 → 128 frames at 48 kHz", "64 frames → none at 48 kHz", "64 frames at 48 kHz, unchanged" */
static void add_safe_change(struct strbuf *sb, unsigned a, unsigned b)
{
	if (a == LB_CMP_SAFE_UNKNOWN || b == LB_CMP_SAFE_UNKNOWN) {
		strbuf_addstr(sb, "safe size not in every result");
	} else if (a == b) {
		if (a == LB_CMP_SAFE_NONE)
			strbuf_addstr(sb, "no safe size at 48 kHz on either side");
		else
			strbuf_addf(sb, "safe size %u frames at 48 kHz, unchanged", a);
	} else if (a == LB_CMP_SAFE_NONE) {
		strbuf_addf(sb, "safe size none → %u frames at 48 kHz", b);
	} else if (b == LB_CMP_SAFE_NONE) {
		strbuf_addf(sb, "safe size %u frames → none at 48 kHz", a);
	} else {
		strbuf_addf(sb, "safe size %u → %u frames at 48 kHz", a, b);
	}
}

static void add_runs(struct strbuf *sb, int m, int n)
{
	if (m == n)
		strbuf_addf(sb, "%d run%s each", m, m == 1 ? "" : "s");
	else
		strbuf_addf(sb, "%d and %d runs", m, n);
}

static void add_p(struct strbuf *sb, double p)
{
	if (p < 0.001)
		strbuf_addstr(sb, "p < 0.001");
	else
		strbuf_addf(sb, "p = %.3f", p);
}

/* what a decision is about, without the key: "p99 40.8 → 92.4 us (...); 3 runs each: ...; safe size ..." */
static void add_figures(struct strbuf *sb, const struct lb_cmp *c, const struct lb_cmp_group *g)
{
	const struct lb_cmp_decision *d = &g->d;

	strbuf_addf(sb, "%s %.1f → %.1f us (", lb_cmp_metric_name(c->o.metric), d->base_median, d->median);
	add_ratio(sb, d->ratio);
	strbuf_addf(sb, ", shift %+.1f us, delta %+.2f); ", d->shift_us, d->delta);
	add_runs(sb, c->group[0].nruns, g->nruns);
	if (d->tested) {
		strbuf_addstr(sb, ": Mann-Whitney ");
		add_p(sb, d->p);
	} else {
		strbuf_addstr(sb, ": no statistical test, the ratio alone decides");
	}
	strbuf_addstr(sb, "; ");
	add_safe_change(sb, d->base_safe, d->safe);
}

/* "regression (p99, safe size)", "no regression (not significant)", ... */
static void add_verdict(struct strbuf *sb, const struct lb_cmp *c, const struct lb_cmp_group *g)
{
	const struct lb_cmp_decision *d = &g->d;

	if (d->regressed) {
		strbuf_addf(sb, "regression (%s%s%s)", d->latency_regressed ? lb_cmp_metric_name(c->o.metric) : "",
			    d->latency_regressed && d->safe_regressed ? ", " : "",
			    d->safe_regressed ? "safe size" : "");
	} else if (d->ratio > 1 + c->o.tolerance) {
		strbuf_addstr(sb, "no regression (not significant)");
	} else if (d->ratio > 1) {
		strbuf_addstr(sb, "no regression (within ");
		add_pct(sb, c->o.tolerance);
		strbuf_addch(sb, ')');
	} else {
		strbuf_addstr(sb, "no regression");
	}
}

static void add_decision(struct strbuf *sb, const struct lb_cmp *c, const struct lb_cmp_group *g)
{
	add_figures(sb, c, g);
	strbuf_addstr(sb, ": ");
	add_verdict(sb, c, g);
}

static void add_rule(struct strbuf *sb, const struct lb_cmp *c)
{
	strbuf_addf(sb, "%s per run; a regression is a median more than ", lb_cmp_metric_name(c->o.metric));
	add_pct(sb, c->o.tolerance);
	strbuf_addf(sb, " higher with a one-sided Mann-Whitney p <= %.2f (with too few runs for the test, "
		    "the ratio alone), or a safe size more than ", LB_CMP_ALPHA);
	add_pct(sb, c->o.tolerance);
	strbuf_addstr(sb, " larger");
}

/* "regression: 1 of 2 kernel releases: KEY (p99 x2.26; safe size 64 → 128 frames at 48 kHz)" */
static void add_summary(struct strbuf *sb, const struct lb_cmp *c)
{
	int first = 1;

	if (!c->nregressed) {
		strbuf_addstr(sb, "no regression");
		return;
	}
	strbuf_addf(sb, "regression: %d of %d %s: ", c->nregressed, c->ngroups - 1, lb_cmp_group_word(c, c->ngroups > 2));
	for (int k = 1; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k];

		if (!g->d.regressed)
			continue;
		strbuf_addstr(sb, first ? "" : ", ");
		add_plain(sb, g->key);
		strbuf_addstr(sb, " (");
		first = 0;
		if (g->d.latency_regressed) {
			strbuf_addf(sb, "%s ", lb_cmp_metric_name(c->o.metric));
			add_ratio(sb, g->d.ratio);
		}
		if (g->d.safe_regressed) {
			if (g->d.latency_regressed)
				strbuf_addstr(sb, "; ");
			add_safe_change(sb, g->d.base_safe, g->d.safe);
		}
		strbuf_addch(sb, ')');
	}
}

/* what made wakeups late: rows shown, the widest name, the width of one side's three figures */
#define CAUSE_ROWS 20
#define CAUSE_NAME_MAX 32
#define CAUSE_KIND_W 11 /* "preempt-off" */
#define CAUSE_SIDE_W 28 /* "%9s %7s %10s" */

/* `s` in exactly `width` columns: cut with "…" when longer, padded (on the left with `right`) */
static void add_cut(struct strbuf *sb, const char *s, size_t width, int right)
{
	size_t w = display_width(s), n = 0;

	if (right)
		for (size_t i = w; i < width; i++)
			strbuf_addch(sb, ' ');
	if (w <= width) {
		add_plain(sb, s);
	} else {
		for (; *s && n < width - 1; n++) {
			do
				strbuf_addch(sb, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
			while (((unsigned char)*++s & 0xc0) == 0x80);
		}
		strbuf_addstr(sb, "…");
	}
	if (!right)
		for (size_t i = w; i < width; i++)
			strbuf_addch(sb, ' ');
}

static void side_cells(const struct lb_cmp_cause_side *sd, char max[32], char count[32], char total[32])
{
	if (!sd->seen) {
		strcpy(max, "-");
		strcpy(count, "-");
		strcpy(total, "-");
		return;
	}
	snprintf(max, 32, "%.1f", sd->max_us);
	snprintf(count, 32, "%" PRIu64, sd->count);
	snprintf(total, 32, "%.1f", sd->total_us);
}

/* "cause analysis unavailable: REASON", "... in 1 of 3 runs: ...", "no late wakeup": what a side says besides its causes; NULL nothing */
static int analysis_line(const struct lb_cmp *c, int k, struct strbuf *line)
{
	const struct lb_cmp_group *g = &c->group[k];
	const struct lb_cmp_analysis *a = &g->analysis;
	int seen = 0;

	strbuf_reset(line);
	if (a->unavailable && !a->analysed)
		strbuf_addf(line, "cause analysis unavailable: %s", a->why ? a->why : "");
	else if (a->unavailable)
		strbuf_addf(line, "cause analysis unavailable in %d of %d runs: %s", a->unavailable, g->nruns,
			    a->why ? a->why : "");
	for (int i = 0; i < c->ncauses && !seen; i++)
		seen = c->cause[i].side[k].seen;
	if (a->analysed && !seen)
		strbuf_addf(line, "%sno wakeup late enough to analyse", line->len ? "; " : "");
	return line->len > 0;
}

/* The causes of every side next to each other; nothing when no result has a cause analysis. */
static void text_causes(const struct lb_cmp *c, struct strbuf *sb)
{
	struct strbuf line = STRBUF_INIT;
	size_t namew = 4;
	int rows = c->ncauses < CAUSE_ROWS ? c->ncauses : CAUSE_ROWS;

	if (!c->has_analysis)
		return;
	strbuf_addf(sb, "what made wakeups late, by %s: the largest delay of one wakeup, the wakeups it delayed, "
		    "their total (- not seen)\n", lb_cmp_group_word(c, 0));
	if (rows) {
		for (int i = 0; i < rows; i++)
			if (display_width(c->cause[i].name) > namew)
				namew = display_width(c->cause[i].name);
		if (namew > CAUSE_NAME_MAX)
			namew = CAUSE_NAME_MAX;
		add_cut(sb, "", CAUSE_KIND_W + 1 + namew, 0);
		for (int k = 0; k < c->ngroups; k++) {
			if (!c->group[k].analysis.analysed)
				continue; /* a side without an analysis has nothing to show but its reason */
			strbuf_addstr(sb, "  ");
			add_cut(sb, c->group[k].key, CAUSE_SIDE_W, 1);
		}
		strbuf_addch(sb, '\n');
		add_cut(sb, "kind", CAUSE_KIND_W, 0);
		strbuf_addch(sb, ' ');
		add_cut(sb, "name", namew, 0);
		for (int k = 0; k < c->ngroups; k++)
			if (c->group[k].analysis.analysed)
				strbuf_addf(sb, "  %9s %7s %10s", "max us", "wakeups", "total us");
		strbuf_addch(sb, '\n');
		for (int i = 0; i < rows; i++) {
			const struct lb_cmp_cause *x = &c->cause[i];

			add_cut(sb, lb_cause_kind_name((enum lb_cause_kind)x->kind), CAUSE_KIND_W, 0);
			strbuf_addch(sb, ' ');
			add_cut(sb, x->name, namew, 0);
			for (int k = 0; k < c->ngroups; k++) {
				char max[32], count[32], total[32];

				if (!c->group[k].analysis.analysed)
					continue;
				side_cells(&x->side[k], max, count, total);
				strbuf_addf(sb, "  %9s %7s %10s", max, count, total);
			}
			/* a cut name would hide which one it is: the whole name after the figures */
			if (display_width(x->name) > namew) {
				strbuf_addstr(sb, "  ");
				add_plain(sb, x->name);
			}
			strbuf_addch(sb, '\n');
		}
		if (c->ncauses > rows)
			strbuf_addf(sb, "... and %d more cause%s (the HTML report lists them all)\n", c->ncauses - rows,
				    c->ncauses - rows == 1 ? "" : "s");
	}
	for (int k = 0; k < c->ngroups; k++)
		if (analysis_line(c, k, &line)) {
			add_plain(sb, c->group[k].key);
			strbuf_addstr(sb, ": ");
			add_plain(sb, line.buf);
			strbuf_addch(sb, '\n');
		}
	strbuf_addch(sb, '\n');
	strbuf_release(&line);
}

void lb_cmp_text(const struct lb_cmp *c, struct strbuf *sb)
{
	const char *head = c->by == LB_CMP_BY_LABEL ? "label" : c->by == LB_CMP_BY_FILE ? "file" : "kernel";
	size_t w = display_width(head);

	for (int k = 0; k < c->ngroups; k++)
		if (display_width(c->group[k].key) > w)
			w = display_width(c->group[k].key);
	if (c->note) {
		strbuf_addstr(sb, "note: ");
		add_plain(sb, c->note);
		strbuf_addch(sb, '\n');
	}
	strbuf_addstr(sb, "baseline: ");
	add_plain(sb, c->group[0].key);
	strbuf_addf(sb, " (%d run%s), compared with %d other %s\n", c->group[0].nruns,
		    c->group[0].nruns == 1 ? "" : "s", c->ngroups - 1, lb_cmp_group_word(c, c->ngroups > 2));
	strbuf_addstr(sb, "rule: ");
	add_rule(sb, c);
	strbuf_addstr(sb, "\n\n");

	add_padded(sb, head, w);
	strbuf_addf(sb, " %4s %10s %8s %8s %8s %8s %7s %6s  %s\n", "runs", "samples", "p50", "p99", "p99.9",
		    "max", "missed", "xruns", "safe frames at 48 kHz, 2 periods");
	for (int k = 0; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k];
		char safe[32];

		add_padded(sb, g->key, w);
		strbuf_addf(sb, " %4d %10" PRIu64, g->nruns, g->samples);
		for (int m = 0; m < LB_CMP_NMETRICS; m++)
			add_us(sb, g->lat[m], 8);
		safe_text(safe, sizeof(safe), g->safe);
		strbuf_addf(sb, " %7" PRIu64 " %6" PRIu64 "  %s\n", g->missed, g->xruns, safe);
	}
	strbuf_addch(sb, '\n');
	text_causes(c, sb);
	for (int k = 1; k < c->ngroups; k++) {
		add_plain(sb, c->group[k].key);
		strbuf_addstr(sb, ": ");
		add_decision(sb, c, &c->group[k]);
		strbuf_addch(sb, '\n');
	}
	strbuf_addch(sb, '\n');
	add_summary(sb, c);
	strbuf_addch(sb, '\n');
}

/* ---------------------------------------------------------------------------------------- */
/* JUnit XML */

static void xml(struct strbuf *sb, const char *s)
{
	lb_plot_add_xml(sb, s, SIZE_MAX);
}

static void property(struct strbuf *sb, const char *indent, const char *name, const char *value)
{
	strbuf_addf(sb, "%s<property name=\"%s\" value=\"", indent, name);
	xml(sb, value);
	strbuf_addstr(sb, "\"/>\n");
}

KB_PRINTF(4, 5)
static void propertyf(struct strbuf *sb, const char *indent, const char *name, const char *fmt, ...)
{
	char buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	property(sb, indent, name, buf);
}

static void num(char *buf, size_t len, double v, int decimals)
{
	if (isfinite(v))
		snprintf(buf, len, "%.*f", decimals, v);
	else
		snprintf(buf, len, "%s", isnan(v) ? "none" : "inf");
}

void lb_cmp_junit(const struct lb_cmp *c, struct strbuf *sb)
{
	const char *in = "        ";
	struct strbuf t = STRBUF_INIT;
	const char *mkey = lb_lat_key[c->o.metric];
	char buf[64], name[64];

	strbuf_addf(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<testsuites name=\"latency-bench compare\" tests=\"%d\" failures=\"%d\" errors=\"0\">\n"
		    "  <testsuite name=\"latency-bench-compare\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
		    "skipped=\"0\">\n    <properties>\n", c->ngroups - 1, c->nregressed, c->ngroups - 1,
		    c->nregressed);
	property(sb, "      ", "baseline", c->group[0].key);
	propertyf(sb, "      ", "baseline_runs", "%d", c->group[0].nruns);
	property(sb, "      ", "group_by", c->by == LB_CMP_BY_LABEL ? "label" : c->by == LB_CMP_BY_FILE ? "file" : "kernel_release");
	if (c->note)
		property(sb, "      ", "note", c->note);
	property(sb, "      ", "metric", lb_cmp_metric_name(c->o.metric));
	propertyf(sb, "      ", "tolerance_pct", "%g", c->o.tolerance * 100);
	propertyf(sb, "      ", "alpha", "%.2f", LB_CMP_ALPHA);
	add_rule(&t, c);
	property(sb, "      ", "rule", t.buf);
	strbuf_addstr(sb, "    </properties>\n");
	for (int k = 1; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k], *b = &c->group[0];
		const struct lb_cmp_decision *d = &g->d;

		strbuf_reset(&t);
		add_decision(&t, c, g);
		strbuf_addstr(sb, "    <testcase classname=\"latency-bench.compare\" name=\"");
		xml(sb, g->key);
		strbuf_addstr(sb, "\" time=\"0\">\n      <properties>\n");
		propertyf(sb, in, "runs", "%d", g->nruns);
		propertyf(sb, in, "samples", "%" PRIu64, g->samples);
		num(buf, sizeof(buf), d->base_median, 3);
		snprintf(name, sizeof(name), "%s_us_baseline", mkey);
		property(sb, in, name, buf);
		num(buf, sizeof(buf), d->median, 3);
		snprintf(name, sizeof(name), "%s_us", mkey);
		property(sb, in, name, buf);
		num(buf, sizeof(buf), d->ratio, 4);
		property(sb, in, "ratio", buf);
		num(buf, sizeof(buf), d->shift_us, 3);
		property(sb, in, "shift_us", buf);
		num(buf, sizeof(buf), d->delta, 4);
		property(sb, in, "cliffs_delta", buf);
		num(buf, sizeof(buf), d->u, 1);
		property(sb, in, "mann_whitney_u", buf);
		num(buf, sizeof(buf), d->p, 4);
		property(sb, in, "p_value", d->tested ? buf : "none");
		safe_text(buf, sizeof(buf), d->base_safe);
		property(sb, in, "safe_frames_48k_baseline", buf);
		safe_text(buf, sizeof(buf), d->safe);
		property(sb, in, "safe_frames_48k", buf);
		propertyf(sb, in, "missed_periods", "%" PRIu64, g->missed);
		propertyf(sb, in, "missed_periods_baseline", "%" PRIu64, b->missed);
		propertyf(sb, in, "xruns", "%" PRIu64, g->xruns);
		propertyf(sb, in, "xruns_baseline", "%" PRIu64, b->xruns);
		strbuf_addstr(sb, "      </properties>\n");
		if (d->regressed) {
			strbuf_addstr(sb, "      <failure type=\"regression\" message=\"");
			xml(sb, t.buf);
			strbuf_addstr(sb, "\">");
			xml(sb, t.buf);
			strbuf_addstr(sb, "</failure>\n");
		}
		strbuf_addstr(sb, "      <system-out>");
		xml(sb, g->key);
		strbuf_addstr(sb, ": ");
		xml(sb, t.buf);
		strbuf_addstr(sb, "</system-out>\n    </testcase>\n");
	}
	strbuf_addstr(sb, "  </testsuite>\n</testsuites>\n");
	strbuf_release(&t);
}

/* ---------------------------------------------------------------------------------------- */
/* HTML */

static int cmp_bucket(const void *a, const void *b)
{
	const struct lb_bucket *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* one curve per group: the histograms of its runs added up */
static void group_histograms(const struct lb_cmp *c, struct strbuf *svg)
{
	struct lb_series *s = xcalloc((size_t)c->ngroups, sizeof(*s));
	struct lb_plot_opts po = { .title = c->o.title && *c->o.title ? c->o.title
						   : "Latency histograms, the runs of each kernel added up" };
	struct strbuf err = STRBUF_INIT;

	if (c->by == LB_CMP_BY_LABEL && !(c->o.title && *c->o.title))
		po.title = "Latency histograms, the runs of each label added up";
	else if (c->by == LB_CMP_BY_FILE && !(c->o.title && *c->o.title))
		po.title = "Latency histograms, one for each file";
	for (int k = 0; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k];
		size_t nb = 0;

		s[k].max_us = -1;
		for (int i = 0; i < g->nruns; i++)
			nb += c->run[g->runs[i]].res.hist.nb;
		s[k].b = xcalloc(nb ? nb : 1, sizeof(*s[k].b));
		for (int i = 0; i < g->nruns; i++) {
			const struct lb_series *h = &c->run[g->runs[i]].res.hist;

			memcpy(s[k].b + s[k].nb, h->b, h->nb * sizeof(*h->b));
			s[k].nb += h->nb;
			if (h->max_us > s[k].max_us)
				s[k].max_us = h->max_us;
		}
		qsort(s[k].b, s[k].nb, sizeof(*s[k].b), cmp_bucket);
		s[k].label = xasprintf("%s (%d run%s)", g->key, g->nruns, g->nruns == 1 ? "" : "s");
	}
	if (lb_plot_render(s, c->ngroups, &po, svg, &err))
		BUG("the plot refused its default options: %s", err.buf);
	strbuf_release(&err);
	for (int k = 0; k < c->ngroups; k++)
		lb_series_free(&s[k]);
	free(s);
}

/* latency over time: each group's worst run that has a timeline of two steps or more; nothing when none has */
static void group_timelines(const struct lb_cmp *c, struct strbuf *sb)
{
	struct lb_timeline *t = xcalloc((size_t)c->ngroups, sizeof(*t));
	char **labels = xcalloc((size_t)c->ngroups, sizeof(*labels));
	struct lb_plot_opts po = { .title = "Latency over time, the worst run of each" };
	struct strbuf svg = STRBUF_INIT, err = STRBUF_INIT;
	int n = 0;

	for (int k = 0; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k];
		int i = lb_cmp_group_timeline_run(c, g, 2);
		const struct lb_result *res;
		const char *base;

		if (i < 0)
			continue;
		res = &c->run[i].res;
		base = strrchr(c->run[i].path, '/');
		labels[n] = g->nruns > 1 ? xasprintf("%s (%s)", g->key, base ? base + 1 : c->run[i].path) : xstrdup(g->key);
		t[n] = (struct lb_timeline){ labels[n], res->timeline_step_s, res->timeline_us, res->ntimeline,
					     res->spikes, res->nspikes };
		n++;
	}
	if (n) {
		const char *start;

		if (lb_plot_timeline_render(t, n, &po, &svg, &err))
			BUG("the plot over time refused its default options: %s", err.buf);
		strbuf_addstr(sb, "<h2>Latency over time</h2>\n");
		start = strstr(svg.buf, "<svg");
		strbuf_addstr(sb, start ? start : svg.buf);
	}
	for (int k = 0; k < n; k++)
		free(labels[k]);
	free(labels);
	free(t);
	strbuf_release(&svg);
	strbuf_release(&err);
}

static const char html_style[] =
	"body { font-family: sans-serif; margin: 24px; color: #222222; background: #ffffff; }\n"
	"h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }\n"
	"table { border-collapse: collapse; font-size: 13px; }\n"
	"th, td { border: 1px solid #c8c8c8; padding: 3px 8px; text-align: left; vertical-align: top; }\n"
	"th { background: #f0f0f0; }\n"
	"td.n { text-align: right; font-variant-numeric: tabular-nums; }\n"
	"tr.base td:first-child { font-weight: bold; }\n"
	".regression { color: #a8001c; font-weight: bold; }\n"
	".ok { color: #18632f; font-weight: bold; }\n"
	"table#checks td { max-width: 15em; overflow-wrap: anywhere; }\n"
	"td.c-warn { background: #fde3e0; }\n"
	"td.c-warn b { color: #a8001c; }\n"
	"td.c-missing { color: #888888; }\n"
	"p.rule { color: #444444; font-size: 13px; }\n"
	"ul.decisions li { margin: 4px 0; }\n";

static void html_num(struct strbuf *sb, double v)
{
	if (isnan(v))
		strbuf_addstr(sb, "<td class=\"n\">-</td>");
	else
		strbuf_addf(sb, "<td class=\"n\">%.1f</td>", v);
}

/* the checks of a group for one id: worst status, the distinct values of its runs */
static const char *group_check(const struct lb_cmp *c, const struct lb_cmp_group *g, const char *id,
			       struct strbuf *value)
{
	const char *status = NULL;

	strbuf_reset(value);
	for (int i = 0; i < g->nruns; i++) {
		const struct lb_cmp_run *r = &c->run[g->runs[i]];

		for (int j = 0; j < r->res.nchecks; j++) {
			const struct lb_result_check *ch = &r->res.checks[j];
			int seen = 0;

			if (!str_eq(ch->id, id))
				continue;
			if (!status || str_eq(ch->status, "warn") ||
			    (str_eq(ch->status, "info") && !str_eq(status, "warn")))
				status = ch->status;
			/* the same value from several runs is shown once */
			for (int i2 = 0; i2 < i && !seen; i2++) {
				const struct lb_cmp_run *r2 = &c->run[g->runs[i2]];

				for (int j2 = 0; j2 < r2->res.nchecks && !seen; j2++)
					seen = str_eq(r2->res.checks[j2].id, id) && str_eq(r2->res.checks[j2].value, ch->value);
			}
			if (!seen) {
				if (value->len)
					strbuf_addstr(value, " | ");
				strbuf_addstr(value, ch->value);
			}
		}
	}
	return status;
}

static void html_checks(const struct lb_cmp *c, struct strbuf *sb)
{
	const char **ids = NULL, **titles = NULL;
	int nids = 0, alloc = 0;
	struct strbuf value = STRBUF_INIT;

	for (int i = 0; i < c->nruns; i++)
		for (int j = 0; j < c->run[i].res.nchecks; j++) {
			const struct lb_result_check *ch = &c->run[i].res.checks[j];
			int k;

			for (k = 0; k < nids && !str_eq(ids[k], ch->id); k++)
				;
			if (k < nids)
				continue;
			ALLOC_GROW(ids, nids + 1, alloc);
			titles = xrealloc(titles, alloc * sizeof(*titles));
			ids[nids] = ch->id;
			titles[nids++] = ch->title;
		}
	if (!nids) {
		strbuf_addstr(sb, "<p>The results hold no system checks.</p>\n");
		free(ids);
		free(titles);
		return;
	}
	strbuf_addstr(sb, "<table id=\"checks\">\n<tr><th>check</th>");
	for (int k = 0; k < c->ngroups; k++) {
		strbuf_addstr(sb, "<th>");
		xml(sb, c->group[k].key);
		strbuf_addstr(sb, "</th>");
	}
	strbuf_addstr(sb, "</tr>\n");
	for (int i = 0; i < nids; i++) {
		strbuf_addstr(sb, "<tr><td>");
		xml(sb, titles[i]);
		strbuf_addstr(sb, "</td>");
		for (int k = 0; k < c->ngroups; k++) {
			const char *st = group_check(c, &c->group[k], ids[i], &value);
			int warn, info;

			if (!st) {
				strbuf_addstr(sb, "<td class=\"c-missing\">not checked</td>");
				continue;
			}
			warn = str_eq(st, "warn");
			info = str_eq(st, "info");
			strbuf_addf(sb, "<td class=\"c-%s\"><b>%s</b>", warn ? "warn" : info ? "info" : "ok",
				    warn ? "WARN" : info ? "INFO" : str_eq(st, "ok") ? "OK" : "?");
			if (value.len) {
				strbuf_addstr(sb, " ");
				xml(sb, value.buf);
			}
			strbuf_addstr(sb, "</td>");
		}
		strbuf_addstr(sb, "</tr>\n");
	}
	strbuf_addstr(sb, "</table>\n");
	strbuf_release(&value);
	free(ids);
	free(titles);
}

/* every cause, each side's figures next to each other, then what a side says of its analysis */
static void html_causes(const struct lb_cmp *c, struct strbuf *sb)
{
	struct strbuf line = STRBUF_INIT;
	int nsides = 0, nlines = 0;

	if (!c->has_analysis)
		return;
	strbuf_addstr(sb, "<h2>What made wakeups late</h2>\n");
	for (int k = 0; k < c->ngroups; k++)
		nsides += c->group[k].analysis.analysed > 0;
	if (c->ncauses && nsides) {
		strbuf_addstr(sb, "<p class=\"rule\">For each cause, the largest delay it gave one late wakeup, the "
			      "wakeups it delayed and their total; - where it was not seen.</p>\n<table id=\"causes\">\n"
			      "<tr><th rowspan=\"2\">kind</th><th rowspan=\"2\">name</th>");
		for (int k = 0; k < c->ngroups; k++) {
			if (!c->group[k].analysis.analysed)
				continue;
			strbuf_addstr(sb, "<th colspan=\"3\">");
			xml(sb, c->group[k].key);
			strbuf_addstr(sb, "</th>");
		}
		strbuf_addstr(sb, "</tr>\n<tr>");
		for (int k = 0; k < nsides; k++)
			strbuf_addstr(sb, "<th>max (&#181;s)</th><th>wakeups</th><th>total (&#181;s)</th>");
		strbuf_addstr(sb, "</tr>\n");
		for (int i = 0; i < c->ncauses; i++) {
			const struct lb_cmp_cause *x = &c->cause[i];

			strbuf_addf(sb, "<tr><td>%s</td><td>", lb_cause_kind_name((enum lb_cause_kind)x->kind));
			xml(sb, x->name);
			strbuf_addstr(sb, "</td>");
			for (int k = 0; k < c->ngroups; k++) {
				char max[32], count[32], total[32];

				if (!c->group[k].analysis.analysed)
					continue;
				side_cells(&x->side[k], max, count, total);
				strbuf_addf(sb, "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>",
					    max, count, total);
			}
			strbuf_addstr(sb, "</tr>\n");
		}
		strbuf_addstr(sb, "</table>\n");
	}
	for (int k = 0; k < c->ngroups; k++) {
		if (!analysis_line(c, k, &line))
			continue;
		strbuf_addstr(sb, nlines++ ? "<li><b>" : "<ul class=\"causes-unavailable\">\n<li><b>");
		xml(sb, c->group[k].key);
		strbuf_addstr(sb, "</b>: ");
		xml(sb, line.buf);
		strbuf_addstr(sb, "</li>\n");
	}
	if (nlines)
		strbuf_addstr(sb, "</ul>\n");
	strbuf_release(&line);
}

void lb_cmp_html(const struct lb_cmp *c, struct strbuf *sb)
{
	const char *title = c->o.title && *c->o.title ? c->o.title : "latency-bench compare";
	struct strbuf t = STRBUF_INIT, svg = STRBUF_INIT;
	const char *svg_start;

	strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
	xml(sb, title);
	strbuf_addf(sb, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", html_style);
	xml(sb, title);
	strbuf_addstr(sb, "</h1>\n");
	add_summary(&t, c);
	strbuf_addf(sb, "<p id=\"summary\" class=\"%s\">", c->nregressed ? "regression" : "ok");
	xml(sb, t.buf);
	strbuf_addstr(sb, "</p>\n<p class=\"rule\">Baseline: ");
	xml(sb, c->group[0].key);
	strbuf_addstr(sb, ". Rule: ");
	strbuf_reset(&t);
	add_rule(&t, c);
	xml(sb, t.buf);
	strbuf_addstr(sb, ".</p>\n");
	if (c->note) {
		strbuf_addstr(sb, "<p class=\"rule\">Note: ");
		xml(sb, c->note);
		strbuf_addstr(sb, ".</p>\n");
	}

	strbuf_addf(sb, "<h2>%s</h2>\n<table id=\"groups\">\n<tr><th>%s</th><th>runs</th><th>samples</th>"
		    "<th>p50 (&#181;s)</th><th>p99 (&#181;s)</th><th>p99.9 (&#181;s)</th><th>max (&#181;s)</th>"
		    "<th>missed periods</th><th>xruns</th><th>safe frames at 48 kHz, 2 periods</th></tr>\n",
		    c->by == LB_CMP_BY_LABEL ? "Labels" : c->by == LB_CMP_BY_FILE ? "Files" : "Kernels",
		    c->by == LB_CMP_BY_LABEL ? "label" : c->by == LB_CMP_BY_FILE ? "file" : "kernel");
	for (int k = 0; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k];
		char safe[32];

		strbuf_addf(sb, "<tr%s><td>", k ? "" : " class=\"base\"");
		xml(sb, g->key);
		strbuf_addf(sb, "%s</td><td class=\"n\">%d</td><td class=\"n\">%" PRIu64 "</td>",
			    k ? "" : " (baseline)", g->nruns, g->samples);
		for (int m = 0; m < LB_CMP_NMETRICS; m++)
			html_num(sb, g->lat[m]);
		safe_text(safe, sizeof(safe), g->safe);
		strbuf_addf(sb, "<td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td>"
			    "<td class=\"n\">%s</td></tr>\n", g->missed, g->xruns, safe);
	}
	strbuf_addstr(sb, "</table>\n<h2>Decisions</h2>\n<ul class=\"decisions\">\n");
	for (int k = 1; k < c->ngroups; k++) {
		const struct lb_cmp_group *g = &c->group[k];

		strbuf_reset(&t);
		add_figures(&t, c, g);
		strbuf_addstr(sb, "<li><b>");
		xml(sb, g->key);
		strbuf_addstr(sb, "</b>: ");
		xml(sb, t.buf);
		strbuf_reset(&t);
		add_verdict(&t, c, g);
		strbuf_addf(sb, ": <span class=\"%s\">", g->d.regressed ? "regression" : "ok");
		xml(sb, t.buf);
		strbuf_addstr(sb, "</span></li>\n");
	}
	strbuf_addstr(sb, "</ul>\n<h2>Latency histograms</h2>\n");
	group_histograms(c, &svg);
	/* inline SVG needs no XML declaration */
	svg_start = strstr(svg.buf, "<svg");
	strbuf_addstr(sb, svg_start ? svg_start : svg.buf);
	group_timelines(c, sb);
	html_causes(c, sb);

	strbuf_addstr(sb, "<h2>System checks</h2>\n");
	html_checks(c, sb);

	strbuf_addstr(sb, "<h2>Runs</h2>\n<table id=\"runs\">\n<tr><th>file</th><th>label</th><th>group</th>");
	strbuf_addf(sb, "<th>%s (&#181;s)</th><th>max (&#181;s)</th><th>samples</th><th>missed periods</th>"
		    "<th>xruns</th><th>safe frames at 48 kHz</th><th>verdict</th></tr>\n", lb_cmp_metric_name(c->o.metric));
	for (int k = 0; k < c->ngroups; k++)
		for (int i = 0; i < c->group[k].nruns; i++) {
			const struct lb_cmp_run *r = &c->run[c->group[k].runs[i]];
			char safe[32];

			strbuf_addstr(sb, "<tr><td>");
			xml(sb, r->path);
			strbuf_addstr(sb, "</td><td>");
			xml(sb, r->res.hist.label);
			strbuf_addstr(sb, "</td><td>");
			xml(sb, c->group[k].key);
			strbuf_addstr(sb, "</td>");
			html_num(sb, r->res.lat[c->o.metric]);
			html_num(sb, r->res.lat[LB_CMP_MAX]);
			safe_text(safe, sizeof(safe), r->res.safe);
			strbuf_addf(sb, "<td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td>"
				    "<td class=\"n\">%" PRIu64 "</td><td class=\"n\">%s</td><td>",
				    r->res.samples, r->res.missed, r->res.xruns, safe);
			xml(sb, r->res.verdict ? r->res.verdict : "");
			strbuf_addstr(sb, "</td></tr>\n");
		}
	strbuf_addstr(sb, "</table>\n</body>\n</html>\n");
	strbuf_release(&t);
	strbuf_release(&svg);
}
