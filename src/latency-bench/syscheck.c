/* syscheck.c - the system check of `latency-bench check`: kernel, boot options, limits, IRQs, each with advice */
#define _GNU_SOURCE
#include "syscheck.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "fs.h"
#include "opt.h"
#include "strbuf.h"
#include "util.h"

#define RTPRIO_MIN 80
#define MEMLOCK_MIN_KB (256L * 1024)
#define SWAPPINESS_MAX 10
/* PM QoS "no request" value: 2000 s, PM_QOS_CPU_LATENCY_DEFAULT_VALUE */
#define DMA_LATENCY_DEFAULT 2000000000L

#define KBUILD_RT "build a PREEMPT_RT kernel with `./kbuild --patch ll --config audio`"
#define GRUB_HOWTO "GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, then `sudo update-grub`"

struct ctx {
	const struct lb_syscheck_env *env;
	const char *root;
	struct lb_system *sys;
	int nread;     /* files read successfully: 0 at the end means the root is wrong */
	int first_err;
	int threaded;  /* IRQ handlers run as threads: threadirqs or PREEMPT_RT */
};

/* ---- small helpers ---- */

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

struct lb_check *lb_check_add(struct lb_system *sys, const char *id, const char *title)
{
	struct lb_check *c;

	if (sys->nchecks >= LB_MAX_CHECKS)
		BUG("more than %d system checks", LB_MAX_CHECKS);
	c = &sys->checks[sys->nchecks++];
	memset(c, 0, sizeof(*c));
	copy_str(c->id, sizeof(c->id), id);
	copy_str(c->title, sizeof(c->title), title);
	c->status = LB_CHECK_INFO;
	return c;
}

void lb_check_value(struct lb_check *c, enum lb_check_status st, const char *fmt, ...)
{
	va_list ap;

	c->status = st;
	va_start(ap, fmt);
	vsnprintf(c->value, sizeof(c->value), fmt, ap);
	va_end(ap);
}

void lb_check_advice(struct lb_check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->advice, sizeof(c->advice), fmt, ap);
	va_end(ap);
}

static void rtrim(struct strbuf *sb)
{
	while (sb->len && isspace((unsigned char)sb->buf[sb->len - 1]))
		strbuf_setlen(sb, sb->len - 1);
}

/* Read ROOT/rel into sb (reset first, trailing blanks removed); 0 or -errno. */
static int read_rel(struct ctx *x, const char *rel, struct strbuf *sb)
{
	char path[PATH_MAX];
	int err;

	strbuf_reset(sb);
	if ((size_t)snprintf(path, sizeof(path), "%s%s", x->root, rel) >= sizeof(path))
		return -ENAMETOOLONG;
	err = fs_read_file(path, sb);
	if (err < 0) {
		if (!x->first_err)
			x->first_err = err;
		strbuf_reset(sb);
		return err;
	}
	x->nread++;
	rtrim(sb);
	return 0;
}

/* A whole decimal number from ROOT/rel; 0 or -errno. */
static int read_long(struct ctx *x, const char *rel, long *out)
{
	struct strbuf sb = STRBUF_INIT;
	int err = read_rel(x, rel, &sb);

	if (!err)
		err = opt_parse_long(sb.buf, LONG_MIN, LONG_MAX, out);
	strbuf_release(&sb);
	return err;
}

/* `word` occurs in `s` delimited by blanks or the ends. */
static int has_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = s; (p = strstr(p, word)); p++)
		if ((p == s || isspace((unsigned char)p[-1])) &&
		    (!p[n] || isspace((unsigned char)p[n])))
			return 1;
	return 0;
}

/*
 * Kernel parameter `key` on the command line (up to "--", which starts init's arguments):
 * 1 when present (the last `key=value` wins, value copied into val), 0 when absent.
 */
static int cmdline_param(const char *cmdline, const char *key, char *val, size_t size)
{
	size_t klen = strlen(key);
	const char *p = cmdline;
	int found = 0;

	if (val && size)
		val[0] = '\0';
	while (*p) {
		const char *e;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		e = p;
		while (*e && !isspace((unsigned char)*e))
			e++;
		if (e - p == 2 && !strncmp(p, "--", 2))
			break;
		if ((size_t)(e - p) >= klen && !strncmp(p, key, klen) &&
		    (p + klen == e || p[klen] == '=')) {
			found = 1;
			if (val && size) {
				const char *v = p + klen + (p + klen < e);
				size_t n = (size_t)(e - v) < size - 1 ? (size_t)(e - v) : size - 1;

				memcpy(val, v, n);
				val[n] = '\0';
			}
		}
		p = e;
	}
	return found;
}

/* Value of CONFIG_sym in a .config text ("y", "m", a string...) into val; 1 when set. */
static int config_value(const char *cfg, const char *sym, char *val, size_t size)
{
	size_t n = strlen(sym);

	for (const char *p = cfg; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, sym, n) && p[n] == '=') {
			const char *v = p + n + 1;
			size_t len = strcspn(v, "\n");

			if (len >= size)
				len = size - 1;
			memcpy(val, v, len);
			val[len] = '\0';
			return 1;
		}
	}
	return 0;
}

static int config_y(const char *cfg, const char *sym)
{
	char v[8];

	return cfg && config_value(cfg, sym, v, sizeof(v)) && str_eq(v, "y");
}

/* "0-3,5" -> 5; -EINVAL on anything else. */
static int count_cpulist(const char *s)
{
	int n = 0;

	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s || !isdigit((unsigned char)*s))
			return -EINVAL;
		s = end;
		if (*s == '-') {
			b = strtoul(s + 1, &end, 10);
			if (end == s + 1 || b < a)
				return -EINVAL;
			s = end;
		}
		if (b - a >= (unsigned long)INT_MAX - (unsigned long)n)
			return -ERANGE;
		n += (int)(b - a + 1);
		if (*s == ',')
			s++;
		else if (*s)
			return -EINVAL;
	}
	return n;
}

static void format_kib(char *buf, size_t size, long kb)
{
	if (kb < 0)
		snprintf(buf, size, "unlimited");
	else if (kb && kb % (1024L * 1024) == 0)
		snprintf(buf, size, "%ld GiB", kb / (1024L * 1024));
	else if (kb && kb % 1024 == 0)
		snprintf(buf, size, "%ld MiB", kb / 1024);
	else
		snprintf(buf, size, "%ld KiB", kb);
}

/* ---- identity ---- */

static unsigned cur_uid(const struct ctx *x)
{
	return x->env->fake_ids ? x->env->uid : (unsigned)geteuid();
}

static int in_groups(const struct ctx *x, unsigned gid)
{
	const struct lb_syscheck_env *env = x->env;
	gid_t *list;
	int n, found = 0;

	if (env->fake_ids) {
		for (unsigned i = 0; i < env->ngroups && i < ARRAY_SIZE(env->groups); i++)
			if (env->groups[i] == gid)
				return 1;
		return 0;
	}
	if ((unsigned)getegid() == gid)
		return 1;
	n = getgroups(0, NULL);
	if (n <= 0)
		return 0;
	list = xcalloc((size_t)n, sizeof(*list));
	n = getgroups(n, list);
	for (int i = 0; i < n; i++)
		if ((unsigned)list[i] == gid)
			found = 1;
	free(list);
	return found;
}

/* The soft limit of `res`: -1 unlimited; `scale` divides (bytes -> KiB). */
static long rlimit_soft(int res, long scale)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return -1;
	if (rl.rlim_cur / (rlim_t)scale > (rlim_t)LONG_MAX)
		return -1;
	return (long)(rl.rlim_cur / (rlim_t)scale);
}

/* ---- the checks ---- */

static void check_kernel(struct ctx *x)
{
	struct lb_system *sys = x->sys;
	struct lb_check *c;

	c = lb_check_add(sys, "release", "Kernel release");
	lb_check_value(c, LB_CHECK_INFO, "%s", sys->kernel_release[0] ? sys->kernel_release : "unknown");
	c = lb_check_add(sys, "version", "Kernel build (uname -v)");
	lb_check_value(c, LB_CHECK_INFO, "%s", sys->kernel_version[0] ? sys->kernel_version : "unknown");
}

/* The active mode of a PREEMPT_DYNAMIC kernel, or NULL. */
static const char *dynamic_mode(struct ctx *x, const char *cfg, char *buf, size_t size)
{
	static const char *const modes[] = { "none", "voluntary", "full", "lazy" };
	struct strbuf sb = STRBUF_INIT;
	const char *open, *close;

	/* debugfs says what is active now: "none voluntary (full) lazy" */
	if (!read_rel(x, "/sys/kernel/debug/sched/preempt", &sb) &&
	    (open = strchr(sb.buf, '(')) && (close = strchr(open, ')'))) {
		size_t n = (size_t)(close - open - 1);

		if (n < size) {
			memcpy(buf, open + 1, n);
			buf[n] = '\0';
			strbuf_release(&sb);
			return buf;
		}
	}
	strbuf_release(&sb);
	if (cmdline_param(x->sys->cmdline, "preempt", buf, size))
		for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
			if (str_eq(buf, modes[i]))
				return buf;
	/* without either, the boot default is the model the kernel was configured with */
	if (config_y(cfg, "CONFIG_PREEMPT_NONE"))
		return "none";
	if (config_y(cfg, "CONFIG_PREEMPT_VOLUNTARY"))
		return "voluntary";
	if (config_y(cfg, "CONFIG_PREEMPT_LAZY"))
		return "lazy";
	if (config_y(cfg, "CONFIG_PREEMPT"))
		return "full";
	return NULL;
}

/* The running kernel's configuration: /proc/config.gz, else /boot/config-RELEASE; NULL when neither. */
static const char *kernel_config(struct ctx *x, struct strbuf *cfg)
{
	char path[PATH_MAX], rel[200];

	if ((size_t)snprintf(path, sizeof(path), "%s/proc/config.gz", x->root) < sizeof(path) &&
	    fs_read_gz(path, cfg) == 0 && cfg->len) {
		x->nread++;
		return cfg->buf;
	}
	strbuf_reset(cfg);
	snprintf(rel, sizeof(rel), "/boot/config-%s", x->sys->kernel_release);
	if (x->sys->kernel_release[0] && !read_rel(x, rel, cfg))
		return cfg->buf;
	return NULL;
}

static void check_preempt(struct ctx *x)
{
	struct lb_system *sys = x->sys;
	struct lb_check *c = lb_check_add(sys, "preempt", "Preemption model");
	struct strbuf cfg = STRBUF_INIT;
	const char *version = sys->kernel_version, *config = NULL;
	long realtime = 0;
	int ok = 0, dynamic_warn = 0;

	config = kernel_config(x, &cfg);
	read_long(x, "/sys/kernel/realtime", &realtime);

	if (has_word(version, "PREEMPT_RT") || strstr(version, " PREEMPT RT ") ||
	    realtime == 1 || config_y(config, "CONFIG_PREEMPT_RT")) {
		sys->realtime = 1;
		copy_str(sys->preemption_model, sizeof(sys->preemption_model), "PREEMPT_RT");
		ok = 1;
	} else if (has_word(version, "PREEMPT_DYNAMIC") || config_y(config, "CONFIG_PREEMPT_DYNAMIC")) {
		char buf[32];
		const char *mode = dynamic_mode(x, config, buf, sizeof(buf));

		snprintf(sys->preemption_model, sizeof(sys->preemption_model), "PREEMPT_DYNAMIC (%s)",
			 mode ? mode : "mode unknown");
		ok = mode && (str_eq(mode, "full") || str_eq(mode, "lazy"));
		dynamic_warn = !ok;
	} else if (config_y(config, "CONFIG_PREEMPT_LAZY")) {
		copy_str(sys->preemption_model, sizeof(sys->preemption_model), "PREEMPT_LAZY");
		ok = 1;
	} else if (has_word(version, "PREEMPT") || config_y(config, "CONFIG_PREEMPT")) {
		copy_str(sys->preemption_model, sizeof(sys->preemption_model), "PREEMPT");
		ok = 1;
	} else if (config_y(config, "CONFIG_PREEMPT_VOLUNTARY")) {
		copy_str(sys->preemption_model, sizeof(sys->preemption_model), "PREEMPT_VOLUNTARY");
	} else if (config_y(config, "CONFIG_PREEMPT_NONE")) {
		copy_str(sys->preemption_model, sizeof(sys->preemption_model), "PREEMPT_NONE");
	} else {
		copy_str(sys->preemption_model, sizeof(sys->preemption_model), "unknown");
	}

	if (ok) {
		lb_check_value(c, LB_CHECK_OK, "%s", sys->preemption_model);
	} else if (dynamic_warn) {
		lb_check_value(c, LB_CHECK_WARN, "%s", sys->preemption_model);
		lb_check_advice(c, "boot with preempt=full (add it to " GRUB_HOWTO "), or " KBUILD_RT);
	} else if (str_eq(sys->preemption_model, "unknown")) {
		/* the kernel writes PREEMPT, PREEMPT_DYNAMIC or PREEMPT_RT into uname -v */
		lb_check_value(c, LB_CHECK_WARN, "%s", version[0] ?
			  "not preemptible (no PREEMPT in uname -v; PREEMPT_NONE or PREEMPT_VOLUNTARY)" :
			  "unknown (no uname -v and no kernel config)");
		lb_check_advice(c, "this kernel cannot switch to full preemption at boot: " KBUILD_RT);
	} else {
		lb_check_value(c, LB_CHECK_WARN, "%s", sys->preemption_model);
		lb_check_advice(c, "this kernel cannot switch to full preemption at boot: " KBUILD_RT);
	}
	strbuf_release(&cfg);
}

static void check_cmdline(struct ctx *x)
{
	struct lb_system *sys = x->sys;
	struct lb_check *c;
	char val[256];

	c = lb_check_add(sys, "threadirqs", "Threaded IRQs");
	if (cmdline_param(sys->cmdline, "threadirqs", NULL, 0)) {
		x->threaded = 1;
		lb_check_value(c, LB_CHECK_OK, "on (threadirqs)");
	} else if (sys->realtime) {
		x->threaded = 1;
		lb_check_value(c, LB_CHECK_OK, "on (forced by PREEMPT_RT)");
	} else {
		lb_check_value(c, LB_CHECK_WARN, "off");
		lb_check_advice(c, "add threadirqs to the kernel command line (" GRUB_HOWTO
			   ") so interrupt handlers run as threads whose priority can be raised");
	}

	c = lb_check_add(sys, "isolcpus", "Isolated CPUs (isolcpus=)");
	if (cmdline_param(sys->cmdline, "isolcpus", val, sizeof(val)))
		lb_check_value(c, LB_CHECK_INFO, "%s", val);
	else
		lb_check_value(c, LB_CHECK_INFO, "not set");

	c = lb_check_add(sys, "nohz_full", "Tickless CPUs (nohz_full=)");
	if (cmdline_param(sys->cmdline, "nohz_full", val, sizeof(val)))
		lb_check_value(c, LB_CHECK_INFO, "%s", val);
	else
		lb_check_value(c, LB_CHECK_INFO, "not set");

	c = lb_check_add(sys, "mitigations", "CPU vulnerability mitigations");
	if (!cmdline_param(sys->cmdline, "mitigations", val, sizeof(val)))
		lb_check_value(c, LB_CHECK_INFO, "default (auto)");
	else if (str_eq(val, "off"))
		lb_check_value(c, LB_CHECK_INFO, "off (trades security for lower latency)");
	else
		lb_check_value(c, LB_CHECK_INFO, "%s", val);
}

static void check_clocksource(struct ctx *x)
{
	struct lb_system *sys = x->sys;
	struct lb_check *c = lb_check_add(sys, "clocksource", "Clock source");
	struct strbuf sb = STRBUF_INIT;
	const char *cs;

	if (read_rel(x, "/sys/devices/system/clocksource/clocksource0/current_clocksource", &sb) ||
	    !sb.len) {
		lb_check_value(c, LB_CHECK_INFO, "unknown (no current_clocksource in sysfs)");
		goto out;
	}
	copy_str(sys->clocksource, sizeof(sys->clocksource), sb.buf);
	cs = sys->clocksource;
	if (str_eq(cs, "tsc") || str_eq(cs, "arch_sys_counter")) {
		lb_check_value(c, LB_CHECK_OK, "%s", cs);
	} else if (str_eq(cs, "kvm-clock")) {
		lb_check_value(c, LB_CHECK_INFO, "kvm-clock (virtual machine: latency depends on the host)");
	} else if (str_eq(cs, "hpet") || str_eq(cs, "acpi_pm") || str_eq(cs, "jiffies")) {
		lb_check_value(c, LB_CHECK_WARN, "%s", cs);
		lb_check_advice(c, "%s is slow to read; the kernel gave up on the TSC (see `sudo dmesg | grep -i clocksource`): "
			   "update the BIOS/firmware, and boot with clocksource=tsc only if the TSC is known to be stable",
			   cs);
	} else {
		lb_check_value(c, LB_CHECK_INFO, "%s", cs);
	}
out:
	strbuf_release(&sb);
}

struct cpu_gov {
	unsigned cpu;
	char gov[32];
};

static int cmp_cpu_gov(const void *a, const void *b)
{
	const struct cpu_gov *x = a, *y = b;

	return x->cpu < y->cpu ? -1 : x->cpu > y->cpu;
}

static int cpu_dir_number(const char *name, unsigned *n)
{
	char *end;
	unsigned long v;

	if (strncmp(name, "cpu", 3) || !isdigit((unsigned char)name[3]))
		return 0;
	v = strtoul(name + 3, &end, 10);
	if (*end || v > UINT_MAX)
		return 0;
	*n = (unsigned)v;
	return 1;
}

static void check_governor(struct ctx *x)
{
	struct lb_check *c = lb_check_add(x->sys, "governor", "CPU frequency governor");
	struct strbuf sb = STRBUF_INIT, list = STRBUF_INIT;
	struct cpu_gov *g = NULL;
	size_t n = 0, alloc = 0, nperf = 0;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu", x->root);
	dir = opendir(path);
	while (dir && (de = readdir(dir))) {
		char rel[300];
		unsigned cpu;

		if (!cpu_dir_number(de->d_name, &cpu))
			continue;
		if ((size_t)snprintf(rel, sizeof(rel), "/sys/devices/system/cpu/%s/cpufreq/scaling_governor",
				     de->d_name) >= sizeof(rel) ||
		    read_rel(x, rel, &sb))
			continue;
		ALLOC_GROW(g, n + 1, alloc);
		g[n].cpu = cpu;
		copy_str(g[n].gov, sizeof(g[n].gov), sb.buf);
		nperf += str_eq(g[n].gov, "performance");
		n++;
	}
	if (dir)
		closedir(dir);

	if (!n) {
		lb_check_value(c, LB_CHECK_INFO, "no cpufreq");
	} else if (nperf == n) {
		lb_check_value(c, LB_CHECK_OK, "performance on all %zu CPUs", n);
	} else {
		qsort(g, n, sizeof(*g), cmp_cpu_gov);
		/* runs of consecutive CPUs with the same governor: "cpu0-1 ondemand, cpu2 performance" */
		for (size_t i = 0, j; i < n; i = j) {
			for (j = i + 1; j < n && g[j].cpu == g[j - 1].cpu + 1 && str_eq(g[j].gov, g[i].gov); j++)
				;
			if (list.len)
				strbuf_addstr(&list, ", ");
			if (j - i > 1)
				strbuf_addf(&list, "cpu%u-%u %s", g[i].cpu, g[j - 1].cpu, g[i].gov);
			else
				strbuf_addf(&list, "cpu%u %s", g[i].cpu, g[i].gov);
		}
		lb_check_value(c, LB_CHECK_WARN, "%s", list.buf);
		lb_check_advice(c, "switch to the performance governor while making music: "
			   "`sudo cpupower frequency-set -g performance` (package linux-cpupower)");
	}
	free(g);
	strbuf_release(&sb);
	strbuf_release(&list);
}

static void check_smt(struct ctx *x)
{
	struct lb_check *c = lb_check_add(x->sys, "smt", "Simultaneous multithreading (SMT)");
	struct strbuf control = STRBUF_INIT, active = STRBUF_INIT;
	int have_control = !read_rel(x, "/sys/devices/system/cpu/smt/control", &control);
	int have_active = !read_rel(x, "/sys/devices/system/cpu/smt/active", &active);

	if (!have_control && !have_active)
		lb_check_value(c, LB_CHECK_INFO, "unknown (no SMT control in sysfs)");
	else if (!have_active)
		lb_check_value(c, LB_CHECK_INFO, "control: %s", control.buf);
	else if (str_eq(active.buf, "1")) {
		lb_check_value(c, LB_CHECK_WARN, "active (control: %s)", have_control ? control.buf : "unknown");
		lb_check_advice(c, "for the lowest jitter turn SMT (Hyper-Threading) off in the firmware setup, "
			   "or for this boot: `echo off | sudo tee /sys/devices/system/cpu/smt/control`");
	} else {
		lb_check_value(c, LB_CHECK_OK, "inactive (control: %s)", have_control ? control.buf : "unknown");
	}
	strbuf_release(&control);
	strbuf_release(&active);
}

/* Would the (possibly fake) identity be allowed to write the file described by st? */
static int may_write(const struct ctx *x, const char *path, const struct stat *st)
{
	if (!x->env->fake_ids)
		return access(path, W_OK) == 0;
	if (x->env->uid == 0)
		return 1;
	if (st->st_uid == x->env->uid)
		return !!(st->st_mode & S_IWUSR);
	if (in_groups(x, (unsigned)st->st_gid))
		return !!(st->st_mode & S_IWGRP);
	return !!(st->st_mode & S_IWOTH);
}

/* The device reads as a binary s32; a text number is accepted too (older kernels, fixtures). */
static int parse_dma_latency(const struct strbuf *sb, long *out)
{
	int text = sb->len > 0;
	int32_t v;

	for (size_t i = 0; i < sb->len; i++)
		if (!isdigit((unsigned char)sb->buf[i]) && !isspace((unsigned char)sb->buf[i]) &&
		    sb->buf[i] != '-')
			text = 0;
	if (text) {
		char buf[32];

		copy_str(buf, sizeof(buf), sb->buf);
		for (size_t n = strlen(buf); n && isspace((unsigned char)buf[n - 1]); n--)
			buf[n - 1] = '\0';
		return opt_parse_long(buf, INT32_MIN, INT32_MAX, out);
	}
	if (sb->len != sizeof(v))
		return -EINVAL;
	memcpy(&v, sb->buf, sizeof(v));
	*out = v;
	return 0;
}

static void check_dma_latency(struct ctx *x)
{
	struct lb_check *c = lb_check_add(x->sys, "cpu_dma_latency", "/dev/cpu_dma_latency");
	struct strbuf sb = STRBUF_INIT;
	char path[PATH_MAX], cur[96];
	struct stat st;
	long v;
	int writable;

	snprintf(path, sizeof(path), "%s/dev/cpu_dma_latency", x->root);
	if (stat(path, &st) < 0) {
		lb_check_value(c, LB_CHECK_INFO, "absent (kernel without CPU latency QoS)");
		return;
	}
	writable = may_write(x, path, &st);
	/* read without trimming: the binary value may end in a byte that looks like a blank */
	if (fs_read_file(path, &sb) == 0 && parse_dma_latency(&sb, &v) == 0) {
		x->nread++;
		snprintf(cur, sizeof(cur), "current limit %ld us (%s)", v,
			 v == DMA_LATENCY_DEFAULT ? "no request" : "some process holds a request");
	} else {
		snprintf(cur, sizeof(cur), "current limit unreadable");
	}
	if (writable) {
		lb_check_value(c, LB_CHECK_OK, "writable; %s", cur);
	} else {
		lb_check_value(c, LB_CHECK_WARN, "not writable; %s", cur);
		lb_check_advice(c, "run latency-bench as root, or let the audio group write it with a udev rule: "
			   "KERNEL==\"cpu_dma_latency\", GROUP=\"audio\", MODE=\"0660\" in "
			   "/etc/udev/rules.d/99-cpu-dma-latency.rules");
	}
	strbuf_release(&sb);
}

static void check_limits(struct ctx *x)
{
	const struct lb_syscheck_env *env = x->env;
	struct lb_check *c;
	unsigned uid = cur_uid(x);
	long rtprio = env->fake_ids ? env->rtprio_soft : rlimit_soft(RLIMIT_RTPRIO, 1);
	long memlock = env->fake_ids ? env->memlock_soft_kb : rlimit_soft(RLIMIT_MEMLOCK, 1024);
	char buf[64];

	c = lb_check_add(x->sys, "rtprio", "Real-time priority limit (RLIMIT_RTPRIO)");
	if (rtprio < 0)
		lb_check_value(c, LB_CHECK_OK, "unlimited");
	else if (uid == 0)
		lb_check_value(c, LB_CHECK_OK, "%ld (root may use any priority)", rtprio);
	else if (rtprio >= RTPRIO_MIN)
		lb_check_value(c, LB_CHECK_OK, "%ld", rtprio);
	else {
		lb_check_value(c, LB_CHECK_WARN, "%ld", rtprio);
		lb_check_advice(c, "add \"@audio - rtprio 95\" to /etc/security/limits.d/audio.conf, "
			   "join the audio group and log in again");
	}

	c = lb_check_add(x->sys, "memlock", "Locked memory limit (RLIMIT_MEMLOCK)");
	format_kib(buf, sizeof(buf), memlock);
	if (memlock < 0 || memlock >= MEMLOCK_MIN_KB)
		lb_check_value(c, LB_CHECK_OK, "%s", buf);
	else if (uid == 0)
		lb_check_value(c, LB_CHECK_OK, "%s (root is not limited)", buf);
	else {
		lb_check_value(c, LB_CHECK_WARN, "%s", buf);
		lb_check_advice(c, "add \"@audio - memlock unlimited\" to /etc/security/limits.d/audio.conf, "
			   "join the audio group and log in again");
	}
}

/* Field `idx` (0-based) of a colon-separated line into buf; 0 when missing. */
static int colon_field(const char *line, size_t len, int idx, char *buf, size_t size)
{
	const char *p = line, *end = line + len;

	for (int i = 0; i < idx; i++) {
		p = memchr(p, ':', (size_t)(end - p));
		if (!p)
			return 0;
		p++;
	}
	{
		const char *e = memchr(p, ':', (size_t)(end - p));
		size_t n = (size_t)((e ? e : end) - p);

		if (n >= size)
			n = size - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
	}
	return 1;
}

/* Find the line of /etc/group or /etc/passwd whose field `key_idx` equals key. */
static int find_entry(const char *text, int key_idx, const char *key, const char **line, size_t *len)
{
	for (const char *p = text; *p;) {
		const char *e = strchrnul(p, '\n');
		char field[256];

		if (colon_field(p, (size_t)(e - p), key_idx, field, sizeof(field)) && str_eq(field, key)) {
			*line = p;
			*len = (size_t)(e - p);
			return 1;
		}
		p = *e ? e + 1 : e;
	}
	return 0;
}

static int in_member_list(const char *members, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = members; *p;) {
		const char *e = strchrnul(p, ',');

		if ((size_t)(e - p) == n && !strncmp(p, name, n))
			return 1;
		p = *e ? e + 1 : e;
	}
	return 0;
}

static void check_audio_group(struct ctx *x)
{
	struct lb_check *c = lb_check_add(x->sys, "audio_group", "audio group membership");
	struct strbuf group = STRBUF_INIT, passwd = STRBUF_INIT;
	char gidbuf[32], members[2048], name[256], uidbuf[32];
	const char *line;
	size_t len;
	unsigned uid = cur_uid(x);
	long gid;

	if (uid == 0) {
		lb_check_value(c, LB_CHECK_INFO, "running as root");
		goto out;
	}
	if (read_rel(x, "/etc/group", &group) || !find_entry(group.buf, 0, "audio", &line, &len) ||
	    !colon_field(line, len, 2, gidbuf, sizeof(gidbuf)) ||
	    opt_parse_long(gidbuf, 0, UINT_MAX, &gid)) {
		lb_check_value(c, LB_CHECK_WARN, "no audio group in /etc/group");
		lb_check_advice(c, "create and join it: `sudo groupadd audio && sudo usermod -aG audio $USER`, "
			   "then log out and in again");
		goto out;
	}
	if (in_groups(x, (unsigned)gid)) {
		lb_check_value(c, LB_CHECK_OK, "member (audio is gid %ld)", gid);
		goto out;
	}
	if (!colon_field(line, len, 3, members, sizeof(members)))
		members[0] = '\0';
	snprintf(uidbuf, sizeof(uidbuf), "%u", uid);
	if (!read_rel(x, "/etc/passwd", &passwd) && find_entry(passwd.buf, 2, uidbuf, &line, &len) &&
	    colon_field(line, len, 0, name, sizeof(name)) && in_member_list(members, name)) {
		lb_check_value(c, LB_CHECK_WARN, "listed in /etc/group but not active in this session");
		lb_check_advice(c, "log out and in again (or reboot) so the audio group membership takes effect");
		goto out;
	}
	lb_check_value(c, LB_CHECK_WARN, "not a member (audio is gid %ld)", gid);
	lb_check_advice(c, "`sudo usermod -aG audio $USER`, then log out and in again");
out:
	strbuf_release(&group);
	strbuf_release(&passwd);
}

static void check_vm(struct ctx *x)
{
	struct lb_check *c;
	long swappiness, runtime, period;

	c = lb_check_add(x->sys, "swappiness", "Swappiness (vm.swappiness)");
	if (read_long(x, "/proc/sys/vm/swappiness", &swappiness))
		lb_check_value(c, LB_CHECK_INFO, "unknown");
	else if (swappiness <= SWAPPINESS_MAX)
		lb_check_value(c, LB_CHECK_OK, "%ld", swappiness);
	else {
		lb_check_value(c, LB_CHECK_WARN, "%ld", swappiness);
		lb_check_advice(c, "keep audio in RAM: `echo vm.swappiness=10 | sudo tee -a /etc/sysctl.d/90-audio.conf` "
			   "then `sudo sysctl --system`");
	}

	c = lb_check_add(x->sys, "rt_throttling", "RT throttling");
	if (read_long(x, "/proc/sys/kernel/sched_rt_runtime_us", &runtime) ||
	    read_long(x, "/proc/sys/kernel/sched_rt_period_us", &period) || period <= 0)
		lb_check_value(c, LB_CHECK_INFO, "unknown");
	else if (runtime < 0)
		lb_check_value(c, LB_CHECK_OK, "off (sched_rt_runtime_us = -1)");
	else if ((long long)runtime * 10 >= (long long)period * 9)
		/* the default 95 % only stops RT tasks that hog the CPU */
		lb_check_value(c, LB_CHECK_OK, "%ld of every %ld us (%ld%%)", runtime, period,
			  (long)((long long)runtime * 100 / period));
	else {
		lb_check_value(c, LB_CHECK_WARN, "%ld of every %ld us (%ld%%)", runtime, period,
			  (long)((long long)runtime * 100 / period));
		lb_check_advice(c, "throttling this strict stalls audio threads and breaks small ALSA buffers: "
			   "`echo kernel.sched_rt_runtime_us=950000 | sudo tee -a /etc/sysctl.d/90-audio.conf` "
			   "then `sudo sysctl --system`");
	}
}

static int is_sound_or_usb(const char *name)
{
	return starts_with(name, "snd_") || starts_with(name, "xhci");
}

/*
 * One /proc/interrupts line: "  16:   12  0   IO-APIC  16-fasteoi   ehci_hcd:usb1, snd_hda_intel:card0".
 * The action list is the last field, extended backwards over fields ending in ','.
 * Returns the number of actions (0 when the line is not a numbered IRQ) and their text in acts.
 */
static int irq_actions(const char *line, size_t len, int ncols, unsigned *irq, struct strbuf *acts)
{
	const char *p = line, *end = line + len, *tok[64];
	int ntok = 0, first, nact = 0;
	char *e;
	unsigned long v;

	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || !isdigit((unsigned char)*p))
		return 0;
	v = strtoul(p, &e, 10);
	if (e >= end || *e != ':' || v > UINT_MAX)
		return 0;
	*irq = (unsigned)v;
	p = e + 1;
	/* fields after the per-CPU counts, at most the last ARRAY_SIZE(tok) of them */
	for (int col = 0; p < end;) {
		const char *s;

		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p == end)
			break;
		s = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		if (col < ncols && isdigit((unsigned char)*s)) {
			col++;
			continue;
		}
		col = ncols;
		if (ntok == (int)ARRAY_SIZE(tok)) {
			memmove(tok, tok + 1, sizeof(tok) - sizeof(tok[0]));
			ntok--;
		}
		tok[ntok++] = s;
	}
	if (ntok < 2) /* the chip name alone: no action */
		return 0;
	first = ntok - 1;
	while (first > 1) {
		const char *q = tok[first - 1];

		while (q < end && !isspace((unsigned char)*q))
			q++;
		if (q[-1] != ',')
			break;
		first--;
	}
	strbuf_reset(acts);
	strbuf_add(acts, tok[first], (size_t)(end - tok[first]));
	rtrim(acts);
	for (const char *a = acts->buf; *a;) {
		const char *c = strchrnul(a, ',');

		nact++;
		a = *c ? c + 1 : c;
		while (*a == ' ')
			a++;
	}
	return nact;
}

static void check_irqs(struct ctx *x)
{
	struct lb_check *c = lb_check_add(x->sys, "irqs", "Sound and USB interrupts");
	struct strbuf sb = STRBUF_INIT, acts = STRBUF_INIT, shared = STRBUF_INIT, numbers = STRBUF_INIT,
		      exclusive = STRBUF_INIT;
	const char *p, *nl;
	int ncols = 0, nshared = 0, nfound = 0;

	if (read_rel(x, "/proc/interrupts", &sb)) {
		lb_check_value(c, LB_CHECK_INFO, "unknown (/proc/interrupts unreadable)");
		goto out;
	}
	nl = strchrnul(sb.buf, '\n');
	for (p = sb.buf; p < nl;) {
		while (p < nl && isspace((unsigned char)*p))
			p++;
		if (p < nl)
			ncols++;
		while (p < nl && !isspace((unsigned char)*p))
			p++;
	}
	for (p = *nl ? nl + 1 : nl; *p;) {
		const char *e = strchrnul(p, '\n');
		unsigned irq;
		int nact = irq_actions(p, (size_t)(e - p), ncols, &irq, &acts);
		int match = 0;

		p = *e ? e + 1 : e;
		for (const char *a = acts.buf; nact && *a;) {
			if (is_sound_or_usb(a))
				match = 1;
			a = strchrnul(a, ',');
			while (*a == ',' || *a == ' ')
				a++;
		}
		if (!match)
			continue;
		nfound++;
		if (nact > 1) {
			nshared++;
			strbuf_addf(&shared, "%sIRQ %u: %s", shared.len ? "; " : "", irq, acts.buf);
			strbuf_addf(&numbers, "%s%u", numbers.len ? ", " : "", irq);
		} else {
			strbuf_addf(&exclusive, "%sIRQ %u %s", exclusive.len ? ", " : "", irq, acts.buf);
		}
	}
	if (!nfound) {
		lb_check_value(c, LB_CHECK_INFO, "no snd_* or xhci interrupts");
	} else if (!nshared) {
		lb_check_value(c, LB_CHECK_OK, "exclusive: %s", exclusive.buf);
	} else {
		lb_check_value(c, LB_CHECK_WARN, "%s", shared.buf);
		lb_check_advice(c, "the sound or USB controller shares IRQ%s %s with other devices: plug the audio "
			   "interface into another USB port (or the card into another slot), or disable the "
			   "other device in the firmware; %s",
			   nshared > 1 ? "s" : "", numbers.buf,
			   x->threaded ? "IRQ thread priorities are tunable here, so also raise the sound "
					 "IRQ thread with rtirq" :
					 "with threadirqs you could also raise the sound IRQ thread with rtirq");
	}
out:
	strbuf_release(&sb);
	strbuf_release(&acts);
	strbuf_release(&shared);
	strbuf_release(&numbers);
	strbuf_release(&exclusive);
}

/* ---- the whole check ---- */

/*
 * The tracers latency-bench names causes with: timerlat (with a thread of its own, Linux 6.6)
 * and osnoise, as tracefs lists them, else as the kernel's configuration says.
 */
static void check_tracers(struct ctx *x)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	struct lb_check *c = lb_check_add(x->sys, "tracers", "Latency tracers (cause analysis)");
	struct strbuf sb = STRBUF_INIT;
	const char *config;
	char rel[PATH_MAX];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(rel, sizeof(rel), "%s/available_tracers", dirs[i]);
		if (!read_rel(x, rel, &sb))
			break;
	}
	if (i < ARRAY_SIZE(dirs) && has_word(sb.buf, "timerlat")) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s%s/osnoise/per_cpu/cpu0/timerlat_fd", x->root, dirs[i]);
		if (access(path, F_OK) == 0)
			lb_check_value(c, LB_CHECK_OK, "timerlat and osnoise, following latency-bench's own thread");
		else {
			lb_check_value(c, LB_CHECK_WARN, "timerlat without user-space threads (before Linux 6.6)");
			lb_check_advice(c, "latency-bench names causes with timerlat following its own thread: a kernel of 6.6 "
					"or later (kbuild --config audio sets the tracers)");
		}
	} else if (i < ARRAY_SIZE(dirs)) {
		lb_check_value(c, LB_CHECK_WARN, "absent (tracefs lists: %.200s)", sb.len ? sb.buf : "none");
		lb_check_advice(c, "without CONFIG_OSNOISE_TRACER and CONFIG_TIMERLAT_TRACER a run cannot name what made "
				"wakeups late: build with kbuild --config audio, which sets them (they cost nothing unused)");
	} else if ((config = kernel_config(x, &sb)) && config_y(config, "CONFIG_TIMERLAT_TRACER"))
		lb_check_value(c, LB_CHECK_OK, "CONFIG_TIMERLAT_TRACER=y (tracefs not readable here: a run as root uses it)");
	else if (config) {
		lb_check_value(c, LB_CHECK_WARN, "absent (CONFIG_TIMERLAT_TRACER is not set)");
		lb_check_advice(c, "without CONFIG_OSNOISE_TRACER and CONFIG_TIMERLAT_TRACER a run cannot name what made "
				"wakeups late: build with kbuild --config audio, which sets them (they cost nothing unused)");
	} else
		lb_check_value(c, LB_CHECK_INFO, "unknown (no tracefs and no kernel configuration readable)");
	strbuf_release(&sb);
}

int lb_syscheck_run(struct lb_system *sys, const struct lb_syscheck_env *env)
{
	struct ctx x = { .env = env, .root = env->root ? env->root : "", .sys = sys };
	struct strbuf sb = STRBUF_INIT;
	struct utsname uts;
	int have_uts = uname(&uts) == 0;

	memset(sys, 0, sizeof(*sys));
	copy_str(sys->kernel_release, sizeof(sys->kernel_release),
		 env->uts_release ? env->uts_release : have_uts ? uts.release : "");
	copy_str(sys->kernel_version, sizeof(sys->kernel_version),
		 env->uts_version ? env->uts_version : have_uts ? uts.version : "");
	copy_str(sys->machine, sizeof(sys->machine),
		 env->uts_machine ? env->uts_machine : have_uts ? uts.machine : "");

	if (!read_rel(&x, "/proc/cmdline", &sb))
		copy_str(sys->cmdline, sizeof(sys->cmdline), sb.buf);
	if (!read_rel(&x, "/sys/devices/system/cpu/online", &sb) && count_cpulist(sb.buf) > 0)
		sys->ncpus_online = count_cpulist(sb.buf);
	else if (!x.root[0])
		sys->ncpus_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
	strbuf_release(&sb);

	check_kernel(&x);
	check_preempt(&x);
	check_cmdline(&x);
	check_clocksource(&x);
	check_governor(&x);
	check_smt(&x);
	check_dma_latency(&x);
	check_limits(&x);
	check_audio_group(&x);
	check_vm(&x);
	check_irqs(&x);
	check_tracers(&x);

	if (!x.nread)
		return x.first_err ? x.first_err : -ENOENT;
	return 0;
}

int lb_syscheck_warnings(const struct lb_system *sys)
{
	int n = 0;

	for (int i = 0; i < sys->nchecks; i++)
		n += sys->checks[i].status == LB_CHECK_WARN;
	return n;
}

const char *lb_check_status_name(enum lb_check_status s)
{
	switch (s) {
	case LB_CHECK_OK:
		return "ok";
	case LB_CHECK_WARN:
		return "warn";
	case LB_CHECK_INFO:
		return "info";
	}
	return "unknown";
}
