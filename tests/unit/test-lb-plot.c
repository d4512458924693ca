/* test-lb-plot.c - unit tests for latency-bench's SVG histogram plot: content, errors, rendering */
#include "tap.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "cause.h"
#include "fs.h"
#include "plot.h"
#include "result.h"
#include "run.h"
#include "strbuf.h"

static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The contents of the <text> elements in the first group that opens with `open`, comma-joined. */
static char *texts_in_group(const char *svg, const char *open)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = strstr(svg, open), *end;

	if (!p)
		return xstrdup("(no such group)");
	end = strstr(p, "</g>");
	while ((p = strstr(p, "<text")) && p < end) {
		const char *s = strchr(p, '>') + 1, *e = strstr(s, "</text>");

		if (sb.len)
			strbuf_addch(&sb, ',');
		strbuf_add(&sb, s, (size_t)(e - s));
		p = e;
	}
	return strbuf_detach(&sb, NULL);
}

/* the message of the latest plot_files */
static struct strbuf err = STRBUF_INIT;

/* lb_plot_files with its message, alone, in err */
static int plot_files(const char *const *paths, int n, const struct lb_plot_opts *o, struct strbuf *svg)
{
	strbuf_reset(&err);
	return lb_plot_files(paths, n, o, svg, &err);
}

/* Plot `a` (and `b` when non-NULL) from the fixtures into svg; the function's result. */
static int plot2(const char *a, const char *b, const struct lb_plot_opts *o, struct strbuf *svg)
{
	char *fa = fixture(a), *fb = b ? fixture(b) : NULL;
	const char *paths[2] = { fa, fb };
	int ret = plot_files(paths, b ? 2 : 1, o, svg);

	free(fa);
	free(fb);
	return ret;
}

static void test_two_results(void)
{
	struct lb_plot_opts o = { .title = "Timer plane: 6.18 & 6.12 <RT>", .width = 800, .height = 450 };
	struct strbuf svg = STRBUF_INIT, golden = STRBUF_INIT;
	char *got, *gpath = fixture("plot/two-results.svg");
	const char *p1, *p2;

	strbuf_addstr(&svg, "KEEP");
	is_int(plot2("plot/timer.json", "plot/rt-escaped-label.json", &o, &svg), 0,
	       "two results plot");
	is_str(err.buf, "", "no error text on success");
	ok(starts_with(svg.buf, "KEEP<?xml version=\"1.0\" encoding=\"UTF-8\""),
	   "the SVG is appended to what the buffer held");
	ok(strstr(svg.buf, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"800\" "
			   "height=\"450\" viewBox=\"0 0 800 450\" font-family=\"sans-serif\""),
	   "plain SVG 1.1 of the requested size, generic font family");
	is_int(count_of(svg.buf, "<polyline "), 2, "one curve per result");
	p1 = strstr(svg.buf, "<polyline stroke=\"#1f77b4\" points=\"");
	p2 = strstr(svg.buf, "<polyline stroke=\"#d62728\" points=\"");
	ok(p1 && p2 && p1 < p2, "first result blue, second red, in order");
	ok(strstr(svg.buf, "<title>Timer plane: 6.18 &amp; 6.12 &lt;RT&gt;</title>") &&
	   strstr(svg.buf, "font-weight=\"bold\">Timer plane: 6.18 &amp; 6.12 &lt;RT&gt;</text>"),
	   "title escaped for XML, as document title and heading");
	got = texts_in_group(svg.buf, "<g id=\"legend\">");
	is_str(got, "6.18.44 timer (max 118.3 &#181;s),6.12 RT &amp; &lt;ll&gt; patch (max 52.7 &#181;s)",
	       "legend: each label (escaped) with its max latency");
	free(got);
	ok(strstr(svg.buf, "<title>6.12 RT &amp; &lt;ll&gt; patch</title></polyline>"),
	   "each curve carries its label as a tooltip");
	/* two buckets of the timer result (6000 + 5000) share the 22.0 us bin: the top decade is 10^5 */
	got = texts_in_group(svg.buf, "<g text-anchor=\"end\">");
	is_str(got, "0,1,10,100,1000,10000,100000", "y axis: the floor and every decade to the top");
	free(got);
	got = texts_in_group(svg.buf, "<g text-anchor=\"middle\">");
	is_str(got, "0,20,40,60,80,100,120", "x axis: 0 to the largest max rounded up");
	free(got);
	ok(strstr(svg.buf, ">Number of samples (per 0.5 &#181;s bin)</text>"), "y title names the bin width");
	ok(strstr(svg.buf, ">Latency (&#181;s)</text>"), "x title");
	ok(!strstr(svg.buf, "nan") && !strstr(svg.buf, "inf") && !strstr(svg.buf, "NaN"),
	   "no NaN or Inf anywhere");
	/* x = 90.2 + us / 120 * 685.8; y = 394 - (log10(n) + 0.5) / 5.5 * 350 */
	ok(strstr(svg.buf, "<polyline stroke=\"#d62728\" points=\"90.2,394.0 "
			   "135.9,394.0 135.9,234.9 138.8,234.9 138.8,394.0 141.6,394.0 141.6,174.2 "
			   "144.5,174.2 144.5,394.0 390.2,394.0 390.2,323.9 393.1,323.9 393.1,394.0 "
			   "776.0,394.0\">"),
	   "second curve: steps at 8, 9 and 52.5 us of 100, 900 and 4 samples, floor elsewhere");

	if (fs_read_file(gpath, &golden) < 0)
		strbuf_addstr(&golden, "(unreadable)");
	is_str(svg.buf + 4, golden.buf, "the whole SVG is plot/two-results.svg");
	strbuf_release(&golden);
	strbuf_release(&svg);
	free(gpath);
}

static void test_no_samples_default_label(void)
{
	struct strbuf svg = STRBUF_INIT;
	char *got;

	is_int(plot2("plot/no-label-no-samples.json", NULL, NULL, &svg), 0,
	       "a result without samples plots (NULL opts)");
	ok(strstr(svg.buf, "width=\"960\" height=\"540\""), "default size 960x540");
	ok(strstr(svg.buf, "font-weight=\"bold\">Latency histogram</text>"), "default title");
	got = texts_in_group(svg.buf, "<g id=\"legend\">");
	is_str(got, "6.1.0-rt alsa (no samples)", "no label: kernel release and plane; no max");
	free(got);
	got = texts_in_group(svg.buf, "<g text-anchor=\"end\">");
	is_str(got, "0,1,10", "y axis of an empty plot: one decade");
	free(got);
	got = texts_in_group(svg.buf, "<g text-anchor=\"middle\">");
	is_str(got, "0,10,20,30,40,50,60,70,80,90,100", "x axis of an empty plot: 0 to 100 us");
	free(got);
	is_int(count_of(svg.buf, "<polyline "), 1, "the empty result still has its curve (on the floor)");
	strbuf_release(&svg);
}

static void test_xmax(void)
{
	struct lb_plot_opts o = { .xmax_us = 50 };
	struct strbuf svg = STRBUF_INIT;
	char *got;

	is_int(plot2("plot/timer.json", NULL, &o, &svg), 0, "--xmax 50");
	got = texts_in_group(svg.buf, "<g text-anchor=\"middle\">");
	is_str(got, "0,5,10,15,20,25,30,35,40,45,50", "x axis ends at the requested 50 us");
	free(got);
	ok(strstr(svg.buf, "(per 0.1 &#181;s bin)"), "bins narrow with the range");
	got = texts_in_group(svg.buf, "<g id=\"legend\">");
	is_str(got, "6.18.44 timer (max 118.3 &#181;s)", "legend keeps the max beyond the range");
	free(got);
	strbuf_release(&svg);
}

static void test_label_text(const char *top)
{
	char *path = xasprintf("%s/odd-label.json", top);
	const char *paths[1] = { path };
	struct strbuf svg = STRBUF_INIT, label = STRBUF_INIT, want = STRBUF_INIT, json = STRBUF_INIT;
	char *got;

	for (int i = 0; i < 100; i++)
		strbuf_addch(&label, 'x');
	strbuf_addf(&json, "{\"schema\": \"latency-bench/1\", \"label\": \"%s\", "
		    "\"histogram\": {\"buckets\": [[1000, 1001, 1]]}}\n", label.buf);
	tap_write_file(path, json.buf);
	is_int(plot_files(paths, 1, NULL, &svg), 0, "a 100-character label");
	strbuf_addf(&want, "%.60s\xe2\x80\xa6 (max 1.0 &#181;s)", label.buf);
	got = texts_in_group(svg.buf, "<g id=\"legend\">");
	is_str(got, want.buf, "cut to 60 characters and an ellipsis; max from the last bucket");
	free(got);

	strbuf_reset(&svg);
	tap_write_file(path, "{\"schema\": \"latency-bench/1\", \"label\": \"a\\u0001b\\tc\xff\xc3\xa9\\\"'\", "
			  "\"latency_us\": {\"max\": 1}, \"histogram\": {\"buckets\": []}}\n");
	is_int(plot_files(paths, 1, NULL, &svg), 0, "a label with odd characters");
	got = texts_in_group(svg.buf, "<g id=\"legend\">");
	is_str(got, "a\xef\xbf\xbd" "b c\xef\xbf\xbd\xc3\xa9&quot;&apos; (max 1.0 &#181;s)",
	       "control characters and bad UTF-8 become U+FFFD, tab a space, quotes escaped");
	free(got);

	strbuf_release(&svg);
	strbuf_release(&label);
	strbuf_release(&want);
	strbuf_release(&json);
	free(path);
}

static void test_bad_max(const char *top)
{
	static const char *const bad[] = { "NaN", "-1", "1e300", "\"12\"" };
	char *path = xasprintf("%s/bad-max.json", top), *want;
	const char *paths[1] = { path };
	struct strbuf svg = STRBUF_INIT;

	want = xasprintf("%s: error: \"latency_us\".\"max\" is not a number from 0 to 1000000000000", path);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *json = xasprintf("{\"schema\": \"latency-bench/1\", \"latency_us\": {\"max\": %s}, "
				       "\"histogram\": {\"buckets\": []}}\n", bad[i]);

		tap_write_file(path, json);
		is_int(plot_files(paths, 1, NULL, &svg), -EINVAL, "max %s", bad[i]);
		is_str(err.buf, want, "max %s: the message", bad[i]);
		free(json);
	}
	is_int((int)svg.len, 0, "nothing appended");
	strbuf_release(&svg);
	free(want);
	free(path);
}

static void expect_error(const char *rel, int want_ret, const char *want_fmt_after_path)
{
	struct strbuf svg = STRBUF_INIT;
	char *path = fixture(rel), *want = xasprintf("%s%s", path, want_fmt_after_path);
	const char *paths[1] = { path };

	strbuf_addstr(&svg, "KEEP");
	is_int(plot_files(paths, 1, NULL, &svg), want_ret, "%s is refused", rel);
	is_str(err.buf, want, "%s: the message", rel);
	is_str(svg.buf, "KEEP", "%s: nothing appended", rel);
	strbuf_release(&svg);
	free(path);
	free(want);
}

/* Input without end or beyond any result: refused before it is parsed, in bounded memory. */
static void test_unbounded(const char *top)
{
	char *big = xasprintf("%s/big.json", top), *want;
	const char *zero[1] = { "/dev/zero" }, *large[1] = { big };
	struct strbuf svg = STRBUF_INIT;

	is_int(plot_files(zero, 1, NULL, &svg), -EINVAL, "/dev/zero is refused (was: memory exhausted, SIGABRT)");
	is_str(err.buf, "/dev/zero: error: larger than 16 MiB: not a latency-bench result", "/dev/zero: the message");
	tap_write_file(big, "{\"schema\": \"latency-bench/1\"}");
	ok(truncate(big, LB_RESULT_MAX_BYTES + 1) == 0, "a result of 16 MiB + 1 (sparse)");
	is_int(plot_files(large, 1, NULL, &svg), -EINVAL, "a file over 16 MiB is refused");
	want = xasprintf("%s: error: larger than 16 MiB: not a latency-bench result", big);
	is_str(err.buf, want, "a large file: the message");
	is_int((int)svg.len, 0, "nothing appended");
	strbuf_release(&svg);
	free(want);
	free(big);
}

static void test_errors(void)
{
	struct lb_plot_opts o = { 0 };
	struct strbuf svg = STRBUF_INIT;
	char *good = fixture("plot/timer.json"), *bad = fixture("plot/no-histogram.json");
	char *want;
	const char *two[2] = { good, bad };

	expect_error("plot/syntax-error-line5.json", -EINVAL,
		     ":5: error: not valid JSON: object property name separator ':' expected");
	expect_error("plot/truncated.json", -EINVAL, ":3: error: not valid JSON: unexpected end of file");
	expect_error("plot/no-histogram.json", -EINVAL, ": error: no \"histogram\"");
	expect_error("plot/wrong-schema.json", -EINVAL,
		     ": error: unsupported schema 'cyclictest/2' (expected 'latency-bench/1')");
	expect_error("plot/buckets-not-ascending.json", -EINVAL,
		     ": error: \"histogram\".\"buckets\"[1] starts below the end of the bucket before it "
		     "(buckets must ascend)");
	expect_error("plot/bucket-not-triple.json", -EINVAL,
		     ": error: \"histogram\".\"buckets\"[1] is not [lower_ns, upper_ns, count] of "
		     "integers >= 0");
	expect_error("plot/no-such-file.json", -ENOENT, ": error: cannot read: No such file or directory");
	expect_error("plot", -EISDIR, ": error: cannot read: Is a directory");

	is_int(plot_files(two, 2, NULL, &svg), -EINVAL, "a bad second file");
	want = xasprintf("%s: error: no \"histogram\"", bad);
	is_str(err.buf, want, "the message names the second file");
	is_int((int)svg.len, 0, "nothing appended");
	free(want);

	is_int(plot_files(two, 0, NULL, &svg), -EINVAL, "no files");
	is_str(err.buf, "error: no result files to plot", "no files: the message");
	o.width = 50;
	is_int(plot_files(two, 1, &o, &svg), -EINVAL, "width 50");
	is_str(err.buf, "error: plot size 50x0 is out of range (200..10000 pixels)", "width 50: the message");
	o.width = 0;
	o.xmax_us = NAN;
	is_int(plot_files(two, 1, &o, &svg), -EINVAL, "xmax NaN");
	is_str(err.buf, "error: latency axis end is out of range (0 for auto, else up to 100000000 us)",
	       "xmax NaN: the message");
	o.xmax_us = -1;
	is_int(plot_files(two, 1, &o, &svg), -EINVAL, "xmax -1");
	is_int((int)svg.len, 0, "still nothing appended");
	strbuf_release(&svg);
	free(good);
	free(bad);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_render(const char *top)
{
	struct lb_plot_opts o = { .title = "Rendered", .width = 640, .height = 360 };
	char *svg_path = xasprintf("%s/plot.svg", top), *png_path = xasprintf("%s/plot.png", top);
	const char *argv[] = { "rsvg-convert", "-o", png_path, svg_path, NULL };
	struct run_cmd cmd = { .argv = argv, .quiet = 1 };
	struct strbuf svg = STRBUF_INIT, png = STRBUF_INIT;
	const unsigned char *b;

	if (!run_have_program("rsvg-convert")) {
		printf("ok %d # SKIP rsvg-convert not installed (librsvg2-bin)\n", ++tap_count);
		goto out;
	}
	is_int(plot2("plot/timer.json", "plot/rt-escaped-label.json", &o, &svg), 0,
	       "plot for rendering");
	is_int(fs_write_atomic(svg_path, svg.buf, svg.len, NULL), FS_WRITTEN, "SVG written");
	is_int(run_command(&cmd), 0, "rsvg-convert renders the SVG without complaint");
	is_int(fs_read_file(png_path, &png), 0, "PNG read back");
	b = (const unsigned char *)png.buf;
	ok(png.len > 24 && !memcmp(b, "\x89PNG\r\n\x1a\n", 8) && !memcmp(b + 12, "IHDR", 4),
	   "a PNG with its IHDR first");
	if (png.len > 24) {
		is_int(be32(b + 16), 640, "PNG width is the requested 640");
		is_int(be32(b + 20), 360, "PNG height is the requested 360");
	}
out:
	strbuf_release(&svg);
	strbuf_release(&png);
	free(svg_path);
	free(png_path);
}

static void test_over_time(const char *top)
{
	static const double a[] = { 20.5, NAN, 120, 21 }, b[] = { 10, 45 };
	struct lb_result_spike spikes[2] = {
		{ .cpu = 1, .at_s = 2.5, .latency_us = 120, .kind = LB_CAUSE_IRQ, .name = "24 i915 <gpu>" },
		{ .cpu = -1, .at_s = 3.5, .latency_us = 21, .kind = -1 },
	};
	struct lb_timeline t[2] = {
		{ "6.1 <base>", 1, a, ARRAY_SIZE(a), spikes, 2 },
		{ "6.12 rt", 1, b, ARRAY_SIZE(b), NULL, 0 },
	};
	struct lb_plot_opts o = { .width = 600, .height = 400 };
	char *base = fixture("compare/causes-base.json"), *older = fixture("compare/older.json"), *got, *want;
	char *svg_path = xasprintf("%s/time.svg", top), *png_path = xasprintf("%s/time.png", top);
	const char *paths[2] = { base, older };
	struct strbuf svg = STRBUF_INIT, png = STRBUF_INIT;

	strbuf_reset(&err);
	is_int(lb_plot_timeline_render(t, 2, &o, &svg, &err), 0, "over time: two timelines plot");
	ok(strstr(svg.buf, "font-weight=\"bold\">Latency over time</text>"), "over time: the default title");
	is_int(count_of(svg.buf, "<path "), 2, "over time: one curve per timeline");
	/* x = 67.1 + s / 4 * 508.9, y = 344 - us / 200 * 300 */
	ok(strstr(svg.buf, "<path stroke=\"#1f77b4\" d=\"M67.1,313.2 H194.3 M321.5,164.0 H448.8 V312.5 H576.0\">"
			   "<title>6.1 &lt;base&gt;</title></path>"),
	   "over time: a step curve, broken where a step has no samples");
	ok(strstr(svg.buf, "<path stroke=\"#d62728\" d=\"M67.1,329.0 H194.3 V276.5 H321.5\">"),
	   "over time: the second curve in the second colour");
	got = texts_in_group(svg.buf, "<g text-anchor=\"end\">");
	is_str(got, "0,50,100,150,200", "over time: y in µs, the worst spike below the legend");
	free(got);
	got = texts_in_group(svg.buf, "<g text-anchor=\"middle\">");
	is_str(got, "0,0.5,1,1.5,2,2.5,3,3.5,4", "over time: x in seconds to the end of the longest run");
	free(got);
	ok(strstr(svg.buf, ">Worst latency of each 1 s (&#181;s)</text>") &&
	   strstr(svg.buf, ">Time since the start of the run (s)</text>"), "over time: the axis titles");
	is_int(count_of(svg.buf, "<circle "), 2, "over time: a marker for each spike");
	ok(strstr(svg.buf, "<circle cx=\"385.2\" cy=\"164.0\" r=\"4\" fill=\"#1f77b4\"><title>6.1 &lt;base&gt;: "
			   "120.0 &#181;s at 2.50 s on CPU 1: irq 24 i915 &lt;gpu&gt;</title></circle>"),
	   "over time: the worst spike's marker, its cause in the tooltip");
	got = texts_in_group(svg.buf, "<g id=\"spike-labels\"");
	is_str(got, "irq 24 i915 &lt;gpu&gt;,no cause found", "over time: each spike labelled with its cause");
	free(got);
	got = texts_in_group(svg.buf, "<g id=\"time-legend\">");
	is_str(got, "6.1 &lt;base&gt; (max 120.0 &#181;s),6.12 rt (max 45.0 &#181;s)", "over time: the legend");
	free(got);
	ok(!strstr(svg.buf, "nan") && !strstr(svg.buf, "inf"), "over time: no NaN or Inf anywhere");

	strbuf_reset(&svg);
	strbuf_reset(&err);
	is_int(lb_plot_timeline_files(paths, 1, NULL, &svg, &err), 0, "over time: a result file");
	got = texts_in_group(svg.buf, "<g id=\"spike-labels\"");
	is_str(got, "irq 24 i915 (0000:00:02.0),thread kworker/0:1,no cause found",
	       "over time: the file's spikes labelled, the worst first");
	free(got);
	if (run_have_program("rsvg-convert")) {
		const char *argv[] = { "rsvg-convert", "-o", png_path, svg_path, NULL };
		struct run_cmd cmd = { .argv = argv, .quiet = 1 };

		fs_write_atomic(svg_path, svg.buf, svg.len, NULL);
		is_int(run_command(&cmd), 0, "over time: rsvg-convert renders it without complaint");
		ok(fs_read_file(png_path, &png) == 0 && png.len > 24 && be32((const unsigned char *)png.buf + 16) == 960,
		   "over time: a PNG of the default width");
	} else {
		printf("ok %d # SKIP rsvg-convert not installed (librsvg2-bin)\n", ++tap_count);
		printf("ok %d # SKIP rsvg-convert not installed (librsvg2-bin)\n", ++tap_count);
	}

	strbuf_reset(&svg);
	strbuf_reset(&err);
	is_int(lb_plot_timeline_files(paths, 2, NULL, &svg, &err), -EINVAL, "over time: a file without a timeline");
	want = xasprintf("%s: error: no \"timeline\" (latency over the run's time): written by a latency-bench "
			 "that did not record it", older);
	is_str(err.buf, want, "over time: the message names it");
	is_int((int)svg.len, 0, "over time: nothing appended");
	strbuf_reset(&err);
	t[1].step_s = 0;
	is_int(lb_plot_timeline_render(t, 2, NULL, &svg, &err), -EINVAL, "over time: a step of 0");
	is_str(err.buf, "error: the step of timeline 2 is not a time from 0 to 1000000000 s", "over time: its message");
	free(want);
	free(base);
	free(older);
	free(svg_path);
	free(png_path);
	strbuf_release(&svg);
	strbuf_release(&png);
}

int main(void)
{
	char *top = tap_scratch_dir("lb-plot");

	test_two_results();
	test_no_samples_default_label();
	test_xmax();
	test_label_text(top);
	test_bad_max(top);
	test_errors();
	test_unbounded(top);
	test_render(top);
	test_over_time(top);

	is_int(fs_remove_tree(top), 0, "scratch directory removed");
	free(top);
	strbuf_release(&err);
	return done_testing();
}
