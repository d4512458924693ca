/* plane-jack.c - the JACK plane: a jack2 client timing its process callbacks against the
 * cycle start, counting the server's xruns and reading its DSP load; optionally starts jackd */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jack/jack.h>
#include <jack/statistics.h>
#include "lb.h"

#define CLIENT_NAME "latency-bench"
#define SERVER_WAIT_NS (5 * LB_NSEC)      /* jackd started -> a client can connect */
#define SERVER_TERM_NS (3 * LB_NSEC)      /* SIGTERM -> SIGKILL */
#define POLL_NS (50 * 1000 * 1000ULL)     /* while waiting for jackd, and to stop */
#define LOAD_EVERY_NS (100 * 1000 * 1000ULL) /* how often the reporter reads the DSP load */
#define RT_EVERY_NS (100 * 1000 * 1000ULL)   /* one round-trip click in flight, this often */

/* jackd we started for the run: its log is nameless (unlinked at once) and read through fd */
struct jack_server {
	pid_t pid;
	int logfd;
	char name[128];
	off_t log_from, log_to;  /* the part of the log written while our client was active */
};

/* What the process, xrun and shutdown callbacks share with the reporter. */
struct jack_state {
	jack_client_t *client;
	struct lb_cpu *c;
	struct lb_run *r;
	jack_port_t *in, *out;
	uint64_t period_ns, frame_ns, over[LB_NBUDGETS];
	jack_nframes_t buffer;
	jack_time_t end_us;            /* callbacks from then on are not part of the run; 0 until activated */
	uint64_t start_ns;             /* lb_now_ns() at activation: xruns are logged from here */
	uint64_t from_ns;              /* lb_now_ns() once activated: the measured time starts */
	/* process thread only */
	int have_prev;
	uint64_t prev_ns;              /* lb_now_ns() at the previous callback */
	jack_nframes_t prev_frames;
	uint64_t seen_xruns;           /* xruns already taken into account by lateness() */
	int relock;                    /* JACK's loop is locking again after an xrun */
	uint64_t gap_base;             /* ns the loop's cycle start usually precedes the wakeup */
	/* round trip: the click in flight, in frame time */
	int rt_pending, rt_connected;  /* a click is on its way; out is connected to in */
	jack_nframes_t rt_sent_at;     /* frame in its cycle */
	uint64_t rt_sent_cycle, rt_next_cycle, rt_every, rt_timeout; /* in our cycles */
	/* set once by the process thread, read by the reporter after the run */
	int checked_policy, policy, rt_priority;
	/* set by the shutdown callback */
	int lost;
	char lost_reason[160];
};

/* libjack prints every failed connection attempt to stderr: our own message says it once */
static void jack_quiet(const char *msg)
{
	(void)msg;
}

/* ---- the real-time side: no allocation, no printing, no locks ---- */

/* In our own cycles, not JACK's frame time: the drivers move that on their own after an xrun. */
static void roundtrip(struct jack_state *s, jack_nframes_t nframes)
{
	struct lb_audio *a = &s->r->audio;
	const float *in = jack_port_get_buffer(s->in, nframes);
	float *out = jack_port_get_buffer(s->out, nframes);
	uint64_t cycle = s->c->cycles;
	jack_nframes_t i;

	/* the input is read before the output is written: what comes back was sent in an earlier cycle */
	if (s->rt_pending) {
		for (i = 0; i < nframes; i++)
			if (in[i] > 0.5f)
				break;
		if (i < nframes) {
			if (a->nrt < LB_RT_MAX)
				a->rt[a->nrt++] = (double)((cycle - s->rt_sent_cycle) * nframes + i) - (double)s->rt_sent_at;
			s->rt_pending = 0;
		} else if (cycle - s->rt_sent_cycle > s->rt_timeout) {
			a->rt_lost++;
			s->rt_pending = 0;
		}
	}
	memset(out, 0, nframes * sizeof(*out));
	if (!s->rt_pending && __atomic_load_n(&s->rt_connected, __ATOMIC_ACQUIRE) && cycle >= s->rt_next_cycle) {
		/* the click moves through the period, so no alignment is measured by accident */
		jack_nframes_t at = a->rt_sent % nframes;

		out[at] = 1.0f;
		s->rt_sent_at = at;
		s->rt_sent_cycle = cycle;
		s->rt_next_cycle = cycle + s->rt_every;
		s->rt_pending = 1;
		a->rt_sent++;
	}
}

/*
 * Lateness against the cycle's start. JACK's cycle start (jack_get_cycle_times) comes from its
 * delay-locked loop: the ideal tick, so a driver that woke late counts too. After an xrun the
 * loop is reset and takes hundreds of cycles to lock again, its cycle start lagging by whole
 * periods; meanwhile the start is the driver's actual wakeup, which JACK gives only to the
 * frame (jack_frames_since_cycle_start): the middle of that frame is taken.
 */
static uint64_t lateness(struct jack_state *s, jack_time_t entry_us, jack_time_t cycle_us)
{
	uint64_t xr = __atomic_load_n(&s->c->xruns, __ATOMIC_RELAXED);
	uint64_t dll = entry_us > cycle_us ? (entry_us - cycle_us) * 1000 : 0;
	uint64_t lo = (uint64_t)jack_frames_since_cycle_start(s->client) * s->frame_ns, hi = lo + s->frame_ns;
	uint64_t gap = dll > lo ? dll - lo : 0;

	if (xr != s->seen_xruns) {
		s->seen_xruns = xr;
		s->relock = 1;
	}
	/* a driver more than a period late would have been an xrun: the loop is off, not the driver */
	if (dll > hi + s->period_ns)
		s->relock = 1;
	if (s->relock && gap <= 2 * s->gap_base + s->frame_ns)
		s->relock = 0;
	/* the loop's start after our own entry is the loop running ahead, not a punctual driver */
	if (s->relock || entry_us < cycle_us)
		return lo + s->frame_ns / 2;
	/* how far the loop's start usually precedes the driver's wakeup, for knowing it locked again */
	if (!s->gap_base)
		s->gap_base = gap;
	else
		s->gap_base += ((int64_t)(gap < s->period_ns / 2 ? gap : s->period_ns / 2) - (int64_t)s->gap_base) / 64;
	return dll;
}

/*
 * PipeWire's RT module asks for SCHED_FIFO | SCHED_RESET_ON_FORK, and pthread_getschedparam
 * reports the flag with the policy: a thread at FIFO 88 is real-time all the same.
 */
static int is_realtime(int policy)
{
	policy &= ~SCHED_RESET_ON_FORK;
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

static int on_process(jack_nframes_t nframes, void *arg)
{
	struct jack_state *s = arg;
	struct lb_cpu *c = s->c;
	jack_time_t entry_us = jack_get_time(), cycle_us, next_us;
	uint64_t now = lb_now_ns(), lat;
	jack_nframes_t frames;
	float period_us;

	if (!s->checked_policy) {
		struct sched_param sp;
		int policy;

		if (pthread_getschedparam(pthread_self(), &policy, &sp) == 0) {
			s->policy = policy;
			s->rt_priority = sp.sched_priority;
			/* for the live view, while the run goes on */
			__atomic_store_n(&s->c->fifo, is_realtime(policy), __ATOMIC_RELAXED);
		}
		__atomic_store_n(&s->checked_policy, 1, __ATOMIC_RELEASE);
	}
	if (jack_get_cycle_times(s->client, &frames, &cycle_us, &next_us, &period_us) != 0 ||
	    entry_us >= __atomic_load_n(&s->end_us, __ATOMIC_ACQUIRE)) {
		if (s->in)
			memset(jack_port_get_buffer(s->out, nframes), 0, nframes * sizeof(float));
		return 0;
	}
	lat = lateness(s, entry_us, cycle_us);
	lb_cpu_sample(c, lat, s->over);
	if (s->have_prev) {
		uint64_t dt = now - s->prev_ns, m = 0, by_time = 0;
		jack_nframes_t df = frames - s->prev_frames;

		hist_add(&c->jitter, dt > s->period_ns ? dt - s->period_ns : s->period_ns - dt);
		/* cycles we were not called for (the frame time jumped), or periods in which no cycle
		 * ran at all (a driver restarting after an xrun need not count them in frames) */
		if (df > nframes && df < 0x80000000u)
			m = df / nframes - 1;
		if (dt > s->period_ns + s->period_ns / 2)
			by_time = (dt + s->period_ns / 2) / s->period_ns - 1;
		if (by_time > m)
			m = by_time;
		if (m)
			__atomic_store_n(&c->missed, c->missed + m, __ATOMIC_RELAXED);
	}
	s->have_prev = 1;
	s->prev_ns = now;
	s->prev_frames = frames;
	if (s->in)
		roundtrip(s, nframes);
	c->cycles++;
	return 0;
}

/* On libjack's notification thread: the process thread never touches the xrun log. */
static int on_xrun(void *arg)
{
	struct jack_state *s = arg;
	float delayed = jack_get_xrun_delayed_usecs(s->client);
	uint64_t now = lb_now_ns();

	lb_cpu_xrun(s->c, now > s->start_ns ? now - s->start_ns : 0,
		    delayed > 0 ? (uint64_t)((double)delayed * 1e3) : 0);
	return 0;
}

static void on_shutdown(jack_status_t code, const char *reason, void *arg)
{
	struct jack_state *s = arg;

	(void)code;
	snprintf(s->lost_reason, sizeof(s->lost_reason), "%s", reason && *reason ? reason : "no reason given");
	__atomic_store_n(&s->lost, 1, __ATOMIC_RELEASE);
}

/* ---- jackd for --start-server ---- */

static void sleep_ns(uint64_t ns)
{
	struct timespec t = { (time_t)(ns / LB_NSEC), (long)(ns % LB_NSEC) };

	nanosleep(&t, NULL);
}

/* The log's last non-empty line, for a message about why jackd did not come up. */
static void log_last_line(int fd, char *buf, size_t len)
{
	char tail[1024];
	struct stat st;
	off_t from;
	ssize_t n;
	char *end, *start;

	buf[0] = '\0';
	if (fstat(fd, &st) < 0)
		return;
	from = st.st_size > (off_t)sizeof(tail) - 1 ? st.st_size - (off_t)sizeof(tail) + 1 : 0;
	n = pread(fd, tail, sizeof(tail) - 1, from);
	if (n <= 0)
		return;
	tail[n] = '\0';
	end = tail + n;
	while (end > tail && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(tail, '\n');
	snprintf(buf, len, "%.*s", (int)len - 1, start ? start + 1 : tail);
}

/*
 * jackd's own xrun reports in the log between two offsets: the dummy driver's and other timed
 * drivers' "JackTimedDriver::Process XRun = N usec", the ALSA driver's "xrun of at least", and
 * the engine's "JackEngine::XRun: client ..." for a client that did not finish in time.
 */
static uint64_t log_count_xruns(int fd, off_t from, off_t to)
{
	char buf[8192], line[512];
	size_t used = 0;
	uint64_t n = 0;
	off_t at = from;

	while (at < to) {
		size_t want = sizeof(buf) < (size_t)(to - at) ? sizeof(buf) : (size_t)(to - at);
		ssize_t got = pread(fd, buf, want, at);

		if (got <= 0)
			break;
		at += got;
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] != '\n') {
				if (used < sizeof(line) - 1)
					line[used++] = buf[i];
				continue;
			}
			line[used] = '\0';
			used = 0;
			if (strstr(line, "JackTimedDriver::Process XRun") || strstr(line, "JackEngine::XRun:") ||
			    strstr(line, "xrun of at least"))
				n++;
		}
	}
	return n;
}

/* The jackd binary's version from the log's first line ("jackdmp 1.9.21"). */
static void log_version(int fd, char *buf, size_t len)
{
	char head[128];
	ssize_t n = pread(fd, head, sizeof(head) - 1, 0);

	buf[0] = '\0';
	if (n <= 0)
		return;
	head[n] = '\0';
	head[strcspn(head, "\r\n")] = '\0';
	if (!strncmp(head, "jackdmp ", 8))
		snprintf(buf, len, "%.*s", (int)len - 1, head + 8);
}

static int server_reap(struct jack_server *sv, uint64_t wait_ns)
{
	uint64_t until = lb_now_ns() + wait_ns;
	int st;

	for (;;) {
		pid_t p = waitpid(sv->pid, &st, WNOHANG);

		if (p == sv->pid || (p < 0 && errno != EINTR)) {
			sv->pid = 0;
			return 0;
		}
		if (lb_now_ns() >= until)
			return -ETIMEDOUT;
		sleep_ns(10 * 1000 * 1000);
	}
}

static void server_stop(struct jack_server *sv)
{
	if (sv->pid > 0) {
		kill(sv->pid, SIGTERM);
		if (server_reap(sv, SERVER_TERM_NS) < 0) {
			kill(sv->pid, SIGKILL);
			server_reap(sv, SERVER_TERM_NS);
		}
	}
	if (sv->logfd >= 0)
		close(sv->logfd);
	sv->logfd = -1;
}

/*
 * Start `jackd -n NAME -d dummy -r RATE -p PERIOD` in a process group of its own (a Ctrl-C
 * meant for us must not kill the server under the measurement), ended with us if we die,
 * its output going to a nameless log that we read back.
 */
static int server_start(struct lb_run *r, struct jack_server *sv)
{
	char tmpl[PATH_MAX], rate[16], period[16], prio[16];
	const char *tmp = getenv("TMPDIR");
	const char *argv[] = { "jackd", "-n", sv->name, "-P", prio, "-d", r->audio.start_server, "-r", rate,
			       "-p", period, NULL };
	int errpipe[2], err = 0;
	pid_t parent = getpid(), pid;
	ssize_t n;

	snprintf(tmpl, sizeof(tmpl), "%s/latency-bench-jackd-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	sv->logfd = mkostemp(tmpl, O_CLOEXEC);
	if (sv->logfd < 0) {
		err = -errno;
		snprintf(r->audio.error, sizeof(r->audio.error), "cannot create jackd's log '%.160s': %s", tmpl,
			 strerror(-err));
		return err;
	}
	unlink(tmpl);
	snprintf(rate, sizeof(rate), "%u", r->rate);
	snprintf(period, sizeof(period), "%u", r->period);
	/* our clients run just below the server: --priority is the server's, as for a timer thread */
	snprintf(prio, sizeof(prio), "%d", r->priority);
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		err = -errno;
		snprintf(r->audio.error, sizeof(r->audio.error), "cannot start jackd: %s", strerror(-err));
		return err;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(errpipe[0]);
		close(errpipe[1]);
		snprintf(r->audio.error, sizeof(r->audio.error), "cannot start jackd: %s", strerror(-err));
		return err;
	}
	if (pid == 0) {
		sigset_t none;
		int fd, e;

		setpgid(0, 0);
		/* SIGTERM, not SIGKILL: jackd then removes its sockets and semaphores in /dev/shm */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(126);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, 0) < 0 || dup2(sv->logfd, 1) < 0 || dup2(sv->logfd, 2) < 0)
			_exit(126);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], (char *const *)argv);
		e = errno;
		if (write(errpipe[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	setpgid(pid, pid);
	sv->pid = pid;
	close(errpipe[1]);
	do
		n = read(errpipe[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(errpipe[0]);
	if (n == (ssize_t)sizeof(err)) {
		server_reap(sv, SERVER_TERM_NS);
		snprintf(r->audio.error, sizeof(r->audio.error), "cannot run 'jackd': %s%s", strerror(err),
			 err == ENOENT ? " (install jackd2)" : "");
		return -err;
	}
	return 0;
}

/* jackd may still be setting up: try to connect until it answers, exits or takes too long. */
static jack_client_t *server_connect(struct lb_run *r, struct jack_server *sv, jack_options_t opts,
				     jack_status_t *status, int *err)
{
	uint64_t until = lb_now_ns() + SERVER_WAIT_NS;
	char last[160];
	int st;

	for (;;) {
		jack_client_t *client = jack_client_open(CLIENT_NAME, opts, status, sv->name);

		if (client || !(*status & JackServerFailed))
			return client;
		if (waitpid(sv->pid, &st, WNOHANG) == sv->pid) {
			sv->pid = 0;
			log_last_line(sv->logfd, last, sizeof(last));
			snprintf(r->audio.error, sizeof(r->audio.error), "jackd -d %s exited (%s %d): %s",
				 r->audio.start_server, WIFEXITED(st) ? "status" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), last[0] ? last : "no message");
			*err = -ECHILD;
			return NULL;
		}
		if (lb_now_ns() >= until) {
			log_last_line(sv->logfd, last, sizeof(last));
			snprintf(r->audio.error, sizeof(r->audio.error),
				 "jackd -d %s took more than %llu s to accept clients: %s", r->audio.start_server,
				 (unsigned long long)(SERVER_WAIT_NS / LB_NSEC), last[0] ? last : "no message");
			*err = -ETIMEDOUT;
			return NULL;
		}
		sleep_ns(POLL_NS);
	}
}

/* ---- the plane ---- */

/* --start-server with the name of a server that already runs: refuse rather than borrow it. */
static int server_running(struct lb_run *r, const char *name)
{
	jack_status_t status = 0;
	jack_client_t *client = jack_client_open(CLIENT_NAME, JackNoStartServer | JackServerName, &status, name);

	if (!client)
		return 0;
	jack_client_close(client);
	snprintf(r->audio.error, sizeof(r->audio.error),
		 "a JACK server '%s' is already running: measure it without --start-server, or name another with --device",
		 name);
	return -EEXIST;
}

static jack_client_t *open_client(struct lb_run *r, struct jack_server *sv, const char *server, const char *shown,
				  int *err)
{
	jack_options_t opts = JackNoStartServer | (server ? JackServerName : JackNullOption);
	jack_status_t status = 0;
	jack_client_t *client;

	*err = 0;
	if (sv)
		client = server_connect(r, sv, opts, &status, err);
	else
		client = jack_client_open(CLIENT_NAME, opts, &status, server);
	if (client || *err)
		return client;
	if (status & JackServerFailed) {
		snprintf(r->audio.error, sizeof(r->audio.error),
			 "no JACK server is running (server '%s'): start jackd, or use --start-server dummy",
			 shown);
		*err = -ECONNREFUSED;
	} else if (status & JackVersionError) {
		snprintf(r->audio.error, sizeof(r->audio.error),
			 "the JACK server '%s' speaks another protocol than this libjack", shown);
		*err = -EPROTO;
	} else {
		snprintf(r->audio.error, sizeof(r->audio.error),
			 "cannot open a client of the JACK server '%s' (jack_status_t 0x%x)", shown,
			 (unsigned)status);
		*err = -EIO;
	}
	return NULL;
}

static int setup_roundtrip(struct jack_state *s)
{
	struct lb_run *r = s->r;

	s->out = jack_port_register(s->client, "rt_out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	s->in = jack_port_register(s->client, "rt_in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	if (!s->out || !s->in) {
		snprintf(r->audio.error, sizeof(r->audio.error), "cannot register the round trip's ports");
		return -EIO;
	}
	s->rt_every = RT_EVERY_NS / s->period_ns + 2;
	s->rt_timeout = LB_NSEC / s->period_ns + 2; /* a click not back within a second is lost */
	r->audio.channels = 1;
	/* through the server, as any client's output reaches another's input: one period of buffering */
	r->audio.rt_buffering = s->buffer;
	return 0;
}

static int connect_roundtrip(struct jack_state *s)
{
	int e = jack_connect(s->client, jack_port_name(s->out), jack_port_name(s->in));

	if (e && e != EEXIST) {
		snprintf(s->r->audio.error, sizeof(s->r->audio.error), "cannot connect '%s' to '%s'",
			 jack_port_name(s->out), jack_port_name(s->in));
		return -EIO;
	}
	/* the first cycles after the connection may still run the old graph: start a little later */
	s->rt_next_cycle = __atomic_load_n(&s->c->cycles, __ATOMIC_RELAXED) + 4;
	__atomic_store_n(&s->rt_connected, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Pin JACK's process thread when --cpus gave one CPU. */
static int pin_thread(struct jack_state *s)
{
	struct lb_cpu *c = s->c;
	cpu_set_t set;
	int e;

	if (c->cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(c->cpu, &set);
	e = pthread_setaffinity_np(jack_client_thread_id(s->client), sizeof(set), &set);
	if (e) {
		snprintf(s->r->audio.error, sizeof(s->r->audio.error),
			 "cannot pin the JACK process thread to CPU %d: %s", c->cpu, strerror(e));
		return -e;
	}
	return 0;
}

/*
 * The reporter: the process thread belongs to libjack, so this thread sleeps in short steps
 * until the end, reading the DSP load and calling progress; ends early on *stop or shutdown.
 */
static void report_until_end(struct jack_state *s, volatile sig_atomic_t *stop, uint64_t end_ns,
			     lb_progress_fn progress, void *data)
{
	struct lb_run *r = s->r;
	uint64_t every = r->report_ns ? r->report_ns : LB_NSEC;
	uint64_t next_report = s->start_ns + every, next_load = s->start_ns + LOAD_EVERY_NS, nload = 0;
	double load_sum = 0;

	for (;;) {
		uint64_t now = lb_now_ns(), wake;

		if (*stop || __atomic_load_n(&s->lost, __ATOMIC_ACQUIRE) || now >= end_ns)
			break;
		if (now >= next_load) {
			double load = jack_cpu_load(s->client);

			if (load >= 0) {
				load_sum += load;
				nload++;
				if (load > r->audio.dsp_load_max)
					r->audio.dsp_load_max = load;
			}
			next_load += LOAD_EVERY_NS;
		}
		if (now >= next_report) {
			if (progress)
				progress(r, (double)(now - s->start_ns) / 1e9, data);
			next_report += every;
		}
		wake = next_load < next_report ? next_load : next_report;
		if (wake > end_ns)
			wake = end_ns;
		sleep_ns(wake > now ? wake - now : 0);
	}
	r->audio.dsp_load_mean = nload ? load_sum / (double)nload : -1;
	if (!nload)
		r->audio.dsp_load_max = -1;
}

static char started_name[128];

int lb_plane_jack(struct lb_run *r, volatile sig_atomic_t *stop, lb_progress_fn progress, void *data)
{
	struct jack_state *s;
	struct jack_server sv = { .logfd = -1 };
	struct lb_cpu *c = &r->cpu[0];
	const char *server = r->audio.device;
	const char *shown = server ? server : getenv("JACK_DEFAULT_SERVER");
	sigset_t all, old;
	uint64_t end_ns;
	int err = 0, dma_fd = -1, activated = 0;
	unsigned i;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->r = r;
	s->c = c;
	snprintf(c->name, sizeof(c->name), "jack");
	r->audio.dsp_load_mean = r->audio.dsp_load_max = -1;
	jack_set_error_function(jack_quiet);
	jack_set_info_function(jack_quiet);
	if (r->audio.start_server) {
		if (server && strlen(server) >= sizeof(sv.name)) {
			snprintf(r->audio.error, sizeof(r->audio.error), "the server name '%.40s...' is longer than %zu characters",
				 server, sizeof(sv.name) - 1);
			err = -ENAMETOOLONG;
			goto out;
		}
		if (server)
			snprintf(sv.name, sizeof(sv.name), "%s", server);
		else
			snprintf(sv.name, sizeof(sv.name), "latency-bench-%d", (int)getpid());
		server = shown = sv.name;
		/* the result names the server it measured; the plane runs once per process */
		snprintf(started_name, sizeof(started_name), "%s", sv.name);
		r->audio.device = started_name;
		/* else we would connect to the running one and call it ours */
		if ((err = server_running(r, server)) || (err = server_start(r, &sv)))
			goto out;
	}
	if (!shown)
		shown = "default";

	/* libjack's threads take no signals: the reporter (this thread) handles Ctrl-C */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	s->client = open_client(r, r->audio.start_server ? &sv : NULL, server, shown, &err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->client)
		goto out;
	if (r->audio.start_server) {
		char version[32];

		log_version(sv.logfd, version, sizeof(version));
		r->audio.server_started = 1;
		snprintf(r->audio.card, sizeof(r->audio.card), "jackd%s%s, %s driver", version[0] ? " " : "", version,
			 r->audio.start_server);
	} else
		snprintf(r->audio.card, sizeof(r->audio.card), "JACK server '%.100s'", shown);

	r->audio.rate = jack_get_sample_rate(s->client);
	r->audio.period = s->buffer = jack_get_buffer_size(s->client);
	snprintf(r->audio.format, sizeof(r->audio.format), "float32");
	if (!r->audio.rate || !s->buffer) {
		snprintf(r->audio.error, sizeof(r->audio.error), "the JACK server '%s' reports a rate of %u Hz and %u frames",
			 shown, r->audio.rate, s->buffer);
		err = -EIO;
		goto out;
	}
	r->interval_ns = (uint64_t)((double)s->buffer * 1e9 / r->audio.rate + 0.5);
	s->period_ns = r->interval_ns;
	s->frame_ns = (uint64_t)(1e9 / r->audio.rate + 0.5);
	for (i = 0; i < LB_NBUDGETS; i++)
		s->over[i] = (uint64_t)(lb_budget_fractions[i] * (double)s->period_ns);
	if (r->audio.roundtrip && (err = setup_roundtrip(s)))
		goto out;
	if (jack_set_process_callback(s->client, on_process, s) || jack_set_xrun_callback(s->client, on_xrun, s)) {
		snprintf(r->audio.error, sizeof(r->audio.error), "cannot set the JACK client's callbacks");
		err = -EIO;
		goto out;
	}
	jack_on_info_shutdown(s->client, on_shutdown, s);

	dma_fd = lb_dma_latency_hold(r);
	r->memory_locked = lb_memory_lock();
	s->start_ns = lb_now_ns();
	if (sv.logfd >= 0) {
		struct stat st;
		sv.log_from = fstat(sv.logfd, &st) == 0 ? st.st_size : 0;
	}
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = jack_activate(s->client) ? -EIO : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		snprintf(r->audio.error, sizeof(r->audio.error), "cannot activate the JACK client");
		goto out;
	}
	activated = 1;
	c->started = 1;
	/*
	 * the run's time starts once the server has the client in its graph: activation waits for
	 * jackd's (not real-time) request thread, which a loaded machine can delay by many periods
	 */
	s->from_ns = lb_now_ns();
	end_ns = s->from_ns + (uint64_t)(r->duration_s * 1e9);
	__atomic_store_n(&s->end_us, jack_get_time() + (jack_time_t)(r->duration_s * 1e6), __ATOMIC_RELEASE);
	if ((err = pin_thread(s)) || (r->audio.roundtrip && (err = connect_roundtrip(s))))
		goto out;

	report_until_end(s, stop, end_ns, progress, data);
	{
		uint64_t end = lb_now_ns();

		r->interrupted = *stop && end < end_ns;
		if (end > end_ns)
			end = end_ns;
		r->elapsed_s = end > s->from_ns ? (double)(end - s->from_ns) / 1e9 : 0;
	}
	if (__atomic_load_n(&s->lost, __ATOMIC_ACQUIRE)) {
		r->audio.device_lost = 1;
		snprintf(r->audio.error, sizeof(r->audio.error), "the JACK server '%.64s' went away during the run: %.120s",
			 shown, s->lost_reason);
		err = -ENODEV;
	}

out:
	if (s->client) {
		if (activated && !r->audio.device_lost)
			jack_deactivate(s->client);
		jack_client_close(s->client);
	}
	if (sv.logfd >= 0) {
		struct stat st;
		sv.log_to = fstat(sv.logfd, &st) == 0 ? st.st_size : 0;
	}
	if (__atomic_load_n(&s->checked_policy, __ATOMIC_ACQUIRE)) {
		c->fifo = is_realtime(s->policy);
		r->sched_fifo = c->fifo;
		r->audio.thread_priority = c->fifo ? s->rt_priority : 0;
	}
	if (r->audio.roundtrip && s->rt_pending)
		r->audio.rt_sent--; /* still on its way when the run ended: neither back nor lost */
	if (r->audio.roundtrip)
		lb_audio_roundtrip_finish(&r->audio);
	if (activated && sv.logfd >= 0 && sv.log_to > sv.log_from)
		r->audio.server_xruns = log_count_xruns(sv.logfd, sv.log_from, sv.log_to);
	server_stop(&sv);
	if (r->memory_locked)
		munlockall();
	lb_dma_latency_release(dma_fd);
	r->realtime = r->sched_fifo && r->memory_locked;
	free(s);
	return err;
}
