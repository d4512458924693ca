/* plot.c - latency-bench result files as one SVG latency histogram with a log count axis */
#include "plot.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cause.h"
#include "result.h"
#include "util.h"

#define MAX_BINS 500
#define LABEL_MAX_CHARS 60
/* text cannot be measured without a script: generous advances of 12px sans-serif (DejaVu Sans) */
#define CHAR_W 6.6       /* an average character of a legend line */
#define DIGIT_W 7.7      /* a digit */
#define Y_FLOOR (-0.5)   /* log10 of the axis floor: half a decade under 1, so 1 sample stays visible */
#define MAX_DECADES 20   /* 10^20 > UINT64_MAX */

static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
	"#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
};
/* after each round of the palette the curves get another dash pattern */
static const char *const dashes[] = { NULL, "8,4", "2,3", "8,3,2,3" };

/* The smallest 1, 2 or 5 x 10^k (and 2.5 x 10^k with `quarter`) that is >= v; at least 1. */
static uint64_t nice_ns(uint64_t v, int quarter)
{
	for (uint64_t p = 1;; p *= 10) {
		if (p >= v)
			return p;
		if (2 * p >= v)
			return 2 * p;
		if (quarter && p >= 10 && p / 2 * 5 >= v)
			return p / 2 * 5;
		if (5 * p >= v)
			return 5 * p;
	}
}

/* ns as µs with the decimals that the step `unit_ns` needs ("2.5", "100", "0.02") */
static void fmt_us(char *buf, size_t len, uint64_t ns, uint64_t unit_ns)
{
	int dec = unit_ns % 1000 == 0 ? 0 : unit_ns % 100 == 0 ? 1 : unit_ns % 10 == 0 ? 2 : 3;
	uint64_t scale = dec == 1 ? 100 : dec == 2 ? 10 : 1;

	if (!dec)
		snprintf(buf, len, "%" PRIu64, ns / 1000);
	else
		snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64, ns / 1000, dec, ns % 1000 / scale);
}

/* Next code point of UTF-8 `s` into *cp (U+FFFD for a bad sequence); bytes consumed (>= 1). */
static size_t utf8_next(const unsigned char *s, unsigned *cp)
{
	unsigned c = s[0], need, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, min = 0x80, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, min = 0x800, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, min = 0x10000, c &= 0x07;
	else
		goto bad;
	for (unsigned i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			goto bad;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return need + 1;
bad:
	*cp = 0xfffd;
	return 1;
}

static void add_utf8(struct strbuf *sb, unsigned cp)
{
	if (cp < 0x80) {
		strbuf_addch(sb, (int)cp);
	} else if (cp < 0x800) {
		strbuf_addch(sb, (int)(0xc0 | cp >> 6));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		strbuf_addch(sb, (int)(0xe0 | cp >> 12));
		strbuf_addch(sb, (int)(0x80 | (cp >> 6 & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3f)));
	} else {
		strbuf_addch(sb, (int)(0xf0 | cp >> 18));
		strbuf_addch(sb, (int)(0x80 | (cp >> 12 & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | (cp >> 6 & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3f)));
	}
}

/*
 * `s` as XML character data or attribute value, at most `max_chars` characters (then "…").
 * Whatever XML 1.0 cannot hold (bad UTF-8, control characters, U+FFFE/U+FFFF) becomes U+FFFD.
 */
void lb_plot_add_xml(struct strbuf *sb, const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	while (*p) {
		unsigned cp;

		if (chars++ == max_chars) {
			add_utf8(sb, 0x2026);
			return;
		}
		p += utf8_next(p, &cp);
		switch (cp) {
		case '&': strbuf_addstr(sb, "&amp;"); break;
		case '<': strbuf_addstr(sb, "&lt;"); break;
		case '>': strbuf_addstr(sb, "&gt;"); break;
		case '"': strbuf_addstr(sb, "&quot;"); break;
		case '\'': strbuf_addstr(sb, "&apos;"); break;
		case '\t': case '\n': case '\r': strbuf_addch(sb, ' '); break;
		default:
			if (cp < 0x20 || cp == 0xfffe || cp == 0xffff)
				cp = 0xfffd;
			add_utf8(sb, cp);
		}
	}
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

struct frame {
	double left, top, w, h;  /* the plot area */
	uint64_t xmax_ns;
	int top_dec;             /* the y axis ends at 10^top_dec */
};

static double x_of(const struct frame *f, uint64_t ns)
{
	if (ns > f->xmax_ns)
		ns = f->xmax_ns;
	return f->left + (double)ns / (double)f->xmax_ns * f->w;
}

static double y_of(const struct frame *f, double count)
{
	double l = count >= 1 ? log10(count) : Y_FLOOR;

	return f->top + f->h - (l - Y_FLOOR) / (f->top_dec - Y_FLOOR) * f->h;
}

static void add_curve(struct strbuf *sb, const struct frame *f, const struct lb_series *s,
		      const uint64_t *c, size_t nbins, uint64_t bin_ns, int i)
{
	const char *dash = dashes[(size_t)i / ARRAY_SIZE(palette) % ARRAY_SIZE(dashes)];

	strbuf_addf(sb, "<polyline stroke=\"%s\"", palette[(size_t)i % ARRAY_SIZE(palette)]);
	if (dash)
		strbuf_addf(sb, " stroke-dasharray=\"%s\"", dash);
	strbuf_addf(sb, " points=\"%.1f,%.1f", x_of(f, 0), y_of(f, (double)c[0]));
	for (size_t b = 1; b < nbins; b++) {
		double x = x_of(f, b * bin_ns);

		if (c[b] == c[b - 1])
			continue;
		strbuf_addf(sb, " %.1f,%.1f %.1f,%.1f", x, y_of(f, (double)c[b - 1]), x,
			    y_of(f, (double)c[b]));
	}
	strbuf_addf(sb, " %.1f,%.1f\"><title>", x_of(f, f->xmax_ns),
		    y_of(f, (double)c[nbins - 1]));
	lb_plot_add_xml(sb, s->label, LABEL_MAX_CHARS);
	strbuf_addstr(sb, "</title></polyline>\n");
}

/* " (max 118.3 &#181;s)": the part of a legend line after the label */
static void add_legend_suffix(struct strbuf *sb, const struct lb_series *s)
{
	if (s->max_us >= 0)
		strbuf_addf(sb, " (max %.1f &#181;s)", s->max_us);
	else
		strbuf_addstr(sb, " (no samples)");
}

static void add_legend(struct strbuf *sb, const struct frame *f, const struct lb_series *s, int n, const char *id)
{
	/* the box stays inside the plot: long labels are cut to what fits */
	size_t fit = f->w > 70 + 20 * CHAR_W ? (size_t)((f->w - 70) / CHAR_W) : 20;
	struct strbuf suffix = STRBUF_INIT;
	size_t chars = 0, *label_max = xcalloc((size_t)n, sizeof(*label_max));
	double w, h, x, y;

	for (int i = 0; i < n; i++) {
		size_t len = utf8_chars(s[i].label), c;

		strbuf_reset(&suffix);
		add_legend_suffix(&suffix, &s[i]);
		c = strlen(suffix.buf) - 5; /* the suffix is ASCII but for "&#181;", one character */
		if (s[i].max_us < 0)
			c += 5;
		label_max[i] = fit > c + 8 ? fit - c : 8;
		if (label_max[i] > LABEL_MAX_CHARS)
			label_max[i] = LABEL_MAX_CHARS;
		c += len > label_max[i] ? label_max[i] + 1 : len;
		if (c > chars)
			chars = c;
	}
	w = 10 + 28 + 6 + (double)chars * CHAR_W + 10;
	h = 8 + 18.0 * n + 4;
	x = f->left + f->w - 8 - w;
	if (x < f->left + 8)
		x = f->left + 8;
	y = f->top + 8;
	strbuf_addf(sb, "<g id=\"%s\">\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		    "fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#999999\"/>\n", id, x, y, w, h);
	for (int i = 0; i < n; i++) {
		const char *dash = dashes[(size_t)i / ARRAY_SIZE(palette) % ARRAY_SIZE(dashes)];
		double ly = y + 8 + 18.0 * i + 9;

		strbuf_addf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			    "stroke-width=\"2\"", x + 10, ly, x + 38, ly,
			    palette[(size_t)i % ARRAY_SIZE(palette)]);
		if (dash)
			strbuf_addf(sb, " stroke-dasharray=\"%s\"", dash);
		strbuf_addf(sb, "/>\n<text x=\"%.1f\" y=\"%.1f\">", x + 44, ly + 4);
		lb_plot_add_xml(sb, s[i].label, label_max[i]);
		add_legend_suffix(sb, &s[i]);
		strbuf_addstr(sb, "</text>\n");
	}
	strbuf_addstr(sb, "</g>\n");
	strbuf_release(&suffix);
	free(label_max);
}

static void add_y_axis(struct strbuf *sb, const struct frame *f)
{
	double dec_px = f->h / (f->top_dec - Y_FLOOR);
	double bottom = f->top + f->h;
	int every = 1;

	while (dec_px * every < 16)
		every++;
	if (dec_px >= 40) {
		strbuf_addstr(sb, "<g stroke=\"#eeeeee\">\n");
		for (int k = 0; k < f->top_dec; k++)
			for (int m = 2; m <= 9; m++) {
				double y = y_of(f, m * pow(10, k));

				strbuf_addf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
					    f->left, y, f->left + f->w, y);
			}
		strbuf_addstr(sb, "</g>\n");
	}
	strbuf_addstr(sb, "<g stroke=\"#cccccc\">\n");
	for (int k = 0; k <= f->top_dec; k++) {
		double y = y_of(f, pow(10, k));

		strbuf_addf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			    f->left - 5, y, f->left + f->w, y);
	}
	strbuf_addstr(sb, "</g>\n<g text-anchor=\"end\">\n");
	if (dec_px * -Y_FLOOR >= 14)
		strbuf_addf(sb, "<text x=\"%.1f\" y=\"%.1f\">0</text>\n", f->left - 8, bottom + 4);
	for (int k = 0; k <= f->top_dec; k++) {
		if (k % every)
			continue;
		strbuf_addf(sb, "<text x=\"%.1f\" y=\"%.1f\">1", f->left - 8, y_of(f, pow(10, k)) + 4);
		for (int z = 0; z < k; z++)
			strbuf_addch(sb, '0');
		strbuf_addstr(sb, "</text>\n");
	}
	strbuf_addstr(sb, "</g>\n");
}

static void add_x_axis(struct strbuf *sb, const struct frame *f, uint64_t step_ns)
{
	double bottom = f->top + f->h, tick_px = x_of(f, step_ns) - x_of(f, 0);
	uint64_t every = 1;
	char num[48];

	strbuf_addstr(sb, "<g stroke=\"#cccccc\">\n");
	for (uint64_t t = 0; t <= f->xmax_ns; t += step_ns)
		strbuf_addf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			    x_of(f, t), f->top, x_of(f, t), bottom + 5);
	/* labels on every tick while they fit, else on every 2nd, 3rd, ... */
	fmt_us(num, sizeof(num), f->xmax_ns / step_ns * step_ns, step_ns);
	while (every * tick_px < (double)strlen(num) * DIGIT_W + 8)
		every++;
	strbuf_addstr(sb, "</g>\n<g text-anchor=\"middle\">\n");
	for (uint64_t t = 0; t <= f->xmax_ns; t += step_ns * every) {
		fmt_us(num, sizeof(num), t, step_ns);
		strbuf_addf(sb, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x_of(f, t), bottom + 18, num);
	}
	strbuf_addstr(sb, "</g>\n");
}

static void render(struct strbuf *sb, const struct lb_plot_opts *o, const struct lb_series *s, int n)
{
	const char *title = o->title && *o->title ? o->title : "Latency histogram";
	int width = o->width ? o->width : LB_PLOT_DEFAULT_WIDTH;
	int height = o->height ? o->height : LB_PLOT_DEFAULT_HEIGHT;
	uint64_t max_ns = 0, step_ns, bin_ns, maxcount = 0, p10 = 10;
	struct frame f;
	size_t nbins;
	char num[48];
	uint64_t **bins = xcalloc((size_t)n, sizeof(*bins));

	for (int i = 0; i < n; i++) {
		double m = s[i].max_us < LB_PLOT_MAX_XMAX_US ? s[i].max_us : LB_PLOT_MAX_XMAX_US;

		if (m > 0 && ceil(m * 1000.0) > (double)max_ns)
			max_ns = (uint64_t)ceil(m * 1000.0);
	}
	if (o->xmax_us > 0) {
		f.xmax_ns = (uint64_t)llround(o->xmax_us * 1000.0);
		if (!f.xmax_ns)
			f.xmax_ns = 1;
		step_ns = nice_ns((f.xmax_ns + 9) / 10, 1);
	} else {
		if (!max_ns)
			max_ns = 99999; /* nothing measured: 0..100 µs */
		step_ns = nice_ns((max_ns + 9) / 10, 1);
		f.xmax_ns = (max_ns / step_ns + 1) * step_ns; /* strictly above: the max stays in view */
	}
	bin_ns = nice_ns((f.xmax_ns + MAX_BINS - 1) / MAX_BINS, 0);
	nbins = (size_t)((f.xmax_ns + bin_ns - 1) / bin_ns);

	for (int i = 0; i < n; i++) {
		bins[i] = xcalloc(nbins, sizeof(*bins[i]));
		for (size_t b = 0; b < s[i].nb; b++) {
			uint64_t idx = s[i].b[b].lo / bin_ns;

			if (idx >= nbins)
				break;
			if (__builtin_add_overflow(bins[i][idx], s[i].b[b].count, &bins[i][idx]))
				bins[i][idx] = UINT64_MAX;
		}
		for (size_t b = 0; b < nbins; b++)
			if (bins[i][b] > maxcount)
				maxcount = bins[i][b];
	}
	for (f.top_dec = 1; f.top_dec < MAX_DECADES && maxcount >= p10; f.top_dec++)
		p10 *= 10;

	f.left = 44 + (f.top_dec + 1) * DIGIT_W;
	f.top = 44;
	f.w = width - f.left - 24;
	f.h = height - f.top - 56;
	if (f.w < 20)
		f.w = 20;
	if (f.h < 20)
		f.h = 20;

	strbuf_addf(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
		    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n<title>",
		    width, height, width, height);
	lb_plot_add_xml(sb, title, 200);
	strbuf_addf(sb, "</title>\n<defs><clipPath id=\"plot-area\"><rect x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n"
		    "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
		    "<text x=\"%.1f\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" "
		    "font-weight=\"bold\">", f.left, f.top - 1, f.w, f.h + 2, width, height,
		    f.left + f.w / 2);
	lb_plot_add_xml(sb, title, 200);
	strbuf_addstr(sb, "</text>\n");

	add_y_axis(sb, &f);
	add_x_axis(sb, &f, step_ns);

	strbuf_addstr(sb, "<g id=\"curves\" fill=\"none\" stroke-width=\"1.5\" "
		      "clip-path=\"url(#plot-area)\">\n");
	for (int i = 0; i < n; i++)
		add_curve(sb, &f, &s[i], bins[i], nbins, bin_ns, i);
	strbuf_addstr(sb, "</g>\n");

	strbuf_addf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
		    "stroke=\"#000000\"/>\n", f.left, f.top, f.w, f.h);
	strbuf_addf(sb, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">Latency (&#181;s)</text>\n",
		    f.left + f.w / 2, height - 14);
	fmt_us(num, sizeof(num), bin_ns, bin_ns);
	strbuf_addf(sb, "<text x=\"22\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 22 %.1f)\">"
		    "Number of samples (per %s &#181;s bin)</text>\n",
		    f.top + f.h / 2, f.top + f.h / 2, num);
	add_legend(sb, &f, s, n, "legend");
	strbuf_addstr(sb, "</svg>\n");
	for (int i = 0; i < n; i++)
		free(bins[i]);
	free(bins);
}

/* Bad options: 0, or -EINVAL with err set. */
static int check_opts(const struct lb_plot_opts *o, struct strbuf *err)
{
	if ((o->width && (o->width < LB_PLOT_MIN_SIZE || o->width > LB_PLOT_MAX_SIZE)) ||
	    (o->height && (o->height < LB_PLOT_MIN_SIZE || o->height > LB_PLOT_MAX_SIZE))) {
		strbuf_addf(err, "error: plot size %dx%d is out of range (%d..%d pixels)",
			    o->width, o->height, LB_PLOT_MIN_SIZE, LB_PLOT_MAX_SIZE);
		return -EINVAL;
	}
	if (!isfinite(o->xmax_us) || o->xmax_us < 0 || o->xmax_us > LB_PLOT_MAX_XMAX_US) {
		strbuf_addf(err, "error: latency axis end is out of range (0 for auto, else up to %.0f us)",
			    LB_PLOT_MAX_XMAX_US);
		return -EINVAL;
	}
	return 0;
}

/* What rendering needs, checked before any file is read: a series, and options that make sense. */
static int check_call(int n, const struct lb_plot_opts *o, struct strbuf *err)
{
	if (n <= 0) {
		strbuf_addstr(err, "error: no result files to plot");
		return -EINVAL;
	}
	return check_opts(o, err) ? -EINVAL : 0;
}

int lb_plot_render(const struct lb_series *s, int n, const struct lb_plot_opts *o,
		   struct strbuf *svg, struct strbuf *err)
{
	static const struct lb_plot_opts defaults;
	int ret = check_call(n, o ? o : &defaults, err);

	if (!ret)
		render(svg, o ? o : &defaults, s, n);
	return ret;
}

int lb_plot_files(const char *const *paths, int n, const struct lb_plot_opts *o,
		  struct strbuf *svg, struct strbuf *err)
{
	static const struct lb_plot_opts defaults;
	struct lb_result *res;
	struct lb_series *s;
	int ret = check_call(n, o ? o : &defaults, err);

	if (ret)
		return ret;
	res = xcalloc((size_t)n, sizeof(*res));
	s = xcalloc((size_t)n, sizeof(*s));
	for (int i = 0; i < n && !ret; i++) {
		ret = lb_result_read(paths[i], LB_NEED_HISTOGRAM, &res[i], err);
		s[i] = res[i].hist;
	}
	if (!ret)
		ret = lb_plot_render(s, n, o, svg, err);
	for (int i = 0; i < n; i++)
		lb_result_release(&res[i]);
	free(res);
	free(s);
	return ret;
}

/* ---------------------------------------------------------------------------------------- */
/* latency over the run's time */

#define SPIKE_LABEL_CHARS 40
#define SPIKE_CHAR_W 6.1   /* an average character at 11px */

/* The smallest 1, 2 or 5 x 10^k that is >= v (v > 0). */
static double nice_step(double v)
{
	double p = pow(10, floor(log10(v)));

	for (int i = 0; i < 2; i++, p *= 10) {
		if (p >= v * (1 - 1e-9))
			return p;
		if (2 * p >= v * (1 - 1e-9))
			return 2 * p;
		if (5 * p >= v * (1 - 1e-9))
			return 5 * p;
	}
	return p;
}

/* a tick's number with the decimals its step needs: "0.5", "10", "2.25" is not a tick */
static void fmt_tick(char *buf, size_t len, double v, double step)
{
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	if (dec > 6)
		dec = 6;
	snprintf(buf, len, "%.*f", dec, v);
	/* "0.5", "1", "1.5": no trailing zeros */
	if (strchr(buf, '.')) {
		char *e = buf + strlen(buf) - 1;

		while (*e == '0')
			*e-- = '\0';
		if (*e == '.')
			*e = '\0';
	}
}

struct tframe {
	double left, top, w, h;
	double xmax_s, ymax_us;
};

static double tx(const struct tframe *f, double s)
{
	if (s > f->xmax_s)
		s = f->xmax_s;
	return f->left + (s < 0 ? 0 : s) / f->xmax_s * f->w;
}

static double ty(const struct tframe *f, double us)
{
	if (us > f->ymax_us)
		us = f->ymax_us;
	return f->top + f->h - (us < 0 ? 0 : us) / f->ymax_us * f->h;
}

static void add_time_axes(struct strbuf *sb, const struct tframe *f, double xstep, double ystep)
{
	double bottom = f->top + f->h, tick_px = xstep / f->xmax_s * f->w;
	int every = 1, nx = (int)llround(f->xmax_s / xstep), ny = (int)llround(f->ymax_us / ystep);
	char num[48];

	strbuf_addstr(sb, "<g stroke=\"#cccccc\">\n");
	for (int i = 0; i <= ny; i++)
		strbuf_addf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", f->left - 5,
			    ty(f, i * ystep), f->left + f->w, ty(f, i * ystep));
	for (int i = 0; i <= nx; i++)
		strbuf_addf(sb, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", tx(f, i * xstep), f->top,
			    tx(f, i * xstep), bottom + 5);
	strbuf_addstr(sb, "</g>\n<g text-anchor=\"end\">\n");
	for (int i = 0; i <= ny; i++) {
		fmt_tick(num, sizeof(num), i * ystep, ystep);
		strbuf_addf(sb, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", f->left - 8, ty(f, i * ystep) + 4, num);
	}
	fmt_tick(num, sizeof(num), nx * xstep, xstep);
	while (every * tick_px < (double)strlen(num) * DIGIT_W + 8)
		every++;
	strbuf_addstr(sb, "</g>\n<g text-anchor=\"middle\">\n");
	for (int i = 0; i <= nx; i += every) {
		fmt_tick(num, sizeof(num), i * xstep, xstep);
		strbuf_addf(sb, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", tx(f, i * xstep), bottom + 18, num);
	}
	strbuf_addstr(sb, "</g>\n");
}

/* A step curve; a step without samples breaks it. */
static void add_time_curve(struct strbuf *sb, const struct tframe *f, const struct lb_timeline *t, int i)
{
	const char *dash = dashes[(size_t)i / ARRAY_SIZE(palette) % ARRAY_SIZE(dashes)];
	int open = 0;

	strbuf_addf(sb, "<path stroke=\"%s\"", palette[(size_t)i % ARRAY_SIZE(palette)]);
	if (dash)
		strbuf_addf(sb, " stroke-dasharray=\"%s\"", dash);
	strbuf_addstr(sb, " d=\"");
	for (size_t k = 0; k < t->n; k++) {
		double v = t->max_us[k];

		if (isnan(v)) {
			open = 0;
			continue;
		}
		if (open)
			strbuf_addf(sb, " V%.1f", ty(f, v));
		else
			strbuf_addf(sb, "%sM%.1f,%.1f", sb->buf[sb->len - 1] == '"' ? "" : " ", tx(f, k * t->step_s), ty(f, v));
		strbuf_addf(sb, " H%.1f", tx(f, (k + 1) * t->step_s));
		open = 1;
	}
	strbuf_addstr(sb, "\"><title>");
	lb_plot_add_xml(sb, t->label, LABEL_MAX_CHARS);
	strbuf_addstr(sb, "</title></path>\n");
}

struct box {
	double x0, y0, x1, y1;
};

static int overlaps(const struct box *a, const struct box *b)
{
	return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

struct spike_ref {
	int series, k;
	double latency_us;
};

static int spike_by_latency(const void *a, const void *b)
{
	const struct spike_ref *x = a, *y = b;

	if (x->latency_us != y->latency_us)
		return x->latency_us < y->latency_us ? 1 : -1;
	return x->series != y->series ? x->series - y->series : x->k - y->k;
}

/* "irq 24 i915 (0000:00:02.0)"; "no cause found" */
static void spike_cause(struct strbuf *sb, const struct lb_result_spike *k)
{
	if (k->kind < 0) {
		strbuf_addstr(sb, "no cause found");
		return;
	}
	strbuf_addstr(sb, lb_cause_kind_name((enum lb_cause_kind)k->kind));
	if (k->name && *k->name) {
		strbuf_addch(sb, ' ');
		strbuf_addstr(sb, k->name);
	}
}

/* Each spike a marker; labels for the worst first, where one fits beside its marker. */
static void add_spikes(struct strbuf *sb, const struct tframe *f, const struct lb_timeline *t, int n,
		       const struct box *legend)
{
	struct spike_ref *ref;
	struct box *placed;
	struct strbuf cause = STRBUF_INIT, labels = STRBUF_INIT;
	int nref = 0, nplaced = 0;

	for (int i = 0; i < n; i++)
		nref += t[i].nspikes;
	if (!nref)
		return;
	ref = xcalloc((size_t)nref, sizeof(*ref));
	placed = xcalloc((size_t)nref + 1, sizeof(*placed));
	placed[nplaced++] = *legend;
	nref = 0;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < t[i].nspikes; k++)
			ref[nref++] = (struct spike_ref){ i, k, t[i].spike[k].latency_us };
	qsort(ref, (size_t)nref, sizeof(*ref), spike_by_latency);
	strbuf_addstr(sb, "<g id=\"spikes\" stroke=\"#000000\" stroke-width=\"1\">\n");
	for (int j = 0; j < nref; j++) {
		const struct lb_result_spike *k = &t[ref[j].series].spike[ref[j].k];
		double cx = tx(f, k->at_s), cy = ty(f, k->latency_us);
		const char *colour = palette[(size_t)ref[j].series % ARRAY_SIZE(palette)];
		size_t chars;
		double w;

		strbuf_reset(&cause);
		spike_cause(&cause, k);
		strbuf_addf(sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>", cx, cy, colour);
		lb_plot_add_xml(sb, t[ref[j].series].label, LABEL_MAX_CHARS);
		strbuf_addf(sb, ": %.1f &#181;s at %.2f s", k->latency_us, k->at_s);
		if (k->cpu >= 0)
			strbuf_addf(sb, " on CPU %d", k->cpu);
		strbuf_addstr(sb, ": ");
		lb_plot_add_xml(sb, cause.buf, SIZE_MAX);
		strbuf_addstr(sb, "</title></circle>\n");

		chars = utf8_chars(cause.buf);
		if (chars > SPIKE_LABEL_CHARS)
			chars = SPIKE_LABEL_CHARS + 1;
		w = (double)chars * SPIKE_CHAR_W;
		/* right and above, left and above, right and below, left and below */
		for (int pos = 0; pos < 4; pos++) {
			int left = pos % 2, below = pos / 2;
			double x = left ? cx - 7 - w : cx + 7, base = below ? cy + 16 : cy - 7;
			struct box b = { x, base - 11, x + w, base + 3 };
			int free_spot = b.x0 >= f->left && b.x1 <= f->left + f->w && b.y0 >= f->top && b.y1 <= f->top + f->h;

			for (int p = 0; free_spot && p < nplaced; p++)
				free_spot = !overlaps(&b, &placed[p]);
			if (!free_spot)
				continue;
			placed[nplaced++] = b;
			strbuf_addf(&labels, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\">", x, base, colour);
			lb_plot_add_xml(&labels, cause.buf, SPIKE_LABEL_CHARS);
			strbuf_addstr(&labels, "</text>\n");
			break;
		}
	}
	strbuf_addf(sb, "</g>\n<g id=\"spike-labels\" font-size=\"11\">\n%s</g>\n", labels.buf);
	strbuf_release(&cause);
	strbuf_release(&labels);
	free(ref);
	free(placed);
}

static void render_timeline(struct strbuf *sb, const struct lb_plot_opts *o, const struct lb_timeline *t, int n)
{
	const char *title = o->title && *o->title ? o->title : "Latency over time";
	int width = o->width ? o->width : LB_PLOT_DEFAULT_WIDTH;
	int height = o->height ? o->height : LB_PLOT_DEFAULT_HEIGHT;
	struct lb_series *legend = xcalloc((size_t)n, sizeof(*legend));
	double xmax = 0, ymax = 0, xstep, ystep, step = t[0].step_s;
	struct tframe f;
	struct box lbox;
	char num[48];
	size_t chars = 0;

	for (int i = 0; i < n; i++) {
		legend[i].label = (char *)t[i].label;
		legend[i].max_us = -1;
		if (t[i].n * t[i].step_s > xmax)
			xmax = t[i].n * t[i].step_s;
		for (size_t k = 0; k < t[i].n; k++)
			if (!isnan(t[i].max_us[k]) && t[i].max_us[k] > legend[i].max_us)
				legend[i].max_us = t[i].max_us[k];
		if (legend[i].max_us > ymax)
			ymax = legend[i].max_us;
		for (int k = 0; k < t[i].nspikes; k++) {
			if (t[i].spike[k].latency_us > ymax)
				ymax = t[i].spike[k].latency_us;
			if (t[i].spike[k].at_s > xmax)
				xmax = t[i].spike[k].at_s;
		}
		if (t[i].step_s != step)
			step = 0;
	}
	if (!(xmax > 0))
		xmax = 1;
	if (!(ymax > 0))
		ymax = 10;
	xstep = nice_step(xmax / 10);
	f.xmax_s = ceil(xmax / xstep - 1e-9) * xstep;
	f.top = 44;
	f.h = height - f.top - 56;
	if (f.h < 20)
		f.h = 20;
	/* the worst spike below the legend, with room for its label */
	{
		double reserve = 8 + 8 + 18.0 * n + 4 + 24, scale = f.h - reserve > f.h / 2 ? f.h / (f.h - reserve) : 2;

		ystep = nice_step(ymax * scale / 8);
		f.ymax_us = (floor(ymax * scale / ystep) + 1) * ystep;
	}
	fmt_tick(num, sizeof(num), f.ymax_us, ystep);
	f.left = 44 + (double)strlen(num) * DIGIT_W;
	f.w = width - f.left - 24;
	if (f.w < 20)
		f.w = 20;

	strbuf_addf(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
		    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n<title>",
		    width, height, width, height);
	lb_plot_add_xml(sb, title, 200);
	strbuf_addf(sb, "</title>\n<defs><clipPath id=\"time-area\"><rect x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n"
		    "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
		    "<text x=\"%.1f\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" "
		    "font-weight=\"bold\">", f.left, f.top - 1, f.w, f.h + 2, width, height,
		    f.left + f.w / 2);
	lb_plot_add_xml(sb, title, 200);
	strbuf_addstr(sb, "</text>\n");
	add_time_axes(sb, &f, xstep, ystep);

	strbuf_addstr(sb, "<g id=\"time-curves\" fill=\"none\" stroke-width=\"1.5\" clip-path=\"url(#time-area)\">\n");
	for (int i = 0; i < n; i++)
		add_time_curve(sb, &f, &t[i], i);
	strbuf_addstr(sb, "</g>\n");
	strbuf_addf(sb, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
		    "stroke=\"#000000\"/>\n", f.left, f.top, f.w, f.h);
	strbuf_addf(sb, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">Time since the start of the run (s)</text>\n",
		    f.left + f.w / 2, height - 14);
	if (step > 0) {
		fmt_tick(num, sizeof(num), step, step);
		strbuf_addf(sb, "<text x=\"22\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 22 %.1f)\">"
			    "Worst latency of each %s s (&#181;s)</text>\n", f.top + f.h / 2, f.top + f.h / 2, num);
	} else {
		strbuf_addf(sb, "<text x=\"22\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 22 %.1f)\">"
			    "Worst latency of each step (&#181;s)</text>\n", f.top + f.h / 2, f.top + f.h / 2);
	}
	/* the legend's box as add_legend places it, kept clear of spike labels */
	{
		struct frame lf = { .left = f.left, .top = f.top, .w = f.w, .h = f.h };
		size_t fit = f.w > 70 + 20 * CHAR_W ? (size_t)((f.w - 70) / CHAR_W) : 20;
		double w, x;

		for (int i = 0; i < n; i++) {
			size_t c = utf8_chars(t[i].label) + 20;

			if (c > fit)
				c = fit;
			if (c > chars)
				chars = c;
		}
		w = 10 + 28 + 6 + (double)chars * CHAR_W + 10;
		x = f.left + f.w - 8 - w;
		lbox = (struct box){ x < f.left + 8 ? f.left + 8 : x, f.top + 8, f.left + f.w - 8, f.top + 8 + 8 + 18.0 * n + 4 };
		add_spikes(sb, &f, t, n, &lbox);
		add_legend(sb, &lf, legend, n, "time-legend");
	}
	strbuf_addstr(sb, "</svg>\n");
	free(legend);
}

int lb_plot_timeline_render(const struct lb_timeline *t, int n, const struct lb_plot_opts *o,
			    struct strbuf *svg, struct strbuf *err)
{
	static const struct lb_plot_opts defaults;
	int ret;

	if (n <= 0) {
		strbuf_addstr(err, "error: no result files to plot");
		return -EINVAL;
	}
	ret = check_opts(o ? o : &defaults, err);
	for (int i = 0; !ret && i < n; i++)
		if (!(t[i].step_s > 0 && t[i].step_s <= LB_RESULT_MAX_SECONDS)) {
			strbuf_addf(err, "error: the step of timeline %d is not a time from 0 to %.0f s", i + 1,
				    LB_RESULT_MAX_SECONDS);
			ret = -EINVAL;
		}
	if (!ret)
		render_timeline(svg, o ? o : &defaults, t, n);
	return ret;
}

int lb_plot_timeline_files(const char *const *paths, int n, const struct lb_plot_opts *o,
			   struct strbuf *svg, struct strbuf *err)
{
	static const struct lb_plot_opts defaults;
	struct lb_result *res;
	struct lb_timeline *t;
	int ret = check_call(n, o ? o : &defaults, err);

	if (ret)
		return ret;
	res = xcalloc((size_t)n, sizeof(*res));
	t = xcalloc((size_t)n, sizeof(*t));
	for (int i = 0; i < n && !ret; i++) {
		ret = lb_result_read(paths[i], LB_NEED_CAUSES, &res[i], err);
		if (!ret && !res[i].ntimeline) {
			strbuf_addf(err, "%s: error: no \"timeline\" (latency over the run's time): written by a "
				    "latency-bench that did not record it", paths[i]);
			ret = -EINVAL;
		}
		t[i] = (struct lb_timeline){ res[i].hist.label, res[i].timeline_step_s, res[i].timeline_us,
					     res[i].ntimeline, res[i].spikes, res[i].nspikes };
	}
	if (!ret)
		ret = lb_plot_timeline_render(t, n, o, svg, err);
	for (int i = 0; i < n; i++)
		lb_result_release(&res[i]);
	free(res);
	free(t);
	return ret;
}
