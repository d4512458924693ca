/* test-lb-syscheck.c - unit tests for the system check: fixture roots with fake /proc, /sys, /dev, /etc, /boot, and the real system */
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "fs.h"
#include "strbuf.h"
#include "syscheck.h"

#define KBUILD_RT "build a PREEMPT_RT kernel with `./kbuild --patch ll --config audio`"
#define GRUB_HOWTO "GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, then `sudo update-grub`"

/*
 * Git keeps no file modes beyond the executable bit, so a fixture cannot say who may write its
 * /dev/cpu_dma_latency: a scratch root links every top-level directory of the fixture and holds
 * a copy of dev/ whose files get `dev_mode`. Caller removes the tree and frees the path.
 */
static char *stage(const char *name, mode_t dev_mode)
{
	char *rel = xasprintf("syscheck/%s", name), *fix = fixture(rel), *abs = fs_absolute(fix);
	char *root = tap_scratch_dir("syscheck");
	struct dirent *de;
	DIR *dir = opendir(abs);

	if (!dir) {
		perror(abs);
		abort();
	}
	while ((de = readdir(dir))) {
		char *src, *dst;

		if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
			continue;
		src = xasprintf("%s/%s", abs, de->d_name);
		dst = xasprintf("%s/%s", root, de->d_name);
		if (!str_eq(de->d_name, "dev")) {
			if (symlink(src, dst) < 0) {
				perror(dst);
				abort();
			}
		} else {
			struct dirent *f;
			DIR *dev = opendir(src);

			if (!dev || mkdir(dst, 0755) < 0) {
				perror(dst);
				abort();
			}
			while ((f = readdir(dev))) {
				struct strbuf sb = STRBUF_INIT;
				char *from, *to;

				if (f->d_name[0] == '.')
					continue;
				from = xasprintf("%s/%s", src, f->d_name);
				to = xasprintf("%s/%s", dst, f->d_name);
				if (fs_read_file(from, &sb) < 0 || fs_write_atomic(to, sb.buf, sb.len, NULL) < 0 ||
				    chmod(to, dev_mode) < 0) {
					perror(to);
					abort();
				}
				strbuf_release(&sb);
				free(from);
				free(to);
			}
			closedir(dev);
		}
		free(src);
		free(dst);
	}
	closedir(dir);
	free(rel);
	free(fix);
	free(abs);
	return root;
}

static void unstage(char *root)
{
	ok(fs_remove_tree(root) == 0, "scratch root %s removed", root);
	free(root);
}

static const struct lb_check *find_check(const struct lb_system *sys, const char *id)
{
	for (int i = 0; i < sys->nchecks; i++)
		if (str_eq(sys->checks[i].id, id))
			return &sys->checks[i];
	return NULL;
}

/* One check: status, exact value and exact advice ("" when none is expected). */
static void is_check(const struct lb_system *sys, const char *id, const char *status, const char *value,
		     const char *advice)
{
	const struct lb_check *c = find_check(sys, id);

	if (!ok(c, "%s: check present", id))
		return;
	is_str(lb_check_status_name(c->status), status, "%s: status", id);
	is_str(c->value, value, "%s: value", id);
	is_str(c->advice, advice, "%s: advice", id);
}

/* Every check has an id, a title and a value, and advice exactly when it warns. */
static void is_consistent(const struct lb_system *sys, const char *what)
{
	int bad = 0;

	for (int i = 0; i < sys->nchecks; i++) {
		const struct lb_check *c = &sys->checks[i];

		if (!c->id[0] || !c->title[0] || !c->value[0] ||
		    (c->status == LB_CHECK_WARN) != (c->advice[0] != '\0')) {
			printf("# inconsistent check %d '%s': value '%s' advice '%s'\n", i, c->id, c->value,
			       c->advice);
			bad++;
		}
		for (int j = 0; j < i; j++)
			if (str_eq(c->id, sys->checks[j].id)) {
				printf("# duplicate check id '%s'\n", c->id);
				bad++;
			}
	}
	ok(!bad, "%s: every check has id, title, value, and advice exactly when it warns", what);
}

static const char *const all_ids[] = {
	"release", "version", "preempt", "threadirqs", "isolcpus", "nohz_full", "mitigations",
	"clocksource", "governor", "smt", "cpu_dma_latency", "rtprio", "memlock", "audio_group",
	"swappiness", "rt_throttling", "irqs", "tracers",
};

static void test_status_names(void)
{
	struct lb_system *sys = calloc(1, sizeof(*sys));

	is_str(lb_check_status_name(LB_CHECK_OK), "ok", "status name ok");
	is_str(lb_check_status_name(LB_CHECK_WARN), "warn", "status name warn");
	is_str(lb_check_status_name(LB_CHECK_INFO), "info", "status name info");
	sys->nchecks = 3;
	sys->checks[0].status = LB_CHECK_WARN;
	sys->checks[1].status = LB_CHECK_OK;
	sys->checks[2].status = LB_CHECK_WARN;
	is_int(lb_syscheck_warnings(sys), 2, "warnings counts WARN only");
	free(sys);
}

static void test_rt_good(void)
{
	char *root = stage("rt-good", 0666);
	struct lb_syscheck_env env = {
		.root = root,
		.uts_release = "6.12.8-rt-audio",
		.uts_version = "#1 SMP PREEMPT_RT Thu Jan  2 12:00:00 UTC 2025",
		.uts_machine = "x86_64",
		.fake_ids = 1, .uid = 1000, .ngroups = 2, .groups = { 1000, 29 },
		.rtprio_soft = 95, .memlock_soft_kb = -1,
	};
	struct lb_system *sys = malloc(sizeof(*sys));

	is_int(lb_syscheck_run(sys, &env), 0, "rt-good: runs");
	is_int(sys->nchecks, (int)ARRAY_SIZE(all_ids), "rt-good: number of checks");
	for (int i = 0; i < sys->nchecks && i < (int)ARRAY_SIZE(all_ids); i++)
		is_str(sys->checks[i].id, all_ids[i], "rt-good: check %d id", i);
	is_int(lb_syscheck_warnings(sys), 0, "rt-good: no warnings");
	is_consistent(sys, "rt-good");

	is_str(sys->kernel_release, "6.12.8-rt-audio", "rt-good: kernel_release");
	is_str(sys->kernel_version, "#1 SMP PREEMPT_RT Thu Jan  2 12:00:00 UTC 2025", "rt-good: kernel_version");
	is_str(sys->machine, "x86_64", "rt-good: machine");
	is_str(sys->preemption_model, "PREEMPT_RT", "rt-good: preemption_model");
	/* tracefs lists timerlat and has the user-space thread's file */
	is_check(sys, "tracers", "ok", "timerlat and osnoise, following latency-bench's own thread", "");
	is_int(sys->realtime, 1, "rt-good: realtime");
	is_str(sys->clocksource, "tsc", "rt-good: clocksource");
	is_int(sys->ncpus_online, 4, "rt-good: ncpus_online");
	is_str(sys->cmdline, "BOOT_IMAGE=/boot/vmlinuz-6.12.8-rt-audio "
	       "root=UUID=6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0 ro quiet isolcpus=3 nohz_full=3",
	       "rt-good: cmdline");

	is_check(sys, "release", "info", "6.12.8-rt-audio", "");
	is_check(sys, "version", "info", "#1 SMP PREEMPT_RT Thu Jan  2 12:00:00 UTC 2025", "");
	is_check(sys, "preempt", "ok", "PREEMPT_RT", "");
	is_check(sys, "threadirqs", "ok", "on (forced by PREEMPT_RT)", "");
	is_check(sys, "isolcpus", "info", "3", "");
	is_check(sys, "nohz_full", "info", "3", "");
	is_check(sys, "mitigations", "info", "default (auto)", "");
	is_check(sys, "clocksource", "ok", "tsc", "");
	is_check(sys, "governor", "ok", "performance on all 4 CPUs", "");
	is_check(sys, "smt", "ok", "inactive (control: off)", "");
	is_check(sys, "cpu_dma_latency", "ok", "writable; current limit 2000000000 us (no request)", "");
	is_check(sys, "rtprio", "ok", "95", "");
	is_check(sys, "memlock", "ok", "unlimited", "");
	is_check(sys, "audio_group", "ok", "member (audio is gid 29)", "");
	is_check(sys, "swappiness", "ok", "10", "");
	is_check(sys, "rt_throttling", "ok", "950000 of every 1000000 us (95%)", "");
	is_check(sys, "irqs", "ok", "exclusive: IRQ 128 xhci_hcd, IRQ 130 snd_hda_intel:card0", "");
	free(sys);
	unstage(root);
}

static void desktop_env(struct lb_syscheck_env *env, const char *root)
{
	*env = (struct lb_syscheck_env){
		.root = root,
		.uts_release = "6.12.9-amd64",
		.uts_version = "#1 SMP PREEMPT_DYNAMIC Debian 6.12.9-1 (2025-01-10)",
		.uts_machine = "x86_64",
		.fake_ids = 1, .uid = 1000, .ngroups = 3, .groups = { 1000, 24, 100 },
		.rtprio_soft = 0, .memlock_soft_kb = 8192,
	};
}

static void test_desktop(void)
{
	char *root = stage("desktop", 0444);
	struct lb_syscheck_env env;
	struct lb_system *sys = malloc(sizeof(*sys));

	desktop_env(&env, root);
	is_int(lb_syscheck_run(sys, &env), 0, "desktop: runs");
	is_int(sys->nchecks, (int)ARRAY_SIZE(all_ids), "desktop: number of checks");
	is_int(lb_syscheck_warnings(sys), 12, "desktop: warnings");
	is_consistent(sys, "desktop");

	is_str(sys->preemption_model, "PREEMPT_DYNAMIC (voluntary)", "desktop: preemption_model");
	/* tracefs unreadable (not root): the configuration has the tracers */
	is_check(sys, "tracers", "ok", "CONFIG_TIMERLAT_TRACER=y (tracefs not readable here: a run as root uses it)", "");
	is_int(sys->realtime, 0, "desktop: realtime");
	is_str(sys->clocksource, "hpet", "desktop: clocksource");
	is_int(sys->ncpus_online, 4, "desktop: ncpus_online");

	is_check(sys, "release", "info", "6.12.9-amd64", "");
	is_check(sys, "preempt", "warn", "PREEMPT_DYNAMIC (voluntary)",
		 "boot with preempt=full (add it to " GRUB_HOWTO "), or " KBUILD_RT);
	is_check(sys, "threadirqs", "warn", "off",
		 "add threadirqs to the kernel command line (" GRUB_HOWTO
		 ") so interrupt handlers run as threads whose priority can be raised");
	is_check(sys, "isolcpus", "info", "not set", "");
	is_check(sys, "nohz_full", "info", "not set", "");
	is_check(sys, "mitigations", "info", "off (trades security for lower latency)", "");
	is_check(sys, "clocksource", "warn", "hpet",
		 "hpet is slow to read; the kernel gave up on the TSC (see `sudo dmesg | grep -i clocksource`): "
		 "update the BIOS/firmware, and boot with clocksource=tsc only if the TSC is known to be stable");
	is_check(sys, "governor", "warn", "cpu0-1 ondemand, cpu2 performance, cpu3 ondemand",
		 "switch to the performance governor while making music: "
		 "`sudo cpupower frequency-set -g performance` (package linux-cpupower)");
	is_check(sys, "smt", "warn", "active (control: on)",
		 "for the lowest jitter turn SMT (Hyper-Threading) off in the firmware setup, "
		 "or for this boot: `echo off | sudo tee /sys/devices/system/cpu/smt/control`");
	is_check(sys, "cpu_dma_latency", "warn", "not writable; current limit 0 us (some process holds a request)",
		 "run latency-bench as root, or let the audio group write it with a udev rule: "
		 "KERNEL==\"cpu_dma_latency\", GROUP=\"audio\", MODE=\"0660\" in "
		 "/etc/udev/rules.d/99-cpu-dma-latency.rules");
	is_check(sys, "rtprio", "warn", "0",
		 "add \"@audio - rtprio 95\" to /etc/security/limits.d/audio.conf, "
		 "join the audio group and log in again");
	is_check(sys, "memlock", "warn", "8 MiB",
		 "add \"@audio - memlock unlimited\" to /etc/security/limits.d/audio.conf, "
		 "join the audio group and log in again");
	is_check(sys, "audio_group", "warn", "not a member (audio is gid 29)",
		 "`sudo usermod -aG audio $USER`, then log out and in again");
	is_check(sys, "swappiness", "warn", "60",
		 "keep audio in RAM: `echo vm.swappiness=10 | sudo tee -a /etc/sysctl.d/90-audio.conf` "
		 "then `sudo sysctl --system`");
	is_check(sys, "rt_throttling", "warn", "500000 of every 1000000 us (50%)",
		 "throttling this strict stalls audio threads and breaks small ALSA buffers: "
		 "`echo kernel.sched_rt_runtime_us=950000 | sudo tee -a /etc/sysctl.d/90-audio.conf` "
		 "then `sudo sysctl --system`");
	is_check(sys, "irqs", "warn", "IRQ 16: ehci_hcd:usb1, snd_hda_intel:card0",
		 "the sound or USB controller shares IRQ 16 with other devices: plug the audio interface "
		 "into another USB port (or the card into another slot), or disable the other device in "
		 "the firmware; with threadirqs you could also raise the sound IRQ thread with rtirq");

	/* bob is listed in /etc/group but this session started before he was added */
	env.uid = 1001;
	env.ngroups = 2;
	env.groups[0] = 1001;
	env.groups[1] = 100;
	is_int(lb_syscheck_run(sys, &env), 0, "desktop as bob: runs");
	is_check(sys, "audio_group", "warn", "listed in /etc/group but not active in this session",
		 "log out and in again (or reboot) so the audio group membership takes effect");

	/* root needs neither the group nor the limits, and may write the QoS device */
	desktop_env(&env, root);
	env.uid = 0;
	env.ngroups = 1;
	env.groups[0] = 0;
	is_int(lb_syscheck_run(sys, &env), 0, "desktop as root: runs");
	is_int(lb_syscheck_warnings(sys), 8, "desktop as root: warnings");
	is_check(sys, "audio_group", "info", "running as root", "");
	is_check(sys, "rtprio", "ok", "0 (root may use any priority)", "");
	is_check(sys, "memlock", "ok", "8 MiB (root is not limited)", "");
	is_check(sys, "cpu_dma_latency", "ok", "writable; current limit 0 us (some process holds a request)", "");
	is_consistent(sys, "desktop as root");
	free(sys);
	unstage(root);
}

static void test_vm_minimal(void)
{
	char *root = stage("vm-minimal", 0666);
	struct lb_syscheck_env env = {
		.root = root,
		.uts_release = "6.1.0-vm",
		.uts_version = "#1 SMP PREEMPT_DYNAMIC Mon Jan  6 10:00:00 UTC 2025",
		.uts_machine = "x86_64",
		.fake_ids = 1, .uid = 1000, .ngroups = 1, .groups = { 1000 },
		.rtprio_soft = -1, .memlock_soft_kb = 256 * 1024,
	};
	struct lb_system *sys = malloc(sizeof(*sys));

	is_int(lb_syscheck_run(sys, &env), 0, "vm-minimal: runs");
	is_int(lb_syscheck_warnings(sys), 3, "vm-minimal: warnings");
	is_consistent(sys, "vm-minimal");
	is_str(sys->preemption_model, "PREEMPT_DYNAMIC (mode unknown)", "vm-minimal: preemption_model");
	is_int(sys->ncpus_online, 2, "vm-minimal: ncpus_online");
	is_str(sys->clocksource, "kvm-clock", "vm-minimal: clocksource");
	is_check(sys, "preempt", "warn", "PREEMPT_DYNAMIC (mode unknown)",
		 "boot with preempt=full (add it to " GRUB_HOWTO "), or " KBUILD_RT);
	is_check(sys, "threadirqs", "warn", "off",
		 "add threadirqs to the kernel command line (" GRUB_HOWTO
		 ") so interrupt handlers run as threads whose priority can be raised");
	is_check(sys, "mitigations", "info", "auto,nosmt", "");
	is_check(sys, "clocksource", "info", "kvm-clock (virtual machine: latency depends on the host)", "");
	is_check(sys, "governor", "info", "no cpufreq", "");
	is_check(sys, "smt", "info", "unknown (no SMT control in sysfs)", "");
	is_check(sys, "cpu_dma_latency", "info", "absent (kernel without CPU latency QoS)", "");
	is_check(sys, "rtprio", "ok", "unlimited", "");
	is_check(sys, "memlock", "ok", "256 MiB", "");
	is_check(sys, "audio_group", "warn", "no audio group in /etc/group",
		 "create and join it: `sudo groupadd audio && sudo usermod -aG audio $USER`, "
		 "then log out and in again");
	is_check(sys, "swappiness", "ok", "0", "");
	is_check(sys, "rt_throttling", "ok", "off (sched_rt_runtime_us = -1)", "");
	is_check(sys, "irqs", "info", "no snd_* or xhci interrupts", "");
	free(sys);
	unstage(root);
}

static void test_dyn_cmdline(void)
{
	char *fix = fixture("syscheck/dyn-cmdline");
	struct lb_syscheck_env env = {
		.root = fix,
		.uts_release = "6.1.0-28-amd64",
		.uts_version = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)",
		.uts_machine = "x86_64",
		.fake_ids = 1, .uid = 1000, .ngroups = 1, .groups = { 1000 },
		.rtprio_soft = 0, .memlock_soft_kb = 8192,
	};
	struct lb_system *sys = malloc(sizeof(*sys));

	is_int(lb_syscheck_run(sys, &env), 0, "dyn-cmdline: runs");
	is_consistent(sys, "dyn-cmdline");
	/* the last preempt= before "--" wins; what follows "--" belongs to init */
	is_check(sys, "preempt", "ok", "PREEMPT_DYNAMIC (full)", "");
	is_check(sys, "threadirqs", "ok", "on (threadirqs)", "");
	is_int(sys->ncpus_online, 0, "dyn-cmdline: no cpu/online in the fixture");
	is_check(sys, "irqs", "warn", "IRQ 16: snd_hda_intel:card0, i801_smbus; IRQ 17: xhci_hcd, snd_usb_audio",
		 "the sound or USB controller shares IRQs 16, 17 with other devices: plug the audio interface "
		 "into another USB port (or the card into another slot), or disable the other device in "
		 "the firmware; IRQ thread priorities are tunable here, so also raise the sound IRQ thread "
		 "with rtirq");
	free(sys);
	free(fix);
}

static void test_preempt_sources(void)
{
	char *rtcfg = fixture("syscheck/rt-config"), *old = fixture("syscheck/old-voluntary");
	struct lb_syscheck_env env = {
		.root = rtcfg, .uts_release = "6.12.8-rt", .uts_version = "", .uts_machine = "x86_64",
		.fake_ids = 1, .uid = 1000, .ngroups = 0, .rtprio_soft = 95, .memlock_soft_kb = -1,
	};
	struct lb_system *sys = malloc(sizeof(*sys));
	const char *no_switch = "this kernel cannot switch to full preemption at boot: " KBUILD_RT;

	is_int(lb_syscheck_run(sys, &env), 0, "rt-config: runs (config.gz is readable)");
	is_check(sys, "preempt", "ok", "PREEMPT_RT", "");
	is_int(sys->realtime, 1, "rt-config: realtime from CONFIG_PREEMPT_RT in /proc/config.gz");
	is_check(sys, "threadirqs", "ok", "on (forced by PREEMPT_RT)", "");
	is_check(sys, "version", "info", "unknown", "");
	is_consistent(sys, "rt-config");

	env.root = old;
	env.uts_release = "5.10.0-33-amd64";
	env.uts_version = "#1 SMP Debian 5.10.226-1 (2024-10-03)";
	is_int(lb_syscheck_run(sys, &env), 0, "old-voluntary: runs (/boot/config-RELEASE is readable)");
	is_str(sys->preemption_model, "PREEMPT_VOLUNTARY", "old-voluntary: preemption_model");
	/* no tracefs here: the configuration says the tracers are missing */
	is_check(sys, "tracers", "warn", "absent (CONFIG_TIMERLAT_TRACER is not set)",
		 "without CONFIG_OSNOISE_TRACER and CONFIG_TIMERLAT_TRACER a run cannot name what made wakeups late: "
		 "build with kbuild --config audio, which sets them (they cost nothing unused)");
	is_check(sys, "preempt", "warn", "PREEMPT_VOLUNTARY", no_switch);

	/* no config for this release: uname -v alone says "not preemptible" */
	env.uts_release = "5.10.0-34-amd64";
	is_int(lb_syscheck_run(sys, &env), -ENOENT, "old-voluntary, other release: nothing readable");
	is_str(sys->preemption_model, "unknown", "old-voluntary, other release: preemption_model");
	is_check(sys, "preempt", "warn",
		 "not preemptible (no PREEMPT in uname -v; PREEMPT_NONE or PREEMPT_VOLUNTARY)", no_switch);
	is_consistent(sys, "old-voluntary, other release");

	env.uts_version = "";
	is_int(lb_syscheck_run(sys, &env), -ENOENT, "no uname -v, no config: nothing readable");
	is_check(sys, "preempt", "warn", "unknown (no uname -v and no kernel config)", no_switch);

	/* "PREEMPT" alone (a CONFIG_PREEMPT kernel) is fully preemptible */
	env.uts_version = "#1 SMP PREEMPT Tue Jan 7 09:00:00 UTC 2025";
	lb_syscheck_run(sys, &env);
	is_check(sys, "preempt", "ok", "PREEMPT", "");

	env.root = "/nonexistent/kb-test-syscheck";
	is_int(lb_syscheck_run(sys, &env), -ENOENT, "missing root: -ENOENT");
	is_int(sys->nchecks, (int)ARRAY_SIZE(all_ids), "missing root: the checks are still filled");
	free(sys);
	free(rtcfg);
	free(old);
}

static void test_real_system(void)
{
	struct lb_syscheck_env env = { .root = "" };
	struct lb_system *sys = malloc(sizeof(*sys));
	struct utsname uts;

	uname(&uts);
	is_int(lb_syscheck_run(sys, &env), 0, "real system: runs");
	is_str(sys->kernel_release, uts.release, "real system: release matches uname(2)");
	ok(sys->nchecks > 10, "real system: %d checks", sys->nchecks);
	is_consistent(sys, "real system");
	for (int i = 0; i < sys->nchecks; i++)
		printf("# %-16s %-4s %s%s%s\n", sys->checks[i].id, lb_check_status_name(sys->checks[i].status),
		       sys->checks[i].value, sys->checks[i].advice[0] ? " -- " : "", sys->checks[i].advice);
	free(sys);
}

int main(void)
{
	test_status_names();
	test_rt_good();
	test_desktop();
	test_vm_minimal();
	test_dyn_cmdline();
	test_preempt_sources();
	test_real_system();
	return done_testing();
}
