/* plane-jack.c - the JACK plane: a client of jackd2 or of PipeWire's JACK timing its process
 * callbacks against the cycle start at the period asked, counting xruns beside the server's own
 * count and reading its DSP load; optionally starts jackd or a private PipeWire */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <jack/jack.h>
#include <jack/statistics.h>
#include "jack-dl.h"
#include "lb.h"

#define CLIENT_NAME "latency-bench"
#define SERVER_WAIT_NS (5 * LB_NSEC)      /* jackd started -> a client can connect */
#define SERVER_TERM_NS (3 * LB_NSEC)      /* SIGTERM -> SIGKILL */
#define POLL_NS (50 * 1000 * 1000ULL)     /* while waiting for jackd, and to stop */
#define LOAD_EVERY_NS (100 * 1000 * 1000ULL) /* how often the reporter reads the DSP load */
#define RT_EVERY_NS (100 * 1000 * 1000ULL)   /* one round-trip click in flight, this often */
#define SETTLE_CALLS 8                    /* callbacks in a row at one size: the server runs steadily */
#define SETTLE_NS (5 * LB_NSEC)           /* activated -> steady, or the server is stuck */
#define GRANT_NS (1500 * 1000 * 1000ULL)  /* steady at another size than asked this long: not granted */
#define PROFILE_WAIT_NS (3 * LB_NSEC)     /* PipeWire's profiler reports each second */
#define ANSWER_NS (10 * LB_NSEC)          /* a request to the server -> its answer, or it is stuck */
#define STOP_GRACE_NS (500 * 1000 * 1000ULL) /* Ctrl-C -> a request still unanswered is given up */
#define CALL_POLL_NS (2 * 1000 * 1000ULL) /* while a request waits for its answer */

/* jackd we started for the run: its log is nameless (unlinked at once) and read through fd */
struct jack_server {
	pid_t pid;
	int logfd;
	char name[128];
	off_t log_from, log_to;  /* the part of the log written while our client was active */
};

/*
 * PipeWire's JACK joins a client's own output to its own input inside the client, in the same
 * cycle, without the server: the round trip goes out through a second client instead, a cable
 * that copies its input to its output, and comes back over the link PipeWire makes a feedback
 * link (the one that closes the loop), one period later, as jackd's self-connection does.
 */
struct jack_return {
	jack_client_t *client;
	jack_port_t *in, *out;
};

/* What the process, xrun and shutdown callbacks share with the reporter. */
struct jack_state {
	jack_client_t *client;
	struct jack_return ret;        /* PipeWire's round trip */
	struct lb_cpu *c;
	struct lb_run *r;
	jack_port_t *in, *out;
	uint64_t period_ns, frame_ns, over[LB_NBUDGETS];
	jack_nframes_t buffer;
	int pipewire;                  /* the library is PipeWire's JACK */
	/* set by the reporter once the server runs steadily at the period measured */
	int measuring;                 /* the process thread takes samples */
	jack_time_t start_us;          /* callbacks before are not part of the run */
	jack_time_t end_us;            /* callbacks from then on are not part of the run */
	uint64_t start_ns;             /* lb_now_ns() at activation: xruns are logged from here */
	uint64_t from_ns;              /* lb_now_ns() once steady: the measured time starts */
	/* what the server runs the client at, published by the process thread */
	jack_nframes_t seen_frames;    /* nframes of the latest callback */
	uint64_t calls;                /* callbacks so far */
	jack_nframes_t changed_to;     /* a callback's nframes other than the period measured; 0 none */
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
	/* a request to the server was given up on: libjack is not called again */
	int stuck;
	/* our own connection to PipeWire, when the library is PipeWire's: it tells the server's end */
	struct lb_pw *pw;
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
	uint64_t lo, hi, gap;

	/* PipeWire's cycle start is its driver's own time of the cycle, with no loop to lock */
	if (s->pipewire)
		return dll;
	lo = (uint64_t)jack_frames_since_cycle_start(s->client) * s->frame_ns;
	hi = lo + s->frame_ns;
	gap = dll > lo ? dll - lo : 0;

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

/* Silence on the round trip's output in a cycle that is not measured. */
static void silence(struct jack_state *s, jack_nframes_t nframes)
{
	if (s->out)
		memset(jack_port_get_buffer(s->out, nframes), 0, nframes * sizeof(float));
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
			s->c->tid = (int)gettid();
			/* for the live view, while the run goes on */
			__atomic_store_n(&s->c->fifo, is_realtime(policy), __ATOMIC_RELAXED);
		}
		__atomic_store_n(&s->checked_policy, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&s->seen_frames, nframes, __ATOMIC_RELAXED);
	__atomic_store_n(&s->calls, s->calls + 1, __ATOMIC_RELEASE);
	if (!__atomic_load_n(&s->measuring, __ATOMIC_ACQUIRE) ||
	    jack_get_cycle_times(s->client, &frames, &cycle_us, &next_us, &period_us) != 0 ||
	    entry_us < s->start_us || entry_us >= s->end_us) {
		silence(s, nframes);
		return 0;
	}
	if (nframes != s->buffer) {
		/* the server changed the period: this cycle is not of the run, the reporter ends it */
		if (!s->changed_to)
			__atomic_store_n(&s->changed_to, nframes, __ATOMIC_RELEASE);
		silence(s, nframes);
		return 0;
	}
	lat = lateness(s, entry_us, cycle_us);
	lb_cpu_sample(c, lat, s->over);
	if (s->r->tracer && lat > s->r->causes.threshold_ns && now > lat)
		lb_causes_late(s->r->tracer, c->tid, now - lat, now, (double)(now - s->from_ns) / 1e9);
	if (s->have_prev) {
		uint64_t dt = now - s->prev_ns, m = 0, by_time = 0;
		jack_nframes_t df = frames - s->prev_frames;

		hist_add(&c->jitter, dt > s->period_ns ? dt - s->period_ns : s->period_ns - dt);
		/* cycles we were not called for (the frame time jumped), or periods in which no cycle
		 * ran at all (a driver restarting after an xrun need not count them in frames) */
		if (df > nframes && df < 0x80000000u)
			m = df / nframes - 1;
		/* PipeWire's drivers count every cycle in frames, even those run late to catch up: a
		 * callback that is only late is not a missed period there */
		if (dt > s->period_ns + s->period_ns / 2 && !s->pipewire)
			by_time = (dt + s->period_ns / 2) / s->period_ns - 1;
		if (by_time > m)
			m = by_time;
		if (m)
			__atomic_store_n(&c->missed, c->missed + m, __ATOMIC_RELAXED);
		/*
		 * PipeWire tells a client of no xrun of the graph (only of its driver's device): a
		 * cycle this client was not called for is one the graph could not finish for it
		 */
		if (m && s->pipewire)
			lb_cpu_xruns(c, m, now > s->start_ns ? now - s->start_ns : 0, m * s->period_ns);
	}
	s->have_prev = 1;
	__atomic_store_n(&s->prev_ns, now, __ATOMIC_RELAXED);
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

	/* PipeWire's: its driver's device xrun, counted from its profiler with the graph's */
	if (s->pipewire)
		return 0;
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

static void server_stop(struct jack_server *sv)
{
	lb_server_stop(&sv->pid, SERVER_TERM_NS);
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
	int err;

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
	err = lb_server_spawn(argv, NULL, sv->logfd, &sv->pid);
	if (err == -ENOENT)
		snprintf(r->audio.error, sizeof(r->audio.error), "cannot run 'jackd': %s (install jackd2)", strerror(-err));
	else if (err)
		snprintf(r->audio.error, sizeof(r->audio.error), "cannot start jackd: %s", strerror(-err));
	return err;
}

/* ---- requests that wait for the server's answer ---- */

/*
 * libjack waits for the server's answer to a request without a time limit. A server that is
 * stopped (SIGSTOP, a debugger) or hung in its own shutdown would hang the run, and Ctrl-C
 * with it: libjack's threads must not take signals, so they are blocked where libjack starts
 * them. Such requests run on a thread of their own, with every signal blocked (libjack's
 * threads inherit that); this thread waits for the answer, for Ctrl-C and for ANSWER_NS. A
 * request given up on is left to the end of the process, and libjack is not called again.
 */
struct server_call {
	int (*fn)(struct jack_state *s, void *arg);
	struct jack_state *s;
	int ret;
	int done;
	unsigned char arg[];  /* a copy: a thread given up on must not write to its caller's stack */
};

static void *server_call_thread(void *p)
{
	struct server_call *call = p;

	call->ret = call->fn(call->s, call->arg);
	__atomic_store_n(&call->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * fn(s, copy of arg) on a thread of its own: 0 with its return value in *ret and the copy
 * back in arg; -ETIMEDOUT when the server did not answer in ANSWER_NS, -EINTR when *stop
 * came and it still had not after STOP_GRACE_NS (both set s->stuck, and s must then stay
 * allocated); -errno when no thread could start.
 */
static int call_server(struct jack_state *s, volatile sig_atomic_t *stop, int (*fn)(struct jack_state *, void *),
		       void *arg, size_t size, int *ret)
{
	struct server_call *call;
	uint64_t until = lb_now_ns() + ANSWER_NS;
	sigset_t all, old;
	pthread_t t;
	int e;

	if (s->stuck)
		return -ETIMEDOUT;
	call = calloc(1, sizeof(*call) + size);
	if (!call)
		return -ENOMEM;
	call->fn = fn;
	call->s = s;
	if (size)
		memcpy(call->arg, arg, size);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&t, NULL, server_call_thread, call);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		free(call);
		return -e;
	}
	while (!__atomic_load_n(&call->done, __ATOMIC_ACQUIRE)) {
		uint64_t now = lb_now_ns();

		if (stop && *stop && until > now + STOP_GRACE_NS)
			until = now + STOP_GRACE_NS;
		if (now >= until) {
			/* the thread may still be in libjack: it keeps call, and the process's end takes both */
			pthread_detach(t);
			s->stuck = 1;
			return stop && *stop ? -EINTR : -ETIMEDOUT;
		}
		lb_sleep_ns(CALL_POLL_NS);
	}
	pthread_join(t, NULL);
	*ret = call->ret;
	if (size)
		memcpy(arg, call->arg, size);
	free(call);
	return 0;
}

/* The message for a request the server did not answer: "" for open and activation. */
static void say_no_answer(struct jack_state *s, const char *shown, const char *request, const char *then)
{
	snprintf(s->r->audio.error, sizeof(s->r->audio.error),
		 "the JACK server '%.64s' did not answer%s in %llu s: is it stopped (kill -CONT) or hung? %s", shown,
		 request, (unsigned long long)(ANSWER_NS / LB_NSEC), then);
}

/* What the request threads run. */
struct open_args {
	char server[256];  /* "" for the default one */
	jack_options_t opts;
	jack_status_t status;
	jack_client_t *client;
};

static int do_open(struct jack_state *s, void *arg)
{
	struct open_args *o = arg;

	(void)s;
	o->status = 0;
	o->client = jack_client_open(CLIENT_NAME, o->opts, &o->status, o->server[0] ? o->server : NULL);
	return 0;
}

static int do_activate(struct jack_state *s, void *arg)
{
	(void)arg;
	return jack_activate(s->client) ? -EIO : 0;
}

/*
 * Ports are unregistered before the client closes: PipeWire's libjack (0.3.65) forgets the
 * ports of a client it closes without freeing them.
 */
static void unregister(jack_client_t *client, jack_port_t **port)
{
	if (*port)
		jack_port_unregister(client, *port);
	*port = NULL;
}

/* The end of the client: deactivated (*activated), its ports unregistered, closed. */
static int do_close(struct jack_state *s, void *activated)
{
	if (*(int *)activated)
		jack_deactivate(s->client);
	unregister(s->client, &s->in);
	unregister(s->client, &s->out);
	jack_client_close(s->client);
	return 0;
}

/*
 * jack_client_open(server) through call_server: the client, or NULL with *status; NULL with
 * *err and the message when the server did not answer or Ctrl-C came
 */
static jack_client_t *client_open(struct jack_state *s, volatile sig_atomic_t *stop, const char *server,
				  const char *shown, jack_options_t opts, jack_status_t *status, int *err)
{
	struct open_args o = { .opts = opts };
	int unused;

	if (server && strlen(server) >= sizeof(o.server)) {
		snprintf(s->r->audio.error, sizeof(s->r->audio.error), "the server name '%.40s...' is longer than %zu "
			 "characters", server, sizeof(o.server) - 1);
		*err = -ENAMETOOLONG;
		return NULL;
	}
	snprintf(o.server, sizeof(o.server), "%s", server ? server : "");

	*err = call_server(s, stop, do_open, &o, sizeof(o), &unused);
	if (*err == -ETIMEDOUT)
		say_no_answer(s, shown, "", "Restart it");
	else if (*err && *err != -EINTR)
		snprintf(s->r->audio.error, sizeof(s->r->audio.error), "cannot start a thread to reach the JACK server: %s",
			 strerror(-*err));
	if (*err)
		return NULL;
	*status = o.status;
	return o.client;
}

/* jackd may still be setting up: try to connect until it answers, exits or takes too long. */
static jack_client_t *server_connect(struct jack_state *s, volatile sig_atomic_t *stop, struct jack_server *sv,
				     jack_options_t opts, jack_status_t *status, int *err)
{
	struct lb_run *r = s->r;
	uint64_t until = lb_now_ns() + SERVER_WAIT_NS;
	char last[160];
	int st;

	for (;;) {
		jack_client_t *client = client_open(s, stop, sv->name, sv->name, opts, status, err);

		if (client || *err || !(*status & JackServerFailed))
			return client;
		if (*stop) {
			*err = -EINTR;
			return NULL;
		}
		if (waitpid(sv->pid, &st, WNOHANG) == sv->pid) {
			sv->pid = 0;
			lb_log_last_line(sv->logfd, last, sizeof(last));
			snprintf(r->audio.error, sizeof(r->audio.error), "jackd -d %s exited (%s %d): %s",
				 r->audio.start_server, WIFEXITED(st) ? "status" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), last[0] ? last : "no message");
			*err = -ECHILD;
			return NULL;
		}
		if (lb_now_ns() >= until) {
			lb_log_last_line(sv->logfd, last, sizeof(last));
			snprintf(r->audio.error, sizeof(r->audio.error),
				 "jackd -d %s took more than %llu s to accept clients: %s", r->audio.start_server,
				 (unsigned long long)(SERVER_WAIT_NS / LB_NSEC), last[0] ? last : "no message");
			*err = -ETIMEDOUT;
			return NULL;
		}
		lb_sleep_ns(POLL_NS);
	}
}

/* ---- PipeWire's JACK ---- */

int lb_jack_is_pipewire(void)
{
	char why[256];
	const char *v;

	if (lb_jack_load(why, sizeof(why)))
		return 0;
	v = jack_get_version_string();

	return v && strstr(v, "PipeWire") != NULL;
}

#define PW_JACK_ENV "LATENCY_BENCH_PW_JACK" /* set when run again with PipeWire's libjack */

int lb_jack_use_pipewire(char **argv, struct strbuf *err)
{
	const char *dir = lb_pw_jack_dir(), *old = getenv("LD_LIBRARY_PATH");
	struct strbuf path = STRBUF_INIT, lib = STRBUF_INIT;
	char why[256];
	int e;

	if ((e = lb_jack_load(why, sizeof(why)))) {
		strbuf_addstr(err, why);
		return e;
	}
	if (lb_jack_is_pipewire()) {
		unsetenv(PW_JACK_ENV);
		return 0;
	}
	strbuf_addf(&lib, "%s/libjack.so.0", dir);
	if (access(lib.buf, R_OK) != 0) {
		strbuf_addf(err, "--start-server pipewire runs through PipeWire's JACK library, and '%s' is missing: "
			    "install pipewire-jack", lib.buf);
		strbuf_release(&lib);
		return -ENOENT;
	}
	strbuf_release(&lib);
	if (getenv(PW_JACK_ENV)) {
		strbuf_addf(err, "PipeWire's JACK library in '%s' did not take the place of this libjack (%s)", dir,
			    jack_get_version_string());
		return -ELIBBAD;
	}
	/* as pw-jack does: its directory first, for this process run again */
	strbuf_addstr(&path, dir);
	if (old && *old)
		strbuf_addf(&path, ":%s", old);
	setenv("LD_LIBRARY_PATH", path.buf, 1);
	setenv(PW_JACK_ENV, "1", 1);
	strbuf_release(&path);
	fflush(NULL);
	execv("/proc/self/exe", argv);
	e = errno;
	strbuf_addf(err, "cannot run latency-bench again with PipeWire's JACK library: %s", strerror(e));
	return -e;
}

/* ---- the plane ---- */

/* --start-server with the name of a server that already runs: refuse rather than borrow it. */
static int server_running(struct jack_state *s, volatile sig_atomic_t *stop, const char *name)
{
	struct lb_run *r = s->r;
	jack_status_t status = 0;
	int err;
	jack_client_t *client = client_open(s, stop, name, name, JackNoStartServer | JackServerName, &status, &err);

	if (err)
		return err;
	if (!client)
		return 0;
	jack_client_close(client);
	snprintf(r->audio.error, sizeof(r->audio.error),
		 "a JACK server '%s' is already running: measure it without --start-server, or name another with --device",
		 name);
	return -EEXIST;
}

/* No jackd: is there a PipeWire, which jackd2's libjack cannot talk to? */
static int pipewire_reachable(void)
{
	struct strbuf err = STRBUF_INIT;
	struct lb_pw *pw;
	int ok = lb_pw_connect(&pw, NULL, &err) == 0;

	if (ok)
		lb_pw_disconnect(pw);
	strbuf_release(&err);
	return ok;
}

static jack_client_t *open_client(struct jack_state *s, volatile sig_atomic_t *stop, struct jack_server *sv,
				  const char *server, const char *shown, int pipewire, int *err)
{
	struct lb_run *r = s->r;
	jack_options_t opts = JackNoStartServer | (server ? JackServerName : JackNullOption);
	jack_status_t status = 0;
	jack_client_t *client;

	*err = 0;
	if (sv)
		client = server_connect(s, stop, sv, opts, &status, err);
	else
		client = client_open(s, stop, server, shown, opts, &status, err);
	if (client || *err)
		return client;
	if ((status & JackServerFailed) && pipewire) {
		snprintf(r->audio.error, sizeof(r->audio.error),
			 "no PipeWire server is running (server '%.160s'), and this libjack is PipeWire's: start pipewire, "
			 "or use --start-server pipewire", shown);
		*err = -ECONNREFUSED;
	} else if ((status & JackServerFailed) && !server && pipewire_reachable()) {
		snprintf(r->audio.error, sizeof(r->audio.error),
			 "no JACK server is running (server '%.160s'), but PipeWire is: measure it through its JACK library "
			 "(pw-jack latency-bench ...), or start jackd, or use --start-server dummy or pipewire", shown);
		*err = -ECONNREFUSED;
	} else if (status & JackServerFailed) {
		snprintf(r->audio.error, sizeof(r->audio.error),
			 "no JACK server is running (server '%.160s'): start jackd, or use --start-server dummy or pipewire",
			 shown);
		*err = -ECONNREFUSED;
	} else if (status & JackVersionError) {
		snprintf(r->audio.error, sizeof(r->audio.error),
			 "the JACK server '%s' speaks another protocol than this libjack", shown);
		*err = -EPROTO;
	} else if (status & JackServerError) {
		snprintf(r->audio.error, sizeof(r->audio.error),
			 "the JACK server '%s' failed while the client connected (stopping, or crashed?): start it again",
			 shown);
		*err = -ECONNRESET;
	} else {
		snprintf(r->audio.error, sizeof(r->audio.error),
			 "cannot open a client of the JACK server '%s' (jack_status_t 0x%x)", shown,
			 (unsigned)status);
		*err = -EIO;
	}
	return NULL;
}

static int register_roundtrip(struct jack_state *s)
{
	s->out = jack_port_register(s->client, "rt_out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
	s->in = jack_port_register(s->client, "rt_in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
	if (!s->out || !s->in) {
		snprintf(s->r->audio.error, sizeof(s->r->audio.error), "cannot register the round trip's ports");
		return -EIO;
	}
	s->r->audio.channels = 1;
	return 0;
}

/* The cable of PipeWire's round trip: real time, no allocation. */
static int on_return(jack_nframes_t nframes, void *arg)
{
	struct jack_return *ret = arg;
	const float *in = jack_port_get_buffer(ret->in, nframes);
	float *out = jack_port_get_buffer(ret->out, nframes);

	memcpy(out, in, nframes * sizeof(*out));
	return 0;
}

static int open_return(struct jack_state *s, const char *server)
{
	struct jack_return *ret = &s->ret;
	jack_status_t status = 0;
	sigset_t all, old;
	int e = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret->client = jack_client_open(CLIENT_NAME "-return", JackNoStartServer | (server ? JackServerName : 0),
				       &status, server);
	if (ret->client) {
		ret->in = jack_port_register(ret->client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
		ret->out = jack_port_register(ret->client, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
		if (!ret->in || !ret->out || jack_set_process_callback(ret->client, on_return, ret) ||
		    jack_activate(ret->client))
			e = -EIO;
	} else {
		e = -EIO;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e)
		snprintf(s->r->audio.error, sizeof(s->r->audio.error),
			 "cannot open the second client the round trip goes through (jack_status_t 0x%x)", (unsigned)status);
	return e;
}

static void close_return(struct jack_return *ret)
{
	if (!ret->client)
		return;
	jack_deactivate(ret->client);
	unregister(ret->client, &ret->in);
	unregister(ret->client, &ret->out);
	jack_client_close(ret->client);
	ret->client = NULL;
}

static int connect_ports(struct jack_state *s, jack_port_t *from, jack_port_t *to)
{
	int e = jack_connect(s->client, jack_port_name(from), jack_port_name(to));

	if (e && e != EEXIST) {
		snprintf(s->r->audio.error, sizeof(s->r->audio.error), "cannot connect '%s' to '%s'", jack_port_name(from),
			 jack_port_name(to));
		return -EIO;
	}
	return 0;
}

static int connect_roundtrip(struct jack_state *s, const char *server)
{
	struct lb_run *r = s->r;
	int e;

	s->rt_every = RT_EVERY_NS / s->period_ns + 2;
	s->rt_timeout = LB_NSEC / s->period_ns + 2; /* a click not back within a second is lost */
	/* through the server, as any client's output reaches another's input: one period of buffering */
	r->audio.rt_buffering = s->buffer;
	if (s->pipewire)
		e = open_return(s, server) || connect_ports(s, s->out, s->ret.in) || connect_ports(s, s->ret.out, s->in) ?
		    -EIO : 0;
	else
		e = connect_ports(s, s->out, s->in);
	if (e)
		return e;
	/* the first cycles after the connection may still run the old graph: start a little later */
	s->rt_next_cycle = __atomic_load_n(&s->c->cycles, __ATOMIC_RELAXED) + 4;
	__atomic_store_n(&s->rt_connected, 1, __ATOMIC_RELEASE);
	return 0;
}

/* What the server says of the latency of the loop: our output's playback plus our input's capture latency. */
static void roundtrip_reported(struct jack_state *s)
{
	jack_latency_range_t in, out;

	jack_port_get_latency_range(s->in, JackCaptureLatency, &in);
	jack_port_get_latency_range(s->out, JackPlaybackLatency, &out);
	s->r->audio.rt_reported = in.max + out.max;
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
 * PipeWire's libjack (0.3.65) tells its client nothing when the server goes away: the
 * callbacks just stop. Our own connection to the server hears it close.
 */
static int server_gone(struct jack_state *s)
{
	int e = lb_pw_error(s->pw);

	if (e != -EPIPE)
		return 0;
	snprintf(s->lost_reason, sizeof(s->lost_reason), "PipeWire closed the connection");
	__atomic_store_n(&s->lost, 1, __ATOMIC_RELEASE);
	return 1;
}

/*
 * The periods from the last measured callback to the end of the run (end_ns) in which the
 * server called the client not at all (stopped, or gone without a word) are missed like any
 * other: a result must not read "0 missed" over seconds without a cycle.
 */
static void count_tail(struct jack_state *s, uint64_t end_ns)
{
	uint64_t last = __atomic_load_n(&s->prev_ns, __ATOMIC_RELAXED), m;

	if (last < s->from_ns)
		last = s->from_ns;
	if (end_ns <= last + s->period_ns + s->period_ns / 2)
		return;
	m = (end_ns - last + s->period_ns / 2) / s->period_ns - 1;
	__atomic_store_n(&s->c->missed, __atomic_load_n(&s->c->missed, __ATOMIC_RELAXED) + m, __ATOMIC_RELAXED);
}

/*
 * The reporter: the process thread belongs to libjack, so this thread sleeps in short steps
 * until the end, reading the DSP load and calling progress; ends early on *stop, shutdown or a
 * change of the period.
 */
static void report_until_end(struct jack_state *s, volatile sig_atomic_t *stop, uint64_t end_ns,
			     lb_progress_fn progress, void *data)
{
	struct lb_run *r = s->r;
	uint64_t every = r->report_ns ? r->report_ns : LB_NSEC;
	uint64_t next_report = s->from_ns + every, next_load = s->from_ns + LOAD_EVERY_NS, nload = 0;
	uint64_t poll_every = lb_causes_every_ns(r->tracer, every), last_poll = s->from_ns;
	double load_sum = 0;

	lb_causes_reporter_away(r->tracer);

	for (;;) {
		uint64_t now = lb_now_ns(), wake;

		if (*stop || __atomic_load_n(&s->lost, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&s->changed_to, __ATOMIC_ACQUIRE) || now >= end_ns)
			break;
		if (s->pw && server_gone(s))
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
		if (r->tracer && now >= last_poll + poll_every) {
			last_poll = now;
			lb_causes_poll(r->tracer, r);
		}
		if (now >= next_report) {
			lb_run_timeline_tick(r, (double)(now - s->from_ns) / 1e9, 0);
			if (progress)
				progress(r, (double)(now - s->from_ns) / 1e9, data);
			next_report += every;
		}
		wake = next_load < next_report ? next_load : next_report;
		if (wake > end_ns)
			wake = end_ns;
		if (wake > now + POLL_NS)
			wake = now + POLL_NS;
		lb_sleep_ns(wake > now ? wake - now : 0);
	}
	{
		uint64_t now = lb_now_ns();

		lb_run_timeline_tick(r, now > s->from_ns ? (double)(now - s->from_ns) / 1e9 : 0, 1);
	}
	r->audio.dsp_load_mean = nload ? load_sum / (double)nload : -1;
	if (!nload)
		r->audio.dsp_load_max = -1;
}

/*
 * Wait until the server calls the client steadily: SETTLE_CALLS callbacks in a row at one
 * period and rate, the ones asked when given (0: any). 0 with them in *frames and *rate;
 * -ETIMEDOUT when it runs steadily at others for GRANT_NS (they are in *frames and *rate), or
 * not at all (*frames 0); -EINTR when the run was stopped or the server went away.
 */
static int settle(struct jack_state *s, volatile sig_atomic_t *stop, jack_nframes_t want, jack_nframes_t want_rate,
		  jack_nframes_t *frames, jack_nframes_t *rate)
{
	uint64_t start = lb_now_ns(), changed = start, since = 0;
	jack_nframes_t last = 0, last_rate = 0;

	for (;;) {
		uint64_t calls = __atomic_load_n(&s->calls, __ATOMIC_ACQUIRE), now = lb_now_ns();
		jack_nframes_t f = __atomic_load_n(&s->seen_frames, __ATOMIC_RELAXED), sr = jack_get_sample_rate(s->client);
		int steady;

		if (f != last || sr != last_rate) {
			last = f;
			last_rate = sr;
			since = calls;
			changed = now;
		}
		steady = calls && calls >= since + SETTLE_CALLS;
		*frames = calls ? f : 0;
		*rate = sr;
		if (steady && (!want || f == want) && (!want_rate || sr == want_rate))
			return 0;
		if (*stop || __atomic_load_n(&s->lost, __ATOMIC_ACQUIRE))
			return -EINTR;
		if ((steady && now - changed >= GRANT_NS) || now - start >= SETTLE_NS)
			return -ETIMEDOUT;
		lb_sleep_ns(5 * 1000 * 1000);
	}
}

/* "64 frames at 48000 Hz", "64 frames", "48000 Hz": what the options asked for */
static void asked_text(const struct lb_run *r, char *buf, size_t len)
{
	const struct lb_audio *a = &r->audio;

	if (a->period_asked && a->rate_asked)
		snprintf(buf, len, "%u frames at %u Hz", r->period, r->rate);
	else if (a->period_asked)
		snprintf(buf, len, "%u frames", r->period);
	else
		snprintf(buf, len, "%u Hz", r->rate);
}

/* The server runs the client at another period or rate than asked: say why and what to do. */
static void not_granted(struct lb_run *r, const char *shown, int pipewire, jack_nframes_t frames, jack_nframes_t rate)
{
	struct lb_audio *a = &r->audio;
	const struct lb_pw_settings *ps = &a->pw_settings;
	char asked[40], why[96];

	asked_text(r, asked, sizeof(asked));
	if (!pipewire) {
		snprintf(a->error, sizeof(a->error),
			 "the JACK server '%.100s' runs at %u frames at %u Hz, not the %s asked for: restart jackd with -p %u "
			 "-r %u, or leave out --period and --rate to measure what it runs at", shown, frames, rate, asked,
			 r->period, r->rate);
	} else if (a->forced) {
		snprintf(a->error, sizeof(a->error),
			 "PipeWire runs the client at %u frames at %u Hz even with its quantum and rate forced to the %s "
			 "asked for: it rounds quanta down to a power of two (clock.power-of-two-quantum) and allows none "
			 "above clock.quantum-limit, or not this rate (clock.allowed-rates)", frames, rate, asked);
	} else {
		if (a->rate_asked && rate != r->rate)
			snprintf(why, sizeof(why), ps->force_rate ? "its clock.force-rate is %u" : "its graph runs at %u Hz",
				 rate);
		else if (ps->force_quantum)
			snprintf(why, sizeof(why), "its clock.force-quantum is %u", ps->force_quantum);
		else if (ps->min_quantum > r->period)
			snprintf(why, sizeof(why), "its clock.min-quantum is %u", ps->min_quantum);
		else if (ps->max_quantum && ps->max_quantum < r->period)
			snprintf(why, sizeof(why), "its clock.max-quantum is %u", ps->max_quantum);
		else
			snprintf(why, sizeof(why), "another client of its graph holds the quantum");
		snprintf(a->error, sizeof(a->error),
			 "PipeWire (server '%.100s') runs the client at %u frames at %u Hz, not the %s asked for (%s): add "
			 "--force-quantum to force it for the run (it is restored afterwards), or leave out --period and "
			 "--rate to measure what it runs at", shown, frames, rate, asked, why);
	}
}

/*
 * Force the period and rate asked through PipeWire's settings metadata for the run. The ledger
 * goes first, so that a run killed before it could restore them is undone by the janitor, or by
 * the next run.
 */
static int force_quantum(struct lb_run *r, struct lb_pw *pw, const char *remote, struct lb_pw_janitor *j,
			 jack_nframes_t frames, jack_nframes_t rate)
{
	const struct lb_pw_info *i = lb_pw_info(pw);
	const struct lb_pw_settings *ps = &i->settings;
	struct lb_pw_ledger before = { .pid = (long)getpid(), .quantum = ps->force_quantum, .rate = ps->force_rate };
	char ledger[96], v[16];
	int ret;

	/* another run forces it now (its ledger is there and it runs): its restore would undo ours */
	if (i->ledger_found && i->ledger.pid != before.pid && (kill((pid_t)i->ledger.pid, 0) == 0 || errno == EPERM)) {
		snprintf(r->audio.error, sizeof(r->audio.error),
			 "another latency-bench (pid %ld) forces PipeWire's quantum now: wait until it ends", i->ledger.pid);
		return -EBUSY;
	}
	lb_pw_ledger_format(&before, ledger, sizeof(ledger));
	ret = lb_pw_set(pw, LB_PW_LEDGER_KEY, ledger);
	if (!ret) {
		lb_pw_janitor_forced(j, remote, &before);
		r->audio.forced = 1;
		r->audio.forced_before = before;
	}
	if (!ret && r->audio.period_asked && frames != r->period) {
		snprintf(v, sizeof(v), "%u", r->period);
		ret = lb_pw_set(pw, "clock.force-quantum", v);
		r->audio.forced_quantum = r->period;
	}
	if (!ret && r->audio.rate_asked && rate != r->rate) {
		snprintf(v, sizeof(v), "%u", r->rate);
		ret = lb_pw_set(pw, "clock.force-rate", v);
		r->audio.forced_rate = r->rate;
	}
	if (ret)
		snprintf(r->audio.error, sizeof(r->audio.error),
			 "cannot force PipeWire's quantum through its settings metadata: %s", strerror(-ret));
	return ret;
}

/* Put the forced settings back; 0, or -errno (the janitor then tries when we end). */
static int restore_quantum(struct lb_run *r, struct lb_pw *pw, struct lb_pw_janitor *j)
{
	const struct lb_pw_ledger *b = &r->audio.forced_before;
	char q[16], rate[16];
	int ret;

	if (!r->audio.forced)
		return 0;
	snprintf(q, sizeof(q), "%u", b->quantum);
	snprintf(rate, sizeof(rate), "%u", b->rate);
	if ((ret = lb_pw_set(pw, "clock.force-quantum", q)) || (ret = lb_pw_set(pw, "clock.force-rate", rate)) ||
	    (ret = lb_pw_set(pw, LB_PW_LEDGER_KEY, NULL)))
		return ret;
	lb_pw_janitor_forced(j, NULL, NULL);
	return 0;
}

/* PipeWire's facts about the server before the run; an earlier killed run's force undone first. */
static void pw_describe(struct lb_run *r, struct lb_pw *pw)
{
	struct lb_audio *a = &r->audio;
	const struct lb_pw_info *i = lb_pw_info(pw);
	long pid = 0;

	if (lb_pw_repair(pw, &pid) == 1) {
		a->repaired_pid = pid;
		lb_pw_refresh(pw);
	}
	snprintf(a->server_version, sizeof(a->server_version), "%s", i->version);
	a->pw_settings = i->settings;
}

/* Our node in PipeWire's graph, by the serial in our JACK uuid, and its cycles from the profiler. */
static int pw_profile(struct jack_state *s, struct lb_pw *pw)
{
	char *uuid = jack_get_uuid_for_client_name(s->client, jack_get_client_name(s->client));
	unsigned long long u = uuid ? strtoull(uuid, NULL, 10) : 0;
	uint32_t id;
	int ret;

	if (uuid)
		jack_free(uuid);
	if (!(u & 0xffffffffULL))
		return -ENOENT;
	ret = lb_pw_node_by_serial(pw, (uint32_t)(u & 0xffffffffULL) - 1, &id);
	return ret ? ret : lb_pw_profile_start(pw, id);
}

/* The counts of ours and the server's side by side: agree, or why not. */
static void explain_xruns(struct lb_run *r, int pipewire)
{
	struct lb_audio *a = &r->audio;
	unsigned long long ours = lb_run_xruns(r), theirs = a->server_xruns, in_callback = a->in_callback;
	struct strbuf sb = STRBUF_INIT;

	if (!a->server_xruns_known)
		return;
	if (ours == theirs)
		strbuf_addf(&sb, "%s counted the same %llu", pipewire ? "PipeWire" : "jackd", theirs);
	else if (pipewire && ours + in_callback == theirs)
		strbuf_addf(&sb, "PipeWire counted the %llu cycles this client missed and %llu more in which a stall "
			    "caught the client inside its callback: it finished those late rather than missing them",
			    ours, in_callback);
	else if (pipewire && theirs > ours + in_callback)
		strbuf_addf(&sb, "PipeWire found %llu cycles unfinished by this client (%llu of them caught inside its "
			    "callback), the client missed %llu: PipeWire also counts a cycle the client served only after "
			    "the next one had begun (its late signal then ends the wrong cycle), and a cycle at the run's "
			    "edges is seen by one side only", theirs, in_callback, ours);
	else if (pipewire)
		strbuf_addf(&sb, "the client missed %llu cycles, PipeWire found %llu unfinished by it (%llu of them caught "
			    "inside its callback): a stall of PipeWire's own driver delays cycles without leaving them "
			    "unfinished, its profiler drops records when its buffer is full, and a cycle at the run's "
			    "edges is seen by one side only", ours, theirs, in_callback);
	else
		strbuf_addf(&sb, "jackd logged %llu xruns while the client was in its graph, the client was told of %llu",
			    theirs, ours);
	if (pipewire && a->server_xruns_others)
		strbuf_addf(&sb, "; the graph also missed %llu cycles because other clients had not finished (%s): this "
			    "client had, so they are not its xruns", (unsigned long long)a->server_xruns_others,
			    a->server_xruns_others_names[0] ? a->server_xruns_others_names : "unnamed");
	if (pipewire && a->driver_xruns)
		strbuf_addf(&sb, "; its driver %s reported %llu xruns of its device", a->server_driver,
			    (unsigned long long)a->driver_xruns);
	snprintf(a->xruns_note, sizeof(a->xruns_note), "%s", sb.buf);
	strbuf_release(&sb);
}

/* PipeWire's count for the run from its profiler, once it has reported the run's last cycle. */
static void pw_count(struct lb_run *r, struct lb_pw *pw, uint64_t end_ns)
{
	struct lb_audio *a = &r->audio;
	struct lb_pw_tally t;
	int late = lb_pw_profile_wait(pw, end_ns, PROFILE_WAIT_NS);

	lb_pw_profile_tally(pw, &t);
	if (t.driver[0])
		snprintf(a->server_driver, sizeof(a->server_driver), "%s", t.driver);
	a->server_quantum = t.quantum;
	a->server_rate = t.rate;
	if (!t.cycles) {
		snprintf(a->xruns_note, sizeof(a->xruns_note), "PipeWire's profiler reported no cycle of this client%s",
			 t.bad ? " that could be read" : "");
		return;
	}
	a->server_xruns_known = 1;
	a->server_xruns = t.ours;
	a->server_cycles = t.cycles;
	a->server_xruns_others = t.others;
	snprintf(a->server_xruns_others_names, sizeof(a->server_xruns_others_names), "%s", t.others_names);
	a->driver_xruns = t.xrun_last - t.xrun_first;
	a->in_callback = t.in_callback;
	snprintf(a->server_xruns_source, sizeof(a->server_xruns_source), "PipeWire's profiler");
	explain_xruns(r, 1);
	if (late) {
		size_t n = strlen(a->xruns_note);

		snprintf(a->xruns_note + n, sizeof(a->xruns_note) - n,
			 "%sthe profiler had not reported the run's last cycles after %llu s: its count may fall short",
			 n ? "; " : "", (unsigned long long)(PROFILE_WAIT_NS / LB_NSEC));
	}
}

static char started_name[192];

int lb_plane_jack(struct lb_run *r, volatile sig_atomic_t *stop, lb_progress_fn progress, void *data)
{
	struct jack_state *s;
	struct jack_server sv = { .logfd = -1 };
	struct lb_pw_server pws = { .pid = 0, .logfd = -1 };
	struct lb_pw_janitor *janitor = NULL;
	struct lb_pw *pw = NULL;
	struct strbuf msg = STRBUF_INIT;
	struct lb_cpu *c = &r->cpu[0];
	struct lb_audio *a = &r->audio;
	const char *server = a->device, *remote = NULL;
	const char *shown = server ? server : getenv("JACK_DEFAULT_SERVER");
	int pipewire, jackd_started = a->start_server && str_eq(a->start_server, "dummy");
	int pw_started = a->start_server && str_eq(a->start_server, "pipewire");
	jack_nframes_t frames = 0, rate = 0;
	struct sigaction ign_pipe = { .sa_handler = SIG_IGN }, old_pipe;
	uint64_t end_ns;
	int err = 0, ret = 0, dma_fd = -1, activated = 0, profiling = 0;

	if ((err = lb_jack_load(a->error, sizeof(a->error))))
		return err;
	pipewire = lb_jack_is_pipewire();
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->r = r;
	s->c = c;
	s->pipewire = pipewire;
	/*
	 * libjack writes to the server's socket: a server that goes away would end the process
	 * with SIGPIPE, without a word or a result. Its write fails instead, and the plane
	 * reports the server gone.
	 */
	sigaction(SIGPIPE, &ign_pipe, &old_pipe);
	snprintf(c->name, sizeof(c->name), "jack");
	a->dsp_load_mean = a->dsp_load_max = -1;
	snprintf(a->server_kind, sizeof(a->server_kind), "%s", pipewire ? "pipewire" : "jackd");
	jack_set_error_function(jack_quiet);
	jack_set_info_function(jack_quiet);
	if (jackd_started && pipewire) {
		snprintf(a->error, sizeof(a->error), "--start-server dummy starts jackd, but this process uses PipeWire's "
			 "JACK library (run through pw-jack?), which cannot reach it: run without pw-jack, or use "
			 "--start-server pipewire");
		err = -EINVAL;
		goto out;
	}
	if (pw_started && !pipewire) {
		snprintf(a->error, sizeof(a->error), "--start-server pipewire needs PipeWire's JACK library in this process");
		err = -EINVAL;
		goto out;
	}
	/* before any thread: what a killed run leaves, the janitor cleans up */
	if (pipewire && (pw_started || a->force_quantum) && (err = lb_pw_janitor_start(&janitor))) {
		snprintf(a->error, sizeof(a->error), "cannot start the process that cleans up after the run: %s",
			 strerror(-err));
		goto out;
	}
	if (jackd_started) {
		if (server && strlen(server) >= sizeof(sv.name)) {
			snprintf(a->error, sizeof(a->error), "the server name '%.40s...' is longer than %zu characters",
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
		a->device = started_name;
		/* else we would connect to the running one and call it ours */
		if ((err = server_running(s, stop, server)) || (err = server_start(r, &sv)))
			goto out;
	} else if (pw_started) {
		if ((err = lb_pw_server_start(&pws, r->rate, r->period, r->priority, janitor, &msg))) {
			snprintf(a->error, sizeof(a->error), "%s", msg.buf);
			goto out;
		}
		/* this process's PipeWire clients, libjack's and ours, all go to it */
		setenv("PIPEWIRE_REMOTE", pws.socket, 1);
		snprintf(started_name, sizeof(started_name), "%s", pws.socket);
		a->device = server = shown = remote = started_name;
	} else if (pipewire && server && !str_eq(server, "default")) {
		remote = server;
	}
	if (!shown)
		shown = "default";
	if (pipewire) {
		char latency[32], nrate[32];

		/* ask, as PIPEWIRE_LATENCY does: a graph without other demands runs at it */
		snprintf(latency, sizeof(latency), "%u/%u", r->period, r->rate);
		snprintf(nrate, sizeof(nrate), "1/%u", r->rate);
		if (a->period_asked)
			setenv("PIPEWIRE_LATENCY", latency, 1);
		if (a->rate_asked)
			setenv("PIPEWIRE_RATE", nrate, 1);
	}

	s->client = open_client(s, stop, jackd_started ? &sv : NULL, server, shown, pipewire, &err);
	if (!s->client && err == -EINTR) {
		/* Ctrl-C while the server did not answer: nothing measured, which is still the truth */
		r->interrupted = 1;
		err = 0;
	}
	if (!s->client)
		goto out;
	a->server_started = jackd_started || pw_started;
	if (pipewire) {
		strbuf_reset(&msg);
		if (lb_pw_connect(&pw, remote, &msg) == 0) {
			s->pw = pw;
			pw_describe(r, pw);
		} else {
			const char *v = strstr(jack_get_version_string(), "PipeWire ");

			snprintf(a->server_version, sizeof(a->server_version), "%.31s", v ? v + 9 : "");
			a->server_version[strcspn(a->server_version, ")")] = '\0';
			snprintf(a->xruns_note, sizeof(a->xruns_note), "PipeWire's own count is unknown: %s", msg.buf);
		}
		snprintf(a->card, sizeof(a->card), "PipeWire%s%s%s", a->server_version[0] ? " " : "", a->server_version,
			 pw_started ? ", dummy driver" : "");
	} else if (jackd_started) {
		log_version(sv.logfd, a->server_version, sizeof(a->server_version));
		snprintf(a->card, sizeof(a->card), "jackd%s%s, %s driver", a->server_version[0] ? " " : "",
			 a->server_version, a->start_server);
	} else {
		snprintf(a->server_version, sizeof(a->server_version), "%s", jack_get_version_string());
		snprintf(a->card, sizeof(a->card), "JACK server '%.64s', libjack %s", shown, a->server_version);
		snprintf(a->xruns_note, sizeof(a->xruns_note),
			 "jackd's own count is in its log: latency-bench reads it when it started the server");
	}
	snprintf(a->format, sizeof(a->format), "float32");
	if (a->roundtrip && (err = register_roundtrip(s)))
		goto out;
	if (jack_set_process_callback(s->client, on_process, s) || jack_set_xrun_callback(s->client, on_xrun, s)) {
		snprintf(a->error, sizeof(a->error), "cannot set the JACK client's callbacks");
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
	if ((err = call_server(s, stop, do_activate, NULL, 0, &ret)) || (err = ret)) {
		if (err == -ETIMEDOUT)
			say_no_answer(s, shown, "", "Restart it");
		else if (err != -EINTR && __atomic_load_n(&s->lost, __ATOMIC_ACQUIRE))
			snprintf(a->error, sizeof(a->error), "the JACK server '%.64s' went away before the run began: "
				 "%.120s", shown, s->lost_reason);
		else if (err != -EINTR)
			snprintf(a->error, sizeof(a->error), "cannot activate the JACK client");
		if (err == -EINTR) {
			r->interrupted = 1;
			err = 0;
		}
		goto out;
	}
	activated = 1;
	c->started = 1;
	if ((err = pin_thread(s)))
		goto out;
	if (pw)
		profiling = pw_profile(s, pw) == 0;

	/*
	 * What was asked is what gets measured: the run starts once the server calls the client
	 * steadily at the period and rate asked (PipeWire may switch its quantum a few cycles after
	 * the client joins), or at whatever it runs when nothing was asked. Activation itself waits
	 * for jackd's request thread, which a loaded machine can delay by many periods.
	 */
	err = settle(s, stop, a->period_asked ? r->period : 0, a->rate_asked ? r->rate : 0, &frames, &rate);
	if (err == -ETIMEDOUT && frames && pipewire && a->force_quantum && pw) {
		if ((err = force_quantum(r, pw, remote, janitor, frames, rate)))
			goto out;
		err = settle(s, stop, a->period_asked ? r->period : 0, a->rate_asked ? r->rate : 0, &frames, &rate);
	}
	if (err == -ETIMEDOUT && !frames) {
		snprintf(a->error, sizeof(a->error), "the JACK server '%s' did not run the client in %llu s%s", shown,
			 (unsigned long long)(SETTLE_NS / LB_NSEC),
			 pipewire ? " (no driver for its graph? a headless PipeWire needs its dummy driver)" : "");
		goto out;
	}
	if (err == -ETIMEDOUT) {
		not_granted(r, shown, pipewire, frames, rate);
		goto out;
	}
	if (err == -EINTR && __atomic_load_n(&s->lost, __ATOMIC_ACQUIRE)) {
		a->device_lost = 1;
		snprintf(a->error, sizeof(a->error), "the JACK server '%.64s' went away before the run began: %.120s",
			 shown, s->lost_reason);
		err = -ENODEV;
		goto out;
	}
	if (err == -EINTR) {
		/* stopped before it ran steadily: nothing measured, which is still the truth */
		r->interrupted = 1;
		err = 0;
		goto out;
	}
	err = 0;
	a->rate = rate;
	a->period = s->buffer = frames;
	if (!a->rate || !s->buffer) {
		snprintf(a->error, sizeof(a->error), "the JACK server '%s' reports a rate of %u Hz and %u frames", shown,
			 a->rate, s->buffer);
		err = -EIO;
		goto out;
	}
	r->interval_ns = (uint64_t)((double)s->buffer * 1e9 / a->rate + 0.5);
	s->period_ns = r->interval_ns;
	s->frame_ns = (uint64_t)(1e9 / a->rate + 0.5);
	for (unsigned i = 0; i < LB_NBUDGETS; i++)
		s->over[i] = (uint64_t)(lb_budget_fractions[i] * (double)s->period_ns);
	if (a->roundtrip && (err = connect_roundtrip(s, server)))
		goto out;

	lb_causes_audio_start(r);
	s->from_ns = lb_now_ns();
	end_ns = s->from_ns + (uint64_t)(r->duration_s * 1e9);
	s->start_us = jack_get_time();
	s->end_us = s->start_us + (jack_time_t)(r->duration_s * 1e6);
	if (profiling)
		lb_pw_profile_window(pw, s->from_ns, end_ns);
	__atomic_store_n(&s->measuring, 1, __ATOMIC_RELEASE);

	report_until_end(s, stop, end_ns, progress, data);
	{
		uint64_t end = lb_now_ns();

		r->interrupted = *stop && end < end_ns;
		if (end > end_ns)
			end = end_ns;
		r->elapsed_s = end > s->from_ns ? (double)(end - s->from_ns) / 1e9 : 0;
		__atomic_store_n(&s->end_us, s->start_us + (jack_time_t)(r->elapsed_s * 1e6), __ATOMIC_RELEASE);
		/* a server that went away ended the run: its last cycles are not missed, there were none */
		if (!__atomic_load_n(&s->lost, __ATOMIC_ACQUIRE))
			count_tail(s, end);
		if (profiling) {
			lb_pw_profile_window(pw, s->from_ns, end);
			if (!__atomic_load_n(&s->lost, __ATOMIC_ACQUIRE))
				pw_count(r, pw, end);
		}
	}
	if (a->roundtrip)
		roundtrip_reported(s);
	if (__atomic_load_n(&s->lost, __ATOMIC_ACQUIRE)) {
		a->device_lost = 1;
		snprintf(a->error, sizeof(a->error), "the JACK server '%.64s' went away during the run: %.120s", shown,
			 s->lost_reason);
		err = -ENODEV;
	} else if (__atomic_load_n(&s->changed_to, __ATOMIC_ACQUIRE)) {
		snprintf(a->error, sizeof(a->error), "the JACK server '%.64s' changed the period from %u to %u frames "
			 "during the run (another client asked for it, or its quantum was forced): the result covers the "
			 "%u-frame periods until then", shown, s->buffer, s->changed_to, s->buffer);
		r->interrupted = 1;
		err = -ESTALE;
	}

out:
	__atomic_store_n(&s->measuring, 0, __ATOMIC_RELEASE);
	if (__atomic_load_n(&s->lost, __ATOMIC_ACQUIRE) || s->stuck) {
		/*
		 * The server is gone or does not answer: libjack's close would still write to its
		 * socket and cancel its own threads asynchronously, and can block there (jack2
		 * #395). The process ends after the result is written, which frees what the
		 * clients hold.
		 */
		s->ret.client = NULL;
		s->client = NULL;
	}
	close_return(&s->ret);
	if (s->client && call_server(s, NULL, do_close, &activated, sizeof(activated), &ret) == -ETIMEDOUT && !err) {
		/* measured, but the server stopped answering: said, and the result kept, as for one gone */
		a->device_lost = 1;
		say_no_answer(s, shown, " the client's close", "Its missing cycles are counted missed");
		err = -ENODEV;
	}
	/* no process callback runs now: the tracer's last late wakeups are taken apart */
	lb_causes_stop(r->tracer, r);
	r->tracer = NULL;
	if (pw) {
		if (restore_quantum(r, pw, janitor) < 0 && !err)
			snprintf(a->xruns_note + strlen(a->xruns_note), sizeof(a->xruns_note) - strlen(a->xruns_note),
				 "%scould not restore PipeWire's forced quantum: the next run does", a->xruns_note[0] ? "; " : "");
		lb_pw_disconnect(pw);
	}
	if (sv.logfd >= 0) {
		struct stat st;
		sv.log_to = fstat(sv.logfd, &st) == 0 ? st.st_size : 0;
	}
	if (__atomic_load_n(&s->checked_policy, __ATOMIC_ACQUIRE)) {
		c->fifo = is_realtime(s->policy);
		r->sched_fifo = c->fifo;
		a->thread_priority = c->fifo ? s->rt_priority : 0;
		if (pipewire) {
			struct strbuf why = STRBUF_INIT, fix = STRBUF_INIT;
			struct lb_pw_rt rt;

			lb_pw_rt_probe(&rt, "jack.conf");
			lb_pw_rt_explain(&rt, c->fifo, &why, &fix);
			snprintf(a->rt_why, sizeof(a->rt_why), "%s", why.buf);
			snprintf(a->rt_fix, sizeof(a->rt_fix), "%s", fix.buf);
			strbuf_release(&why);
			strbuf_release(&fix);
		}
	}
	if (a->roundtrip && s->rt_pending)
		a->rt_sent--; /* still on its way when the run ended: neither back nor lost */
	if (a->roundtrip)
		lb_audio_roundtrip_finish(a);
	if (activated && sv.logfd >= 0) {
		/* jackd logs nothing while all goes well: no line is no xrun */
		a->server_xruns = sv.log_to > sv.log_from ? log_count_xruns(sv.logfd, sv.log_from, sv.log_to) : 0;
		a->server_xruns_known = 1;
		snprintf(a->server_xruns_source, sizeof(a->server_xruns_source), "jackd's log");
		explain_xruns(r, 0);
	}
	server_stop(&sv);
	sigaction(SIGPIPE, &old_pipe, NULL);
	if (pw_started)
		lb_pw_server_stop(&pws, janitor);
	lb_pw_janitor_done(janitor);
	if (r->memory_locked)
		munlockall();
	lb_dma_latency_release(dma_fd);
	r->realtime = r->sched_fifo && r->memory_locked;
	strbuf_release(&msg);
	/* libjack's threads of a client left open (its server gone or stuck) may still read s */
	if (!s->stuck && !__atomic_load_n(&s->lost, __ATOMIC_ACQUIRE))
		free(s);
	return err;
}
