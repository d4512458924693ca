/* pipewire.c - PipeWire as the JACK plane's server, read from PipeWire itself: core, settings
 * metadata, nodes and the profiler's cycles; the ledger of a forced quantum; real-time facts */
#define _GNU_SOURCE
#include "pipewire.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <pipewire/pipewire.h>
#include <pipewire/extensions/metadata.h>
#include <pipewire/extensions/profiler.h>
#include <spa/param/profiler.h>
#include <spa/pod/iter.h>
#include <spa/pod/parser.h>
#include <spa/utils/json.h>
#include "pw-dl.h" /* after every PipeWire header: it maps the pw_ calls onto pointers */

#include "fs.h"
#include "opt.h"
#include "util.h"

#define TIMEOUT_NS (3 * 1000000000LL) /* a server that does not answer a sync in this time is stuck */
#define MAX_NODES 512
#define STATUS_AWAKE 2                /* PW_NODE_ACTIVATION_AWAKE */
#define STATUS_FINISHED 3             /* PW_NODE_ACTIVATION_FINISHED */
#define RT_PRIO_MIN 11                /* module-rt gives up below this priority */
#define RT_PRIO_DEFAULT 88            /* module-rt's rt.prio */

struct node {
	uint32_t id, serial;
};

struct lb_pw {
	struct pw_thread_loop *loop;
	struct pw_context *context;
	struct pw_core *core;
	struct pw_registry *registry;
	struct pw_metadata *settings;
	struct pw_profiler *profiler;
	struct spa_hook core_listener, registry_listener, settings_listener, profiler_listener;
	uint32_t settings_id, profiler_id;
	int pending, synced;          /* the sync waited for, and whether it came back */
	int error;                    /* -errno of a core error (-EPIPE: the server went away) */
	struct lb_pw_info info;
	struct node nodes[MAX_NODES];
	unsigned nnodes;
	/* the profiler's share of one run */
	uint32_t node;
	uint64_t from_ns, to_ns;
	struct lb_pw_tally tally;
};

/* ---- small parsers ---- */

/* A whole decimal number from 0 to UINT_MAX; -EINVAL otherwise. */
static int parse_uint(const char *s, unsigned *out)
{
	long v;

	if (!s || opt_parse_long(s, 0, UINT_MAX, &v))
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

int lb_pw_ledger_parse(const char *s, struct lb_pw_ledger *l)
{
	static const char *const keys[] = { "pid=", "quantum=", "rate=" };
	char word[32];
	long v[3];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		size_t n = strcspn(s, " ");

		if (n >= sizeof(word) || !starts_with(s, keys[i]))
			return -EINVAL;
		memcpy(word, s, n);
		word[n] = '\0';
		if (opt_parse_long(word + strlen(keys[i]), i ? 0 : 1, i ? UINT_MAX : INT_MAX, &v[i]))
			return -EINVAL;
		s += n;
		if (i + 1 < ARRAY_SIZE(keys)) {
			if (*s != ' ')
				return -EINVAL;
			s++;
		}
	}
	if (*s)
		return -EINVAL;
	l->pid = v[0];
	l->quantum = (unsigned)v[1];
	l->rate = (unsigned)v[2];
	return 0;
}

void lb_pw_ledger_format(const struct lb_pw_ledger *l, char *buf, size_t len)
{
	snprintf(buf, len, "pid=%ld quantum=%u rate=%u", l->pid, l->quantum, l->rate);
}

/* Append `name` to the comma-separated list in buf when it is not there and fits. */
static void add_name(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf), k = strlen(name);

	for (const char *p = buf; *p;) {
		const char *e = strchrnul(p, ',');

		if ((size_t)(e - p) == k && !strncmp(p, name, k))
			return;
		p = *e ? e + 1 : e;
	}
	if (n + (n ? 1 : 0) + k + 1 > len)
		return;
	snprintf(buf + n, len - n, "%s%s", n ? "," : "", name);
}

/* One Profiler object: a driver's cycle with its followers. */
static int profile_record(const struct spa_pod_object *o, uint32_t node, uint64_t from_ns, uint64_t to_ns,
			  struct lb_pw_tally *t)
{
	const struct spa_pod_prop *p;
	const char *late[8], *driver = NULL;
	int have_info = 0, have_clock = 0, mine = -1, nlate = 0;
	int64_t count = 0, nsec = 0, position = 0, duration = 0, delay = 0, next = 0;
	int32_t xruns = 0, flags = 0, clock_id = 0;
	float load[3];
	double rate_diff = 0;
	struct spa_fraction rate = { 0, 0 };
	const char *clock_name = NULL;

	SPA_POD_OBJECT_FOREACH(o, p) {
		int32_t id = 0, status = 0;
		int64_t prev_signal, signal, awake, finish;
		struct spa_fraction latency;
		const char *name = NULL;

		switch (p->key) {
		case SPA_PROFILER_info:
			if (spa_pod_parse_struct(&p->value, SPA_POD_Long(&count), SPA_POD_Float(&load[0]),
						 SPA_POD_Float(&load[1]), SPA_POD_Float(&load[2]),
						 SPA_POD_Int(&xruns)) < 0)
				return -EINVAL;
			have_info = 1;
			break;
		case SPA_PROFILER_clock:
			if (spa_pod_parse_struct(&p->value, SPA_POD_Int(&flags), SPA_POD_Int(&clock_id),
						 SPA_POD_String(&clock_name), SPA_POD_Long(&nsec), SPA_POD_Fraction(&rate),
						 SPA_POD_Long(&position), SPA_POD_Long(&duration), SPA_POD_Long(&delay),
						 SPA_POD_Double(&rate_diff), SPA_POD_Long(&next)) < 0)
				return -EINVAL;
			have_clock = 1;
			break;
		case SPA_PROFILER_driverBlock:
		case SPA_PROFILER_followerBlock:
			if (spa_pod_parse_struct(&p->value, SPA_POD_Int(&id), SPA_POD_String(&name),
						 SPA_POD_Long(&prev_signal), SPA_POD_Long(&signal), SPA_POD_Long(&awake),
						 SPA_POD_Long(&finish), SPA_POD_Int(&status), SPA_POD_Fraction(&latency)) < 0)
				return -EINVAL;
			if (p->key == SPA_PROFILER_driverBlock) {
				driver = name;
			} else if ((uint32_t)id == node) {
				mine = status;
			}
			else if (status != STATUS_FINISHED && nlate < (int)ARRAY_SIZE(late))
				late[nlate++] = name ? name : "?";
			break;
		default:
			break;
		}
	}
	t->records++;
	if (mine < 0 || !have_clock)
		return 0; /* another driver's graph, or a cycle without the node */
	if ((uint64_t)nsec > t->last_ns)
		t->last_ns = (uint64_t)nsec;
	t->quantum = duration > 0 && duration <= UINT_MAX ? (unsigned)duration : 0;
	t->rate = rate.denom;
	if (driver)
		snprintf(t->driver, sizeof(t->driver), "%s", driver);
	if (nsec < 0 || (uint64_t)nsec < from_ns || (uint64_t)nsec >= to_ns)
		return 0;
	if (have_info) {
		if (!t->cycles)
			t->xrun_first = (uint32_t)xruns;
		t->xrun_last = (uint32_t)xruns;
	}
	/*
	 * A cycle the graph did not finish is reported twice (PipeWire's "incomplete" and the
	 * driver's own completion), and a third time when the late node finally signals: records
	 * of one cycle start share its clock time, and count once.
	 */
	if (!t->cycles || (uint64_t)nsec != t->cur_ns) {
		t->cycles++;
		t->cur_ns = (uint64_t)nsec;
		t->cur_late = 0;
		t->cur_awake = 0;
	}
	if (mine != STATUS_FINISHED) {
		if (t->cur_late == 2)
			t->others--;
		if (t->cur_late != 1)
			t->ours++;
		t->cur_late = 1;
		/* the node was in its process callback: a stall caught it there, it did not miss the cycle */
		if (mine == STATUS_AWAKE && !t->cur_awake) {
			t->in_callback++;
			t->cur_awake = 1;
		}
	} else if (nlate && !t->cur_late) {
		t->others++;
		t->cur_late = 2;
	}
	if (nlate && mine == STATUS_FINISHED)
		for (int i = 0; i < nlate; i++)
			add_name(t->others_names, sizeof(t->others_names), late[i]);
	return 0;
}

int lb_pw_profile_parse(const void *data, size_t size, uint32_t node, uint64_t from_ns, uint64_t to_ns,
			struct lb_pw_tally *t)
{
	const struct spa_pod *pod = data, *o;

	if (size < sizeof(*pod) || pod->size > size - sizeof(*pod) || !spa_pod_is_struct(pod)) {
		t->bad++;
		return -EINVAL;
	}
	SPA_POD_STRUCT_FOREACH(pod, o) {
		if (!spa_pod_is_object_type(o, SPA_TYPE_OBJECT_Profiler))
			continue;
		if (profile_record((const struct spa_pod_object *)o, node, from_ns, to_ns, t) < 0) {
			t->bad++;
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * The next value as a string (quotes and escapes taken off) into buf: its length, or -1 when
 * it is a container or does not fit. SPA's own string and number readers (0.3.65) read past
 * a value that ends the text (a string ending in a backslash; strtol on digits at the end),
 * which a hand-edited file may hold: this one stays inside.
 */
static int json_string(struct spa_json *it, char *buf, size_t size)
{
	const char *v;
	size_t o = 0;
	int n = spa_json_next(it, &v);

	if (n <= 0 || spa_json_is_container(v, n))
		return -1;
	if (v[0] != '"') {
		if ((size_t)n >= size)
			return -1;
		memcpy(buf, v, (size_t)n);
		buf[n] = '\0';
		return n;
	}
	for (int i = 1; i < n && v[i] != '"'; i++) {
		char ch = v[i];

		if (ch == '\\' && i + 1 < n) {
			ch = v[++i];
			ch = ch == 'n' ? '\n' : ch == 't' ? '\t' : ch == 'r' ? '\r' : ch;
		}
		if (o + 1 >= size)
			return -1;
		buf[o++] = ch;
	}
	buf[o] = '\0';
	return (int)o;
}

/* Skip the value the iterator stands before (a scalar, or a whole container). */
static void json_skip(struct spa_json *it)
{
	const char *v;

	spa_json_next(it, &v);
}

/* args = { rt.prio = N ... }: the priority, or -1 */
static int conf_rt_prio(struct spa_json *obj)
{
	char key[64];
	int prio = -1;

	while (json_string(obj, key, sizeof(key)) > 0) {
		if (str_eq(key, "rt.prio")) {
			char num[32];
			long v;

			if (json_string(obj, num, sizeof(num)) > 0 && !opt_parse_long(num, INT_MIN, INT_MAX, &v))
				prio = (int)v;
		} else {
			json_skip(obj);
		}
	}
	return prio;
}

int lb_pw_conf_rt(const char *modules, size_t len, struct lb_pw_rt_conf *out)
{
	struct spa_json it[4];

	memset(out, 0, sizeof(*out));
	out->rt_prio = -1;
	spa_json_init(&it[0], modules, len);
	if (spa_json_enter_array(&it[0], &it[1]) <= 0)
		return -EINVAL;
	for (;;) {
		char key[64], name[128] = "";
		int nofail = 0, prio = -1;
		const char *v;
		int n;

		n = spa_json_next(&it[1], &v);
		if (n <= 0)
			break;
		if (!spa_json_is_object(v, n))
			continue; /* not a module: skipped (its contents with it) */
		spa_json_enter(&it[1], &it[2]);
		while (json_string(&it[2], key, sizeof(key)) > 0) {
			if (str_eq(key, "name")) {
				if (json_string(&it[2], name, sizeof(name)) <= 0)
					name[0] = '\0';
			} else if (str_eq(key, "flags")) {
				if (spa_json_enter_array(&it[2], &it[3]) > 0) {
					char flag[32];

					while (json_string(&it[3], flag, sizeof(flag)) > 0)
						if (str_eq(flag, "nofail"))
							nofail = 1;
				}
			} else if (str_eq(key, "args")) {
				if (spa_json_enter_object(&it[2], &it[3]) > 0)
					prio = conf_rt_prio(&it[3]);
			} else {
				json_skip(&it[2]);
			}
		}
		if (str_eq(name, "libpipewire-module-rt")) {
			out->listed = 1;
			out->nofail = nofail;
			out->rt_prio = prio;
		}
	}
	return 0;
}

/* ---- the connection ---- */

static void on_core_info(void *data, const struct pw_core_info *info)
{
	struct lb_pw *pw = data;

	if (info->version)
		snprintf(pw->info.version, sizeof(pw->info.version), "%s", info->version);
	if (info->name)
		snprintf(pw->info.name, sizeof(pw->info.name), "%s", info->name);
}

static void on_core_done(void *data, uint32_t id, int seq)
{
	struct lb_pw *pw = data;

	if (id == PW_ID_CORE && seq == pw->pending) {
		pw->synced = 1;
		pw_thread_loop_signal(pw->loop, false);
	}
}

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct lb_pw *pw = data;

	(void)seq;
	(void)message;
	if (id == PW_ID_CORE) {
		pw->error = res < 0 ? res : -EIO;
		pw_thread_loop_signal(pw->loop, false);
	}
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.info = on_core_info,
	.done = on_core_done,
	.error = on_core_error,
};

static void on_global(void *data, uint32_t id, uint32_t permissions, const char *type, uint32_t version,
		      const struct spa_dict *props)
{
	struct lb_pw *pw = data;
	const char *s;
	unsigned serial;

	(void)permissions;
	(void)version;
	if (str_eq(type, PW_TYPE_INTERFACE_Metadata)) {
		s = props ? spa_dict_lookup(props, PW_KEY_METADATA_NAME) : NULL;
		if (s && str_eq(s, "settings"))
			pw->settings_id = id;
	} else if (str_eq(type, PW_TYPE_INTERFACE_Profiler)) {
		pw->profiler_id = id;
		pw->info.profiler = 1;
	} else if (str_eq(type, PW_TYPE_INTERFACE_Node) && pw->nnodes < MAX_NODES) {
		s = props ? spa_dict_lookup(props, PW_KEY_OBJECT_SERIAL) : NULL;
		if (s && !parse_uint(s, &serial)) {
			pw->nodes[pw->nnodes].id = id;
			pw->nodes[pw->nnodes].serial = serial;
			pw->nnodes++;
		}
	}
}

static void on_global_remove(void *data, uint32_t id)
{
	struct lb_pw *pw = data;

	for (unsigned i = 0; i < pw->nnodes; i++)
		if (pw->nodes[i].id == id) {
			pw->nodes[i] = pw->nodes[--pw->nnodes];
			break;
		}
}

static const struct pw_registry_events registry_events = {
	PW_VERSION_REGISTRY_EVENTS,
	.global = on_global,
	.global_remove = on_global_remove,
};

static void set_setting(struct lb_pw_settings *s, const char *key, const char *value)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "clock.rate", offsetof(struct lb_pw_settings, rate) },
		{ "clock.quantum", offsetof(struct lb_pw_settings, quantum) },
		{ "clock.min-quantum", offsetof(struct lb_pw_settings, min_quantum) },
		{ "clock.max-quantum", offsetof(struct lb_pw_settings, max_quantum) },
		{ "clock.force-quantum", offsetof(struct lb_pw_settings, force_quantum) },
		{ "clock.force-rate", offsetof(struct lb_pw_settings, force_rate) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (str_eq(key, keys[i].key)) {
			unsigned *field = (unsigned *)((char *)s + keys[i].off), v;

			*field = !parse_uint(value, &v) ? v : 0;
		}
}

static int on_property(void *data, uint32_t subject, const char *key, const char *type, const char *value)
{
	struct lb_pw *pw = data;

	(void)type;
	if (subject != PW_ID_CORE)
		return 0;
	if (!key) { /* everything cleared */
		memset(&pw->info.settings, 0, sizeof(pw->info.settings));
		pw->info.settings.found = 1;
		pw->info.ledger_found = 0;
		return 0;
	}
	if (str_eq(key, LB_PW_LEDGER_KEY))
		pw->info.ledger_found = value && !lb_pw_ledger_parse(value, &pw->info.ledger);
	else
		set_setting(&pw->info.settings, key, value);
	return 0;
}

static const struct pw_metadata_events metadata_events = {
	PW_VERSION_METADATA_EVENTS,
	.property = on_property,
};

static void on_profile(void *data, const struct spa_pod *pod)
{
	struct lb_pw *pw = data;

	lb_pw_profile_parse(pod, SPA_POD_SIZE(pod), pw->node, pw->from_ns, pw->to_ns, &pw->tally);
	pw_thread_loop_signal(pw->loop, false);
}

static const struct pw_profiler_events profiler_events = {
	PW_VERSION_PROFILER_EVENTS,
	.profile = on_profile,
};

/* With the loop locked: a round trip to the server, so that every event it sent before is in. */
static int roundtrip(struct lb_pw *pw)
{
	struct timespec until;

	pw->synced = 0;
	pw->pending = pw_core_sync(pw->core, PW_ID_CORE, pw->pending);
	pw_thread_loop_get_time(pw->loop, &until, TIMEOUT_NS);
	while (!pw->synced && !pw->error)
		if (pw_thread_loop_timed_wait_full(pw->loop, &until) < 0)
			return -ETIMEDOUT;
	return pw->error;
}

/* The socket a client of `remote` connects to, as libpipewire finds it: 0, or -ENAMETOOLONG. */
static int socket_path(const char *remote, char *buf, size_t size)
{
	const char *dir = getenv("PIPEWIRE_RUNTIME_DIR"), *name = getenv("PIPEWIRE_REMOTE");
	int n;

	if (!name || !*name)
		name = remote && *remote ? remote : "pipewire-0";
	if (!dir)
		dir = getenv("XDG_RUNTIME_DIR");
	if (name[0] == '/')
		n = snprintf(buf, size, "%s", name);
	else
		n = snprintf(buf, size, "%s/%s", dir ? dir : "/run/pipewire", name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The pid of the process listening on the server's socket. */
static long socket_pid(const char *remote)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	long pid = 0;
	int fd;

	if (socket_path(remote, addr.sun_path, sizeof(addr.sun_path)))
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		pid = cred.pid;
	close(fd);
	return pid;
}

/* Is there a socket where libpipewire would look (the runtime directory, then the system's)? */
static int socket_exists(const char *remote, char *path, size_t size)
{
	const char *name = getenv("PIPEWIRE_REMOTE");
	struct stat st;
	char sys[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (!name || !*name)
		name = remote && *remote ? remote : "pipewire-0";
	if (socket_path(remote, path, size) || stat(path, &st) == 0)
		return 1;
	return name[0] != '/' && (size_t)snprintf(sys, sizeof(sys), "/run/pipewire/%s", name) < sizeof(sys) &&
	       stat(sys, &st) == 0;
}

int lb_pw_connect(struct lb_pw **out, const char *remote, struct strbuf *err)
{
	struct lb_pw *pw;
	struct pw_properties *props = NULL;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	sigset_t all, old;
	int ret;

	*out = NULL;
	/* no socket, no server: said without loading PipeWire's plugins (which may not be there) */
	if (!socket_exists(remote, path, sizeof(path))) {
		strbuf_addf(err, "no PipeWire server at '%s'", path);
		return -EHOSTDOWN;
	}
	{
		char why[512];

		if (lb_pw_load(why, sizeof(why))) {
			strbuf_addf(err, "%s", why);
			return -ELIBACC;
		}
	}
	pw = xcalloc(1, sizeof(*pw));
	pw_init(NULL, NULL);
	pw->settings_id = pw->profiler_id = SPA_ID_INVALID;
	pw->loop = pw_thread_loop_new("latency-bench-pw", NULL);
	if (!pw->loop)
		goto nomem;
	pw->context = pw_context_new(pw_thread_loop_get_loop(pw->loop), NULL, 0);
	if (!pw->context)
		goto nomem;
	/* the profiler's events need its protocol extension on this side too */
	pw_context_load_module(pw->context, PW_EXTENSION_MODULE_PROFILER, NULL, NULL);
	/* the loop's thread takes no signals: Ctrl-C is the caller's */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = pw_thread_loop_start(pw->loop);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret < 0) {
		strbuf_addf(err, "cannot start a thread: %s", strerror(-ret));
		lb_pw_disconnect(pw);
		return ret;
	}
	pw_thread_loop_lock(pw->loop);
	if (remote && *remote)
		props = pw_properties_new(PW_KEY_REMOTE_NAME, remote, NULL);
	pw->core = pw_context_connect(pw->context, props, 0);
	if (!pw->core) {
		ret = -errno;
		pw_thread_loop_unlock(pw->loop);
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			ret = -EHOSTDOWN;
		if (ret == -EHOSTDOWN) {
			/* a socket nobody listens on: a server that went away */
			strbuf_addf(err, "no PipeWire server at '%s'", path);
		} else {
			strbuf_addf(err, "cannot connect to PipeWire: %s", strerror(-ret));
		}
		lb_pw_disconnect(pw);
		return ret;
	}
	pw_core_add_listener(pw->core, &pw->core_listener, &core_events, pw);
	pw->registry = pw_core_get_registry(pw->core, PW_VERSION_REGISTRY, 0);
	pw_registry_add_listener(pw->registry, &pw->registry_listener, &registry_events, pw);
	ret = roundtrip(pw);
	if (!ret && pw->settings_id != SPA_ID_INVALID) {
		pw->settings = pw_registry_bind(pw->registry, pw->settings_id, PW_TYPE_INTERFACE_Metadata,
						PW_VERSION_METADATA, 0);
		if (pw->settings) {
			pw->info.settings.found = 1;
			pw_metadata_add_listener(pw->settings, &pw->settings_listener, &metadata_events, pw);
			ret = roundtrip(pw);
		}
	}
	pw_thread_loop_unlock(pw->loop);
	if (ret) {
		strbuf_addf(err, "the PipeWire server does not answer: %s", strerror(-ret));
		lb_pw_disconnect(pw);
		return ret;
	}
	pw->info.pid = socket_pid(remote);
	*out = pw;
	return 0;
nomem:
	/* libpipewire without its SPA plugins fails here */
	strbuf_addf(err, "cannot set up a PipeWire client (are PipeWire's plugins, libspa-0.2-modules, installed?)");
	lb_pw_disconnect(pw);
	return -ENOMEM;
}

void lb_pw_disconnect(struct lb_pw *pw)
{
	if (!pw)
		return;
	if (pw->loop)
		pw_thread_loop_stop(pw->loop);
	if (pw->profiler)
		pw_proxy_destroy((struct pw_proxy *)pw->profiler);
	if (pw->settings)
		pw_proxy_destroy((struct pw_proxy *)pw->settings);
	if (pw->registry)
		pw_proxy_destroy((struct pw_proxy *)pw->registry);
	if (pw->core)
		pw_core_disconnect(pw->core);
	if (pw->context)
		pw_context_destroy(pw->context);
	if (pw->loop)
		pw_thread_loop_destroy(pw->loop);
	free(pw);
}

const struct lb_pw_info *lb_pw_info(struct lb_pw *pw)
{
	return &pw->info;
}

int lb_pw_refresh(struct lb_pw *pw)
{
	int ret;

	pw_thread_loop_lock(pw->loop);
	ret = roundtrip(pw);
	pw_thread_loop_unlock(pw->loop);
	return ret;
}

int lb_pw_set(struct lb_pw *pw, const char *key, const char *value)
{
	int ret;

	if (!pw->settings)
		return -ENOENT;
	pw_thread_loop_lock(pw->loop);
	pw_metadata_set_property(pw->settings, PW_ID_CORE, key, value ? "" : NULL, value);
	ret = roundtrip(pw);
	pw_thread_loop_unlock(pw->loop);
	return ret;
}

int lb_pw_node_by_serial(struct lb_pw *pw, uint32_t serial, uint32_t *id)
{
	int ret = -ENOENT;

	pw_thread_loop_lock(pw->loop);
	if (!roundtrip(pw))
		for (unsigned i = 0; i < pw->nnodes; i++)
			if (pw->nodes[i].serial == serial) {
				*id = pw->nodes[i].id;
				ret = 0;
			}
	pw_thread_loop_unlock(pw->loop);
	return ret;
}

int lb_pw_profile_start(struct lb_pw *pw, uint32_t node)
{
	int ret = 0;

	if (pw->profiler_id == SPA_ID_INVALID)
		return -ENOENT;
	pw_thread_loop_lock(pw->loop);
	pw->node = node;
	pw->from_ns = UINT64_MAX;
	pw->to_ns = 0;
	memset(&pw->tally, 0, sizeof(pw->tally));
	pw->profiler = pw_registry_bind(pw->registry, pw->profiler_id, PW_TYPE_INTERFACE_Profiler,
					PW_VERSION_PROFILER, 0);
	if (!pw->profiler)
		ret = -errno ? -errno : -EIO;
	else
		pw_profiler_add_listener(pw->profiler, &pw->profiler_listener, &profiler_events, pw);
	pw_thread_loop_unlock(pw->loop);
	return ret;
}

void lb_pw_profile_window(struct lb_pw *pw, uint64_t from_ns, uint64_t to_ns)
{
	pw_thread_loop_lock(pw->loop);
	pw->from_ns = from_ns;
	pw->to_ns = to_ns;
	pw_thread_loop_unlock(pw->loop);
}

int lb_pw_profile_wait(struct lb_pw *pw, uint64_t until_ns, uint64_t timeout_ns)
{
	struct timespec until;
	int ret = 0;

	pw_thread_loop_lock(pw->loop);
	pw_thread_loop_get_time(pw->loop, &until, (int64_t)timeout_ns);
	while (pw->tally.last_ns < until_ns && !pw->error)
		if (pw_thread_loop_timed_wait_full(pw->loop, &until) < 0) {
			ret = -ETIMEDOUT;
			break;
		}
	pw_thread_loop_unlock(pw->loop);
	return ret;
}

int lb_pw_error(struct lb_pw *pw)
{
	int err;

	pw_thread_loop_lock(pw->loop);
	err = pw->error;
	pw_thread_loop_unlock(pw->loop);
	return err;
}

void lb_pw_profile_tally(struct lb_pw *pw, struct lb_pw_tally *out)
{
	pw_thread_loop_lock(pw->loop);
	*out = pw->tally;
	pw_thread_loop_unlock(pw->loop);
}

/* ---- a quantum forced by a run that was killed ---- */

int lb_pw_repair(struct lb_pw *pw, long *pid)
{
	const struct lb_pw_info *i = &pw->info;
	char q[16], r[16];
	int ret;

	if (!i->ledger_found)
		return 0;
	*pid = i->ledger.pid;
	if (i->ledger.pid != (long)getpid() && (kill((pid_t)i->ledger.pid, 0) == 0 || errno == EPERM))
		return -EBUSY;
	snprintf(q, sizeof(q), "%u", i->ledger.quantum);
	snprintf(r, sizeof(r), "%u", i->ledger.rate);
	if ((ret = lb_pw_set(pw, "clock.force-quantum", q)) || (ret = lb_pw_set(pw, "clock.force-rate", r)) ||
	    (ret = lb_pw_set(pw, LB_PW_LEDGER_KEY, NULL)))
		return ret;
	return 1;
}

/* ---- real time ---- */

static void *try_fifo(void *arg)
{
	int *prio = arg;
	struct sched_param sp = { .sched_priority = *prio };

	*prio = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	return NULL;
}

/* Can this process make a thread SCHED_FIFO at `prio` itself (as module-rt first tries)? */
static int can_fifo(int prio)
{
	pthread_t t;
	int res = prio;

	if (pthread_create(&t, NULL, try_fifo, &res))
		return 0;
	pthread_join(t, NULL);
	return res == 0;
}

static int rtkit_running(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct dirent *de;
	DIR *d = opendir("/proc");
	int found = 0;

	while (d && !found && (de = readdir(d))) {
		char path[300];

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		strbuf_reset(&sb);
		if (!fs_read_file_max(path, &sb, 64) && starts_with(sb.buf, "rtkit-daemon"))
			found = 1;
	}
	if (d)
		closedir(d);
	strbuf_release(&sb);
	return found;
}

static int module_rt_mapped(void)
{
	struct strbuf sb = STRBUF_INIT;
	int found = !fs_read_file_max("/proc/self/maps", &sb, 64 << 20) && strstr(sb.buf, "libpipewire-module-rt.so");

	strbuf_release(&sb);
	return found;
}

void lb_pw_rt_probe(struct lb_pw_rt *rt, const char *config_name)
{
	struct pw_properties *props = NULL, *conf = NULL;
	char why[512];
	const struct spa_dict_item *it;
	struct rlimit rl;
	int prio;

	memset(rt, 0, sizeof(*rt));
	rt->rt.rt_prio = -1;
	/* without libpipewire its configuration stays unread (conf_read 0); the rest still holds */
	if (lb_pw_load(why, sizeof(why)) == 0) {
		pw_init(NULL, NULL);
		props = pw_properties_new(PW_KEY_CONFIG_NAME, config_name, NULL);
		conf = pw_properties_new(NULL, NULL);
	}
	if (props && conf && pw_conf_load_conf_for_context(props, conf) >= 0) {
		const char *path = pw_properties_get(conf, "config.path");

		rt->conf_read = 1;
		snprintf(rt->conf, sizeof(rt->conf), "%s", path ? path : config_name);
		/* the file's own modules and those of its drop-ins ("override.N.M.context.modules") */
		spa_dict_for_each(it, &conf->dict) {
			struct lb_pw_rt_conf c;

			if ((str_eq(it->key, "context.modules") || ends_with(it->key, ".context.modules")) && it->value &&
			    !lb_pw_conf_rt(it->value, strlen(it->value), &c) && c.listed)
				rt->rt = c;
		}
	}
	if (props)
		pw_properties_free(props);
	if (conf)
		pw_properties_free(conf);
	rt->module_loaded = module_rt_mapped();
	rt->root = geteuid() == 0;
	rt->rtprio_limit = getrlimit(RLIMIT_RTPRIO, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ? -1 :
			   (long)rl.rlim_cur;
	prio = rt->rt.rt_prio > 0 ? rt->rt.rt_prio : RT_PRIO_DEFAULT;
	/* as module-rt: its priority, else clamped to the limit when that is at least 11 */
	rt->direct = can_fifo(prio) || (rt->rtprio_limit >= RT_PRIO_MIN && can_fifo((int)rt->rtprio_limit));
	rt->system_bus = getenv("DBUS_SYSTEM_BUS_ADDRESS") || access("/run/dbus/system_bus_socket", F_OK) == 0;
	rt->rtkit_running = rtkit_running();
	rt->rtkit_installed = access("/usr/libexec/rtkit-daemon", X_OK) == 0 ||
			      access("/usr/lib/rtkit/rtkit-daemon", X_OK) == 0;
}

#define LIMITS_FIX "add \"@audio - rtprio 95\" and \"@audio - memlock unlimited\" to " \
	"/etc/security/limits.d/audio.conf, join the audio group and log in again"

void lb_pw_rt_explain(const struct lb_pw_rt *rt, int got_rt, struct strbuf *why, struct strbuf *fix)
{
	int prio = rt->rt.rt_prio > 0 ? rt->rt.rt_prio : RT_PRIO_DEFAULT;
	const char *rtkit = !rt->rtkit_installed ? "rtkit is not installed" :
			    !rt->system_bus ? "there is no system D-Bus to reach rtkit" :
			    !rt->rtkit_running ? "rtkit-daemon is not running" : NULL;
	char limit[32];

	if (rt->rtprio_limit < 0)
		snprintf(limit, sizeof(limit), "unlimited");
	else
		snprintf(limit, sizeof(limit), "%ld", rt->rtprio_limit);
	if (got_rt) {
		strbuf_addf(why, "PipeWire's RT module (%s) gave it real-time priority %s", rt->conf[0] ? rt->conf : "jack.conf",
			    rt->direct ? (rt->root ? "directly, as root" : "directly (RLIMIT_RTPRIO)") : "through rtkit");
		return;
	}
	if (!rt->conf_read) {
		strbuf_addf(why, "no PipeWire client configuration (jack.conf) was found, so no RT module was loaded");
		strbuf_addf(fix, "reinstall it: sudo apt-get install --reinstall pipewire");
	} else if (!rt->rt.listed) {
		strbuf_addf(why, "%s does not load PipeWire's RT module (libpipewire-module-rt)", rt->conf);
		strbuf_addf(fix, "add { name = libpipewire-module-rt args = { } flags = [ ifexists nofail ] } to "
			    "context.modules in ~/.config/pipewire/jack.conf (start from /usr/share/pipewire/jack.conf)");
	} else if (!rt->direct && rtkit) {
		strbuf_addf(why, "PipeWire's RT module may not set SCHED_FIFO %d itself (RLIMIT_RTPRIO %s, not root) and %s",
			    prio, limit, rtkit);
		strbuf_addf(fix, LIMITS_FIX "; or install and start rtkit: sudo apt-get install rtkit");
	} else if (!rt->direct) {
		strbuf_addf(why, "PipeWire's RT module may not set SCHED_FIFO %d itself (RLIMIT_RTPRIO %s) and rtkit refused "
			    "(it grants little by default)", prio, limit);
		strbuf_addf(fix, LIMITS_FIX);
	} else if (!rt->module_loaded) {
		strbuf_addf(why, "%s lists PipeWire's RT module, but it is not loaded in this process%s", rt->conf,
			    rt->rt.nofail ? " (it may fail silently: flags nofail)" : "");
		strbuf_addf(fix, "check that libpipewire-module-rt.so is installed (package libpipewire-0.3-modules) "
			    "and run with PIPEWIRE_DEBUG=mod.rt:4 to see why it does not load");
	} else {
		strbuf_addf(why, "PipeWire's RT module is loaded and SCHED_FIFO is allowed, yet the kernel did not run the "
			    "thread real-time (RT throttling, or a cgroup without a real-time budget)");
		strbuf_addf(fix, "see `latency-bench check` (RT throttling) and the cgroup's cpu.rt_runtime_us");
	}
}

/* ---- `latency-bench check` ---- */

/* The highest real-time priority among the threads of `pid`: 0 when none is real-time, -1 unknown. */
static int process_rt_priority(long pid)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int best = -1;

	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		struct sched_param sp;
		long tid;
		int policy;

		if (opt_parse_long(de->d_name, 1, INT_MAX, &tid))
			continue;
		policy = sched_getscheduler((pid_t)tid);
		if (policy < 0 || sched_getparam((pid_t)tid, &sp) < 0)
			continue;
		policy &= ~SCHED_RESET_ON_FORK;
		if (best < 0)
			best = 0;
		if ((policy == SCHED_FIFO || policy == SCHED_RR) && sp.sched_priority > best)
			best = sp.sched_priority;
	}
	if (d)
		closedir(d);
	return best;
}

static void check_quantum(struct lb_system *sys, const struct lb_pw_info *i)
{
	const struct lb_pw_settings *s = &i->settings;
	struct lb_check *c = lb_check_add(sys, "pw_quantum", "PipeWire quantum (settings metadata)");
	char forced[64] = "";

	if (!s->found) {
		lb_check_value(c, LB_CHECK_INFO, "unknown (the server has no settings metadata)");
		return;
	}
	if (s->force_quantum || s->force_rate)
		snprintf(forced, sizeof(forced), "; forced: quantum %u, rate %u", s->force_quantum, s->force_rate);
	lb_check_value(c, LB_CHECK_INFO, "clock.quantum %u at %u Hz, clock.min-quantum %u, clock.max-quantum %u%s",
		       s->quantum, s->rate, s->min_quantum, s->max_quantum, forced);
	if (i->ledger_found && i->ledger.pid != (long)getpid() && kill((pid_t)i->ledger.pid, 0) < 0 && errno == ESRCH) {
		c->status = LB_CHECK_WARN;
		lb_check_advice(c, "latency-bench (pid %ld) forced the quantum and was killed before it could undo it: "
				"the next latency-bench run on this server undoes it, or by hand: "
				"pw-metadata -n settings 0 clock.force-quantum %u; pw-metadata -n settings 0 clock.force-rate %u",
				i->ledger.pid, i->ledger.quantum, i->ledger.rate);
	} else if (s->min_quantum > 256) {
		c->status = LB_CHECK_WARN;
		lb_check_advice(c, "no client gets a period below %u frames unless the quantum is forced: for this session "
				"`pw-metadata -n settings 0 clock.min-quantum 64`; for good, default.clock.min-quantum = 64 in "
				"context.properties of ~/.config/pipewire/pipewire.conf.d/10-latency.conf, then restart PipeWire",
				s->min_quantum);
	} else {
		lb_check_advice(c, "a JACK client runs at the smallest quantum its graph's clients ask for, %u frames when none "
				"asks: ask with `PIPEWIRE_LATENCY=64/48000 pw-jack APP`, or force it for the session with "
				"`pw-metadata -n settings 0 clock.force-quantum 64` (0 releases it)", s->quantum);
	}
}

static void check_server_rt(struct lb_system *sys, const struct lb_pw_info *i)
{
	struct lb_check *c = lb_check_add(sys, "pw_rt_server", "PipeWire server real-time");
	int prio = i->pid > 0 ? process_rt_priority(i->pid) : -1;

	if (prio < 0) {
		lb_check_value(c, LB_CHECK_INFO, "unknown (its process is not visible here)");
	} else if (prio > 0) {
		lb_check_value(c, LB_CHECK_OK, "its data thread runs at SCHED_FIFO %d (pid %ld)", prio, i->pid);
	} else {
		lb_check_value(c, LB_CHECK_WARN, "no thread of the server (pid %ld) runs real-time", i->pid);
		lb_check_advice(c, "its RT module (libpipewire-module-rt in pipewire.conf) could not raise it: for the user "
				"who runs PipeWire, " LIMITS_FIX ", or install rtkit (sudo apt-get install rtkit); then "
				"restart PipeWire");
	}
}

static void check_client_rt(struct lb_system *sys)
{
	struct lb_check *c = lb_check_add(sys, "pw_rt_client", "PipeWire JACK client real-time");
	struct strbuf why = STRBUF_INIT, fix = STRBUF_INIT;
	struct lb_pw_rt rt;
	int prio;

	lb_pw_rt_probe(&rt, "jack.conf");
	prio = rt.rt.rt_prio > 0 ? rt.rt.rt_prio : RT_PRIO_DEFAULT;
	if (rt.conf_read && rt.rt.listed && rt.direct) {
		lb_check_value(c, LB_CHECK_OK, "RT module in %s, SCHED_FIFO %d directly (%s)", rt.conf, prio,
			       rt.root ? "root" : "RLIMIT_RTPRIO");
	} else if (rt.conf_read && rt.rt.listed && rt.system_bus && rt.rtkit_running) {
		lb_check_value(c, LB_CHECK_OK, "RT module in %s, through rtkit (RLIMIT_RTPRIO %ld)", rt.conf,
			       rt.rtprio_limit);
	} else {
		lb_pw_rt_explain(&rt, 0, &why, &fix);
		lb_check_value(c, LB_CHECK_WARN, "%s", why.buf);
		lb_check_advice(c, "%s", fix.buf);
	}
	strbuf_release(&why);
	strbuf_release(&fix);
}

void lb_pw_checks(struct lb_system *sys)
{
	struct strbuf err = STRBUF_INIT;
	struct lb_check *c = lb_check_add(sys, "pipewire", "PipeWire server");
	const char *latency = getenv("PIPEWIRE_LATENCY");
	const struct lb_pw_info *i;
	struct lb_pw *pw;

	if (lb_pw_connect(&pw, NULL, &err)) {
		lb_check_value(c, LB_CHECK_INFO, "none reached (%s)", err.buf);
		strbuf_release(&err);
		return;
	}
	i = lb_pw_info(pw);
	if (i->pid > 0)
		lb_check_value(c, LB_CHECK_INFO, "PipeWire %s, %s (pid %ld)", i->version, i->name, i->pid);
	else
		lb_check_value(c, LB_CHECK_INFO, "PipeWire %s, %s", i->version, i->name);
	check_quantum(sys, i);
	check_server_rt(sys, i);
	check_client_rt(sys);
	c = lb_check_add(sys, "pipewire_latency", "PIPEWIRE_LATENCY");
	if (latency)
		lb_check_value(c, LB_CHECK_INFO, "%s: JACK clients started from here ask for this latency", latency);
	else
		lb_check_value(c, LB_CHECK_INFO, "not set: JACK clients ask for no latency of their own");
	lb_pw_disconnect(pw);
	strbuf_release(&err);
}
