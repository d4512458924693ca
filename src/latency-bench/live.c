/* live.c - latency-bench --live: the run's counters, percentiles, histogram, running verdict and top cause on an ncurses screen */
#include <curses.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "live.h"
#include "load.h"
#include "stats.h"

#define NAME_MAX_WIDTH 16
#define HIST_MAX_BINS 40   /* 1-2-5 steps from 1 us to beyond HIST_LIMIT_NS */
#define VERDICT_MAX_LINES 3

/* One slot's figures as of the last refresh. */
struct slot_view {
	struct lb_stats stats;
	uint64_t last_ns, missed, xruns;
	int started, fifo;
};

struct lb_live {
	SCREEN *screen;
	int quit;                   /* q was pressed: keep saying so until the run has ended */
	/* allocated at start: a refresh copies, it never allocates */
	struct hist snap;           /* one slot's histogram, copied while its thread adds to it */
	struct hist merged;         /* every slot's copy, merged */
	struct slot_view *slot;     /* r->ncpus entries */
	struct lb_stats all;
	struct lb_verdict verdict;
	char load_desc[64];
	uint64_t bin_edge[HIST_MAX_BINS + 1]; /* ns; bin i is [edge i, edge i+1) */
	uint64_t bin_count[HIST_MAX_BINS];
};

/*
 * Copy a histogram its measuring thread is still adding to, and make the copy consistent
 * with itself: the count is what the buckets hold, and min and max enclose them.
 */
static void hist_snapshot(struct hist *dst, const struct hist *src)
{
	uint64_t n, max;
	unsigned i, first = HIST_BUCKETS, last = 0;

	memcpy(dst, src, sizeof(*dst));
	/* hist_add stores max before the bucket: loaded after the copy, it covers every copied sample */
	max = __atomic_load_n(&src->max_ns, __ATOMIC_RELAXED);
	n = dst->overflow;
	for (i = 0; i < HIST_BUCKETS; i++) {
		if (!dst->buckets[i])
			continue;
		n += dst->buckets[i];
		if (first == HIST_BUCKETS)
			first = i;
		last = i;
	}
	dst->count = n;
	if (!n) {
		dst->min_ns = UINT64_MAX;
		dst->max_ns = 0;
		dst->sum_ns = 0;
		return;
	}
	if (max > dst->max_ns)
		dst->max_ns = max;
	if (first < HIST_BUCKETS) {
		if (dst->min_ns > hist_lower(first))
			dst->min_ns = hist_lower(first);
		if (!dst->overflow && dst->max_ns < hist_lower(last))
			dst->max_ns = hist_lower(last);
	} else if (dst->min_ns > dst->max_ns)
		dst->min_ns = dst->max_ns;
}

static int has_cursor_addressing(void)
{
	char cap[] = "cup";
	const char *cup = tigetstr(cap);

	return cup && cup != (const char *)-1;
}

struct lb_live *lb_live_start(const struct lb_run *r)
{
	struct lb_live *lv;
	SCREEN *sp;

	if (!isatty(STDOUT_FILENO) || r->ncpus <= 0)
		return NULL;
	lv = calloc(1, sizeof(*lv));
	if (!lv)
		return NULL;
	lv->slot = calloc((size_t)r->ncpus, sizeof(*lv->slot));
	if (!lv->slot) {
		free(lv);
		return NULL;
	}
	/* newterm, not initscr: an unknown TERM gives NULL (plain lines) instead of exiting */
	fflush(stdout);
	sp = newterm(NULL, stdout, stdin);
	if (!sp) {
		free(lv->slot);
		free(lv);
		return NULL;
	}
	lv->screen = sp;
	if (!has_cursor_addressing()) {
		/* a dumb terminal would print the screens one after another */
		endwin();
		delscreen(sp);
		free(lv->slot);
		free(lv);
		return NULL;
	}
	/*
	 * cbreak, not raw: Ctrl-C stays SIGINT, which main.c's handler turns into the end of the
	 * run like any other. main.c installed that handler first, so ncurses keeps its hands off
	 * SIGINT and SIGTERM and only takes SIGWINCH (KEY_RESIZE) and SIGTSTP.
	 */
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	if (r->load_kinds || r->load_cmd) {
		if (r->load_cmd && !r->load_kinds)
			snprintf(lv->load_desc, sizeof(lv->load_desc), "%s", r->load_cmd);
		else
			lb_load_describe(r->load_kinds, lv->load_desc, sizeof(lv->load_desc));
	}
	lb_live_update(lv, r, 0);
	return lv;
}

/* Text at (y, x), cut at the right edge; never into the bottom-right cell, which would scroll. */
__attribute__((format(printf, 4, 5)))
static void put(int y, int x, attr_t attr, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (y < 0 || y >= LINES || x >= COLS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = COLS - x - (y == LINES - 1);
	if (n <= 0)
		return;
	if (attr)
		attron(attr);
	mvaddnstr(y, x, buf, n);
	if (attr)
		attroff(attr);
}

static int take(int *left, int want)
{
	int k = want < *left ? want : *left;

	if (k < 0)
		k = 0;
	*left -= k;
	return k;
}

/* A lateness in microseconds, right-aligned in `w`: "-" when there is nothing to show. */
static const char *us_text(char *buf, size_t len, int valid, uint64_t ns)
{
	double us = (double)ns / 1e3;

	if (!valid)
		snprintf(buf, len, "-");
	else if (us < 10000)
		snprintf(buf, len, "%.1f", us);
	else
		snprintf(buf, len, "%.0f", us);
	return buf;
}

/* The table's columns: shown in this order, dropped by `prio` (highest first) when too narrow. */
enum { C_CUR, C_MIN, C_P50, C_P99, C_P999, C_MAX, C_SAMPLES, C_MISSED, C_XRUNS, NCOLS };
static const struct {
	const char *head;
	int width, prio;
} cols[NCOLS] = {
	[C_CUR] = { "current", 7, 3 },  [C_MIN] = { "min", 7, 9 },      [C_P50] = { "p50", 7, 6 },
	[C_P99] = { "p99", 7, 2 },      [C_P999] = { "p99.9", 7, 7 },   [C_MAX] = { "max", 7, 1 },
	[C_SAMPLES] = { "samples", 9, 5 }, [C_MISSED] = { "missed", 6, 8 }, [C_XRUNS] = { "xruns", 5, 4 },
};

/* Which columns fit in `width` after a name column of `namew`. */
static void choose_columns(int width, int namew, int *show)
{
	int used = namew, i, p;

	for (i = 0; i < NCOLS; i++)
		show[i] = 0;
	for (p = 1; p <= NCOLS; p++)
		for (i = 0; i < NCOLS; i++)
			if (cols[i].prio == p && used + 1 + cols[i].width <= width) {
				show[i] = 1;
				used += 1 + cols[i].width;
			}
}

static void table_row(int y, int namew, const int *show, attr_t attr, const char *name,
		      const char *const *cell)
{
	char line[256];
	int len, i;

	len = snprintf(line, sizeof(line), "%-*.*s", namew, namew, name);
	for (i = 0; i < NCOLS && len > 0 && (size_t)len < sizeof(line); i++)
		if (show[i])
			len += snprintf(line + len, sizeof(line) - (size_t)len, " %*s", cols[i].width, cell[i]);
	put(y, 0, attr, "%s", line);
}

static void slot_cells(char buf[NCOLS][24], const char **cell, const struct lb_stats *s, int have_cur,
		       uint64_t cur, uint64_t missed, uint64_t xruns)
{
	const struct lb_percentile *p50 = lb_stats_pct(s, "p50"), *p99 = lb_stats_pct(s, "p99"),
		*p999 = lb_stats_pct(s, "p999");
	int i;

	us_text(buf[C_CUR], 24, have_cur && s->samples, cur);
	us_text(buf[C_MIN], 24, s->samples > 0, s->min_ns);
	us_text(buf[C_P50], 24, p50->valid, p50->value_ns);
	us_text(buf[C_P99], 24, p99->valid, p99->value_ns);
	us_text(buf[C_P999], 24, p999->valid, p999->value_ns);
	us_text(buf[C_MAX], 24, s->samples > 0, s->max_ns);
	snprintf(buf[C_SAMPLES], 24, "%llu", (unsigned long long)s->samples);
	snprintf(buf[C_MISSED], 24, "%llu", (unsigned long long)missed);
	snprintf(buf[C_XRUNS], 24, "%llu", (unsigned long long)xruns);
	for (i = 0; i < NCOLS; i++)
		cell[i] = buf[i];
}

/* "20 us", "1 ms", "2 s" */
static void edge_text(char *buf, size_t len, uint64_t ns, int unit)
{
	static const char *const names[] = { "us", "ms", "s" };
	static const uint64_t div[] = { 1000, 1000000, 1000000000 };

	if (unit)
		snprintf(buf, len, "%llu %s", (unsigned long long)(ns / div[unit - 1]), names[unit - 1]);
	else
		snprintf(buf, len, "%llu", (unsigned long long)(ns / 1000));
}

static int edge_unit(uint64_t ns)
{
	return ns >= 1000000000 ? 3 : ns >= 1000000 ? 2 : 1;
}

/* "10-20 us", "500 us-1 ms", ">= 10 ms" */
static void bin_label(char *buf, size_t len, uint64_t lo, uint64_t hi)
{
	char a[24], b[24];
	int ul = lo ? edge_unit(lo) : edge_unit(hi);

	if (!hi) {
		edge_text(a, sizeof(a), lo, edge_unit(lo));
		snprintf(buf, len, ">= %s", a);
		return;
	}
	edge_text(b, sizeof(b), hi, edge_unit(hi));
	if (lo && ul != edge_unit(hi)) {
		edge_text(a, sizeof(a), lo, ul);
		snprintf(buf, len, "%s-%s", a, b);
		return;
	}
	/* one unit for both ends: the lower in the upper's unit */
	{
		static const uint64_t div[] = { 1000, 1000000, 1000000000 };
		snprintf(buf, len, "%llu-%s", (unsigned long long)(lo / div[edge_unit(hi) - 1]), b);
	}
}

/*
 * Sort the merged snapshot into log-spaced ranges (1-2-5 steps, or decades when those do not
 * fit in `rows`), from the lowest to the highest non-empty one; when even that is too many,
 * the last row takes everything above. Returns the number of rows; edge[n] == 0 marks an
 * open last row.
 */
static int histogram_bins(struct lb_live *lv, int rows)
{
	static const unsigned steps125[] = { 1, 2, 5 };
	uint64_t edges[HIST_MAX_BINS + 1], counts[HIST_MAX_BINS];
	int decades, nedges, first, last, n, i, j;
	unsigned b;

	if (rows <= 0 || !lv->merged.count)
		return 0;
	for (decades = 0; decades < 2; decades++) {
		uint64_t e = 1000;
		nedges = 0;
		edges[nedges++] = 0;
		while (nedges < HIST_MAX_BINS && e < 100 * HIST_LIMIT_NS) {
			for (b = 0; b < (decades ? 1u : 3u) && nedges < HIST_MAX_BINS; b++)
				edges[nedges++] = e * steps125[b];
			e *= 10;
		}
		/* bin i is [edges[i], edges[i+1]); the last one is open */
		memset(counts, 0, sizeof(counts));
		for (i = 0, j = 0; (unsigned)i < HIST_BUCKETS; i++) {
			uint64_t lo;
			if (!lv->merged.buckets[i])
				continue;
			lo = hist_lower((unsigned)i);
			while (j + 1 < nedges && lo >= edges[j + 1])
				j++;
			counts[j] += lv->merged.buckets[i];
		}
		counts[nedges - 1] += lv->merged.overflow;
		for (first = 0; first < nedges && !counts[first]; first++)
			;
		for (last = nedges - 1; last > first && !counts[last]; last--)
			;
		if (last - first + 1 <= rows)
			break;
	}
	n = last - first + 1;
	if (n > rows)
		n = rows;
	for (i = 0; i < n; i++) {
		lv->bin_edge[i] = edges[first + i];
		lv->bin_count[i] = counts[first + i];
	}
	lv->bin_edge[n] = first + n < nedges ? edges[first + n] : 0;
	if (first + n <= last) {
		/* the rest goes into the last row, open at the top */
		for (i = first + n; i <= last; i++)
			lv->bin_count[n - 1] += counts[i];
		lv->bin_edge[n] = 0;
	}
	return n;
}

/* The histogram in at most `rows` lines at `y`; returns the lines it drew. */
static int draw_histogram(struct lb_live *lv, const struct lb_run *r, int y, int rows)
{
	uint64_t maxc = 0;
	int n, i, barw;

	put(y, 0, A_BOLD, "histogram%s (log-scaled bars)",
	    r->ncpus > 1 ? (strcmp(r->plane, "timer") == 0 ? " of all CPUs" : " of all streams") : "");
	n = histogram_bins(lv, rows - 1);
	if (!n) {
		if (rows > 1)
			put(y + 1, 2, 0, "no samples yet");
		return rows > 1 ? 2 : 1;
	}
	for (i = 0; i < n; i++)
		if (lv->bin_count[i] > maxc)
			maxc = lv->bin_count[i];
	/* label (13) + count (10) + " |" */
	barw = COLS - 1 - 13 - 10 - 2;
	for (i = 0; i < n; i++) {
		char label[48], bar[256];
		int len = 0;

		bin_label(label, sizeof(label), lv->bin_edge[i], lv->bin_edge[i + 1]);
		if (lv->bin_count[i] && barw > 0) {
			len = (int)lrint(barw * log10(1.0 + (double)lv->bin_count[i]) / log10(1.0 + (double)maxc));
			if (len < 1)
				len = 1;
			if (len > (int)sizeof(bar) - 1)
				len = (int)sizeof(bar) - 1;
			memset(bar, '#', (size_t)len);
		}
		bar[len] = '\0';
		put(y + 1 + i, 0, 0, "%13s %9llu |%s", label, (unsigned long long)lv->bin_count[i], bar);
	}
	return 1 + n;
}

/*
 * Word-wrap `text` into at most `rows` lines of the screen's width, the first after `prefix`
 * and the others indented; draws them at `y` when `draw` is set. Returns the lines it takes.
 */
static int wrapped(int draw, int y, int rows, const char *prefix, const char *text)
{
	const char *p = text;
	int width = COLS - 1, used = 0, plen = (int)strlen(prefix);

	while (*p && used < rows) {
		int room = width - (used ? 2 : plen), len = (int)strlen(p), cut = len;

		if (room <= 0)
			room = 1;
		if (len > room) {
			for (cut = room; cut > 0 && p[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = room;
		}
		if (draw && used)
			put(y + used, 0, 0, "  %.*s", cut, p);
		else if (draw)
			put(y, 0, A_BOLD, "%s%.*s", prefix, cut, p);
		used++;
		p += cut;
		while (*p == ' ')
			p++;
	}
	if (!used && rows > 0) {
		if (draw)
			put(y, 0, A_BOLD, "%s", prefix);
		used = 1;
	}
	return used;
}

/* The tracer's side ranks the causes on this thread, the reporter, just before: no lock. */
void lb_live_cause(const struct lb_run *r, char *buf, size_t len)
{
	const struct lb_causes *c = &r->causes;
	const struct lb_cause *k = &c->cause[0];

	if (!r->causes_wanted) {
		snprintf(buf, len, "cause analysis unavailable: --no-causes");
	} else if (!c->available && c->unavailable[0]) {
		snprintf(buf, len, "cause analysis unavailable: %s", c->unavailable);
	} else if (!c->available) {
		snprintf(buf, len, strcmp(r->plane, "timer") == 0 ? "cause analysis starting"
								  : "cause analysis unavailable");
	} else if (c->ncauses <= 0) {
		snprintf(buf, len, "no late wakeup yet (later than %.1f us)", c->threshold_ns / 1e3);
	} else {
		char cpu[24] = "";

		if (k->cpu >= 0)
			snprintf(cpu, sizeof(cpu), " on CPU %d", k->cpu);
		snprintf(buf, len, "top cause: %s %s%s, %.1f us at worst, %llu late wakeup%s", lb_cause_kind_name(k->kind),
			 k->name, cpu, k->max_ns / 1e3, (unsigned long long)k->count, k->count == 1 ? "" : "s");
	}
}

static void draw(struct lb_live *lv, const struct lb_run *r, double elapsed_s)
{
	static const char verdict_prefix[] = "verdict so far: ";
	char cellbuf[NCOLS][24], when[64], sched[48], period[96];
	const char *cell[NCOLS];
	int show[NCOLS], left = LINES, y = 0, namew = 4, nrows, i, started = 0, fifo = 0;
	int n_params, n_verdict, n_table, gap1, gap2, gap3, n_hist, shown, vlines, n_cause;
	char cause[LB_CAUSE_NAME + 320];

	for (i = 0; i < r->ncpus; i++) {
		int w = (int)strlen(r->cpu[i].name);
		if (w > namew)
			namew = w;
		started += lv->slot[i].started;
		fifo += lv->slot[i].started && lv->slot[i].fifo;
	}
	if (namew > NAME_MAX_WIDTH)
		namew = NAME_MAX_WIDTH;
	nrows = r->ncpus + (r->ncpus > 1);
	vlines = wrapped(0, 0, VERDICT_MAX_LINES, verdict_prefix, lv->verdict.summary);

	/* what gets lines when the terminal is short, most important first */
	take(&left, 1); /* title */
	take(&left, 1); /* footer */
	n_params = take(&left, 1);
	n_verdict = take(&left, 1);
	n_table = left >= 2 ? take(&left, 1 + nrows) : 0; /* a header alone says nothing */
	n_verdict += take(&left, vlines - 1);
	n_cause = take(&left, 1);
	gap1 = take(&left, 1);
	gap2 = take(&left, 1);
	n_hist = 0;
	if (left >= 3) {
		int bins = histogram_bins(lv, left - 1);
		n_hist = take(&left, 1 + (bins ? bins : 1));
	}
	gap3 = take(&left, 1);

	erase();
	put(y++, 0, A_BOLD, "latency-bench: %s plane, kernel %s, %s", r->plane, r->sys.kernel_release,
	    r->sys.preemption_model);
	if (n_params) {
		if (started == 0)
			snprintf(sched, sizeof(sched), "starting");
		else if (fifo == started)
			snprintf(sched, sizeof(sched), "SCHED_FIFO %d", r->priority);
		else
			snprintf(sched, sizeof(sched), "not SCHED_FIFO (%d of %d threads)", fifo, started);
		if (r->rate && r->period)
			snprintf(period, sizeof(period), "period %u frames at %u Hz (%.1f us)", r->period, r->rate,
				 r->interval_ns / 1e3);
		else
			snprintf(period, sizeof(period), "interval %.1f us", r->interval_ns / 1e3);
		snprintf(when, sizeof(when), "%.0f s / %.0f s", elapsed_s, r->duration_s);
		/* the figure that moves first: on a narrow screen the fixed ones are cut */
		put(y++, 0, 0, "%s, %s, %s", when, sched, period);
	}
	if (gap1)
		y++;
	if (n_table) {
		const char *head[NCOLS];
		choose_columns(COLS - 1, namew, show);
		for (i = 0; i < NCOLS; i++)
			head[i] = cols[i].head;
		table_row(y++, namew, show, A_BOLD, "us", head);
		shown = 0;
		if (r->ncpus > 1 && shown < n_table - 1) {
			slot_cells(cellbuf, cell, &lv->all, 0, 0, lb_run_missed(r), lb_run_xruns(r));
			table_row(y++, namew, show, 0, "all", cell);
			shown++;
		}
		for (i = 0; i < r->ncpus && shown < n_table - 1; i++, shown++) {
			const struct slot_view *s = &lv->slot[i];
			if (shown == n_table - 2 && i < r->ncpus - 1) {
				put(y++, 0, 0, "... %d more", r->ncpus - i);
				break;
			}
			slot_cells(cellbuf, cell, &s->stats, 1, s->last_ns, s->missed, s->xruns);
			table_row(y++, namew, show, 0, r->cpu[i].name, cell);
		}
	}
	if (gap2)
		y++;
	if (n_hist)
		y += draw_histogram(lv, r, y, n_hist);
	if (gap3 && n_hist)
		y++;
	if (n_verdict)
		y += wrapped(1, y, n_verdict, verdict_prefix, lv->verdict.summary);
	if (n_cause) {
		lb_live_cause(r, cause, sizeof(cause));
		put(y++, 0, 0, "%s", cause);
	}
	put(LINES - 1, 0, A_REVERSE, lv->quit ? " stopping ... " : " q quit ");
	refresh();
}

int lb_live_update(struct lb_live *lv, const struct lb_run *r, double elapsed_s)
{
	int ch, i;

	while ((ch = getch()) != ERR) {
		if (ch == 'q' || ch == 'Q')
			lv->quit = 1;
		else if (ch == KEY_RESIZE)
			clearok(curscr, TRUE); /* repaint everything at the new size */
	}

	hist_init(&lv->merged);
	for (i = 0; i < r->ncpus; i++) {
		const struct lb_cpu *c = &r->cpu[i];
		struct slot_view *s = &lv->slot[i];

		s->started = __atomic_load_n(&c->started, __ATOMIC_RELAXED);
		s->fifo = __atomic_load_n(&c->fifo, __ATOMIC_RELAXED);
		s->last_ns = __atomic_load_n(&c->last_ns, __ATOMIC_RELAXED);
		s->missed = __atomic_load_n(&c->missed, __ATOMIC_RELAXED);
		s->xruns = __atomic_load_n(&c->xruns, __ATOMIC_RELAXED);
		hist_snapshot(&lv->snap, &c->hist);
		lb_stats_from_hist(&s->stats, &lv->snap);
		hist_merge(&lv->merged, &lv->snap);
	}
	lb_stats_from_hist(&lv->all, &lv->merged);
	lb_verdict_compute(&lv->verdict, lv->merged.count, lv->merged.max_ns, elapsed_s,
			   lv->load_desc[0] ? lv->load_desc : NULL, r->dsp_load, lb_run_measured_period(r, NULL),
			   r->audio.rate);
	draw(lv, r, elapsed_s);
	return lv->quit;
}

void lb_live_end(struct lb_live *lv)
{
	if (!lv)
		return;
	endwin();
	delscreen(lv->screen);
	free(lv->slot);
	free(lv);
	fflush(stdout);
}
