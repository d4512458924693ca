/* plane-alsa.c - the ALSA plane: a SCHED_FIFO thread waits on a PCM the way an audio server
 * does (poll, then a period of I/O) and measures each wakeup against the period boundary the
 * driver reports; xruns with their length; a loopback round trip; and `latency-bench devices` */
#define _GNU_SOURCE
#include <alsa/asoundlib.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "lb.h"
#include "util.h"

#define MAX_PFDS 16
#define STALL_MS_MIN 500          /* no period for this long (or 8 buffers) is a stalled device */
#define RT_CODE_LEN 13            /* the round-trip signal: Barker code 13, one frame per chip */
#define RT_LEVEL 0.5              /* its amplitude, of full scale */
#define RT_THRESHOLD 0.6          /* correlation that counts as found, of the code's own energy */

static const int barker13[RT_CODE_LEN] = { 1, 1, 1, 1, 1, -1, -1, 1, 1, -1, 1, -1, 1 };

struct stream {
	snd_pcm_t *pcm;
	const char *name;
	snd_pcm_stream_t dir;
	struct pollfd *pfd;
	int npfd;
	snd_pcm_status_t *status;
};

struct alsa_state {
	struct lb_run *r;
	struct lb_cpu *c;
	volatile sig_atomic_t *stop;
	struct stream s[2];       /* playback, capture; pcm NULL when not used */
	int nstreams;
	struct pollfd pfds[MAX_PFDS];
	int npfds;
	snd_pcm_format_t format;
	unsigned channels, rate, frame_bytes;
	snd_pcm_uframes_t period, buffer;
	uint64_t period_ns, start_ns, end_ns;
	uint64_t over[LB_NBUDGETS]; /* 1/4, 1/2 and 1 period in ns */
	char *pbuf, *cbuf;        /* one buffer of frames each */
	float *hist_cap;          /* channel 0 of the capture stream: carry-over + one period */
	/* round trip */
	uint64_t cap_pos;         /* capture frames read since the stream (re)started */
	uint64_t next_send;       /* capture position at which the next signal goes out */
	int pending;              /* a signal is out */
	uint64_t sent_at;         /* capture position of the period it was sent in */
	uint64_t gap;             /* frames between signals */
	/* the device's clock: the first and latest period boundary since the last (re)start */
	uint64_t done;            /* periods read or written since the last (re)start */
	uint64_t first_idx, first_ns, last_idx, last_ns;
	double rate_frames, rate_ns; /* summed over the stretches between xruns */
	uint64_t dry_ns;          /* when the buffer runs dry (or full) if nobody comes: an xrun's start */
	int err;                  /* -errno that ended the run */
};

/* alsa-lib prints its own errors on stderr; ours say it better, once */
static void quiet_alsa(const char *file, int line, const char *function, int err, const char *fmt, ...)
{
	(void)file, (void)line, (void)function, (void)err, (void)fmt;
}

static int fail(struct lb_run *r, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct lb_run *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->audio.error, sizeof(r->audio.error), fmt, ap);
	va_end(ap);
	return err;
}

static int ncards(void)
{
	int card = -1, n = 0;

	while (snd_card_next(&card) == 0 && card >= 0)
		n++;
	return n;
}

static const char *dir_name(snd_pcm_stream_t dir)
{
	return dir == SND_PCM_STREAM_PLAYBACK ? "playback" : "capture";
}

/* Why a PCM could not be opened, in words that say what to do. */
static int open_error(struct lb_run *r, const char *dev, snd_pcm_stream_t dir, int err)
{
	if (err == -EBUSY)
		return fail(r, err,
			    "%s is busy: another program has its %s open (an audio server such as PipeWire, "
			    "PulseAudio or JACK?); stop it or choose another device",
			    dev, dir_name(dir));
	if ((err == -ENOENT || err == -ENODEV || err == -ENXIO) && ncards() == 0)
		return fail(r, -ENOENT,
			    "no sound card: the kernel has registered none (/proc/asound/cards is %s); load a "
			    "driver, or snd-dummy for a card without hardware",
			    access("/proc/asound/cards", R_OK) == 0 ? "empty" : "missing");
	if (err == -ENOENT || err == -ENODEV || err == -ENXIO || err == -EINVAL)
		return fail(r, -ENOENT, "cannot open %s for %s: no such card, device or stream (%s); "
			    "see latency-bench devices", dev, dir_name(dir), snd_strerror(err));
	if (err == -EACCES || err == -EPERM)
		return fail(r, err, "cannot open %s: permission denied (is this user in the audio group?)", dev);
	return fail(r, err, "cannot open %s for %s: %s", dev, dir_name(dir), snd_strerror(err));
}

static const snd_pcm_format_t formats[] = { SND_PCM_FORMAT_S16_LE, SND_PCM_FORMAT_S32_LE };

/* Set the requested rate, period and periods exactly, or say what the device allows. */
static int set_hw(struct alsa_state *st, struct stream *s)
{
	struct lb_run *r = st->r;
	snd_pcm_hw_params_t *hw;
	snd_pcm_uframes_t psize = r->period, pmin, pmax;
	unsigned rmin, rmax, nmin, nmax, cmin, cmax, i;
	int err, dir = 0;

	snd_pcm_hw_params_alloca(&hw);
	if ((err = snd_pcm_hw_params_any(s->pcm, hw)) < 0)
		return fail(r, err, "%s: cannot read the %s parameters: %s", s->name, dir_name(s->dir),
			    snd_strerror(err));
	snd_pcm_hw_params_set_rate_resample(s->pcm, hw, 0);
	if ((err = snd_pcm_hw_params_set_access(s->pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0)
		return fail(r, -EINVAL, "%s: %s does not offer interleaved read/write access", s->name,
			    dir_name(s->dir));
	for (i = 0; i < ARRAY_SIZE(formats); i++)
		if (snd_pcm_hw_params_set_format(s->pcm, hw, formats[i]) == 0)
			break;
	if (i == ARRAY_SIZE(formats))
		return fail(r, -EINVAL, "%s: %s supports neither S16_LE nor S32_LE samples", s->name,
			    dir_name(s->dir));
	st->format = formats[i];
	snd_pcm_hw_params_get_channels_min(hw, &cmin);
	snd_pcm_hw_params_get_channels_max(hw, &cmax);
	st->channels = cmin <= 2 && cmax >= 2 ? 2 : cmin;
	if ((err = snd_pcm_hw_params_set_channels(s->pcm, hw, st->channels)) < 0)
		return fail(r, -EINVAL, "%s: cannot use %u channels for %s", s->name, st->channels,
			    dir_name(s->dir));
	snd_pcm_hw_params_get_rate_min(hw, &rmin, &dir);
	snd_pcm_hw_params_get_rate_max(hw, &rmax, &dir);
	if (snd_pcm_hw_params_set_rate(s->pcm, hw, r->rate, 0) < 0)
		return fail(r, -EINVAL, "%s does not support %u Hz for %s (it allows %u-%u Hz)", s->name, r->rate,
			    dir_name(s->dir), rmin, rmax);
	snd_pcm_hw_params_get_period_size_min(hw, &pmin, &dir);
	snd_pcm_hw_params_get_period_size_max(hw, &pmax, &dir);
	snd_pcm_hw_params_get_periods_min(hw, &nmin, &dir);
	snd_pcm_hw_params_get_periods_max(hw, &nmax, &dir);
	if (snd_pcm_hw_params_set_period_size(s->pcm, hw, psize, 0) < 0 ||
	    snd_pcm_hw_params_set_periods(s->pcm, hw, r->audio.periods, 0) < 0)
		return fail(r, -EINVAL,
			    "%s cannot use %u-frame periods x %u at %u Hz for %s (it allows periods of %lu-%lu "
			    "frames, %u-%u per buffer)",
			    s->name, r->period, r->audio.periods, r->rate, dir_name(s->dir), (unsigned long)pmin,
			    (unsigned long)pmax, nmin, nmax);
	if ((err = snd_pcm_hw_params(s->pcm, hw)) < 0)
		return fail(r, err == -EBUSY ? err : -EINVAL, "%s: the %s parameters were refused: %s", s->name,
			    dir_name(s->dir), snd_strerror(err));
	snd_pcm_hw_params_get_period_size(hw, &st->period, &dir);
	snd_pcm_hw_params_get_buffer_size(hw, &st->buffer);
	snd_pcm_hw_params_get_rate(hw, &st->rate, &dir);
	return 0;
}

static int set_sw(struct alsa_state *st, struct stream *s)
{
	snd_pcm_sw_params_t *sw;
	int err;

	snd_pcm_sw_params_alloca(&sw);
	snd_pcm_sw_params_current(s->pcm, sw);
	snd_pcm_sw_params_set_avail_min(s->pcm, sw, st->period);
	/* started by hand, after the playback buffer is full */
	snd_pcm_sw_params_set_start_threshold(s->pcm, sw, st->buffer * 2);
	snd_pcm_sw_params_set_stop_threshold(s->pcm, sw, st->buffer);
	snd_pcm_sw_params_set_tstamp_mode(s->pcm, sw, SND_PCM_TSTAMP_ENABLE);
	snd_pcm_sw_params_set_tstamp_type(s->pcm, sw, SND_PCM_TSTAMP_TYPE_MONOTONIC);
	if ((err = snd_pcm_sw_params(s->pcm, sw)) < 0)
		return fail(st->r, err, "%s: the software parameters were refused: %s", s->name, snd_strerror(err));
	return 0;
}

static uint64_t ts_ns(const snd_htimestamp_t *t)
{
	return (uint64_t)t->tv_sec * LB_NSEC + (uint64_t)t->tv_nsec;
}

static struct stream *playback(struct alsa_state *st)
{
	return st->s[0].pcm ? &st->s[0] : NULL;
}

static struct stream *capture(struct alsa_state *st)
{
	return st->s[1].pcm ? &st->s[1] : NULL;
}

/* Sample i of channel 0 as -1..1. */
static float sample_at(const struct alsa_state *st, const char *buf, snd_pcm_uframes_t i)
{
	const char *p = buf + i * st->frame_bytes;

	if (st->format == SND_PCM_FORMAT_S16_LE) {
		int16_t v;
		memcpy(&v, p, sizeof(v));
		return (float)v / 32768.0f;
	} else {
		int32_t v;
		memcpy(&v, p, sizeof(v));
		return (float)v / 2147483648.0f;
	}
}

/* Write the round-trip code into channel 0 of a silent period, from its first frame. */
static void put_code(const struct alsa_state *st, char *buf)
{
	unsigned i;

	for (i = 0; i < RT_CODE_LEN; i++) {
		char *p = buf + i * st->frame_bytes;
		if (st->format == SND_PCM_FORMAT_S16_LE) {
			int16_t v = (int16_t)(barker13[i] * RT_LEVEL * 32767);
			memcpy(p, &v, sizeof(v));
		} else {
			int32_t v = (int32_t)(barker13[i] * RT_LEVEL * 2147483647.0);
			memcpy(p, &v, sizeof(v));
		}
	}
}

/* Fill the playback buffer with silence: a full buffer before starting. */
static int prefill(struct alsa_state *st)
{
	struct stream *p = playback(st);
	snd_pcm_sframes_t n;

	if (!p)
		return 0;
	memset(st->pbuf, 0, st->buffer * st->frame_bytes);
	n = snd_pcm_writei(p->pcm, st->pbuf, st->buffer);
	return n < 0 ? (int)n : 0;
}

static int start(struct alsa_state *st)
{
	struct stream *d = capture(st) ? capture(st) : playback(st);
	int err;

	if ((err = prefill(st)) < 0)
		return err;
	if (st->last_ns > st->first_ns) {
		st->rate_frames += (double)(st->last_idx - st->first_idx) * (double)st->period;
		st->rate_ns += (double)(st->last_ns - st->first_ns);
	}
	st->done = st->first_idx = st->first_ns = st->last_idx = st->last_ns = 0;
	st->cap_pos = 0;
	st->pending = 0;
	st->next_send = st->gap;
	return snd_pcm_start(d->pcm); /* linked: starts both */
}

/*
 * Look for the code in the capture history (carry-over of RT_CODE_LEN + 1 frames, then the
 * period just read). Correlation at offset k, peak refined to a fraction of a frame with a
 * parabola through its neighbours. Returns the position in capture frames, or -1.
 */
static double find_code(struct alsa_state *st, uint64_t hist_start, unsigned len)
{
	double energy = RT_CODE_LEN * RT_LEVEL * RT_LEVEL, best = 0;
	unsigned k, i, at = 0;
	float *h = st->hist_cap;

	if (len < RT_CODE_LEN + 2)
		return -1;
	for (k = 1; k + RT_CODE_LEN + 1 <= len; k++) {
		double c = 0;
		for (i = 0; i < RT_CODE_LEN; i++)
			c += barker13[i] * h[k + i];
		if (c > best) {
			best = c;
			at = k;
		}
	}
	if (best < RT_THRESHOLD * energy)
		return -1;
	{
		double cm = 0, cp = 0, den, off = 0;
		for (i = 0; i < RT_CODE_LEN; i++) {
			cm += barker13[i] * h[at - 1 + i];
			cp += barker13[i] * h[at + 1 + i];
		}
		den = cm - 2 * best + cp;
		if (den < 0)
			off = 0.5 * (cm - cp) / den;
		return (double)hist_start + at + off;
	}
}

/* Round trip: after reading a capture period, search it; decide whether this period sends. */
static void roundtrip_period(struct alsa_state *st, uint64_t period_pos, int *send)
{
	struct lb_audio *a = &st->r->audio;
	unsigned carry = RT_CODE_LEN + 1, i;
	float *h = st->hist_cap;

	/* history: the last `carry` frames of before, then this period */
	memmove(h, h + st->period, carry * sizeof(*h));
	for (i = 0; i < st->period; i++)
		h[carry + i] = sample_at(st, st->cbuf, i);
	*send = 0;
	if (st->pending) {
		double at = find_code(st, period_pos - carry, carry + (unsigned)st->period);
		if (at >= 0) {
			if (a->nrt < LB_RT_MAX)
				a->rt[a->nrt++] = at - (double)st->sent_at;
			st->pending = 0;
			/* clear it from the history so that it is not found twice */
			memset(h, 0, (carry + st->period) * sizeof(*h));
		} else if (period_pos + st->period > st->sent_at + st->rate) {
			a->rt_lost++; /* a second without it */
			st->pending = 0;
		}
	}
	if (!st->pending && period_pos >= st->next_send) {
		*send = 1;
		st->pending = 1;
		/*
		 * sent while handling the capture period that starts at period_pos: counted from
		 * there, a loop through an application is periods x period plus the hardware's share
		 */
		st->sent_at = period_pos;
		st->next_send = period_pos + st->gap;
		a->rt_sent++;
	}
}

static void record(struct alsa_state *st, uint64_t lat, uint64_t interval, uint64_t now)
{
	struct lb_cpu *c = st->c;

	lb_cpu_sample(c, lat, st->over);
	if (st->r->tracer && lat > st->r->causes.threshold_ns)
		lb_causes_late(st->r->tracer, c->tid, now - lat, now, (double)(now - st->start_ns) / 1e9);
	if (interval)
		hist_add(&c->jitter, interval > st->period_ns ? interval - st->period_ns : st->period_ns - interval);
	c->cycles++;
}

/* -ENODEV or a disconnected state: the card went away under us. */
static int lost(struct alsa_state *st, struct stream *s, int err)
{
	st->r->audio.device_lost = 1;
	return fail(st->r, -ENODEV, "%s went away during the run (%s): the figures cover the time before",
		    s->name, snd_strerror(err));
}

/*
 * An xrun: when the driver stopped the stream, and how long until it runs again. `sampled`
 * says this wakeup's lateness is already a sample (the xrun came at its read or write).
 */
static int recover(struct alsa_state *st, struct stream *s, int sampled)
{
	snd_htimestamp_t trig;
	uint64_t at, now, dry;
	int err;

	if ((err = snd_pcm_status(s->pcm, s->status)) < 0)
		return err == -ENODEV ? lost(st, s, err) : err;
	snd_pcm_status_get_trigger_htstamp(s->status, &trig);
	at = ts_ns(&trig);
	/* a driver notices the xrun at its next interrupt: the buffer ran out at dry_ns already */
	dry = st->dry_ns;
	if (dry && dry < at)
		at = dry;
	st->dry_ns = 0;
	if ((err = snd_pcm_prepare(s->pcm)) < 0 || (err = start(st)) < 0)
		return err == -ENODEV ? lost(st, s, err) : fail(st->r, err, "%s: cannot restart after an xrun: %s",
								  s->name, snd_strerror(err));
	now = lb_now_ns();
	if (!at || at > now)
		at = now;
	/*
	 * The wakeup that would have saved the stream was due one period after the last one
	 * served; it came only now. That lateness is a sample too, or a run full of xruns
	 * would judge its own buffer size safe.
	 */
	if (dry && !sampled) {
		uint64_t due = dry - (uint64_t)(st->buffer - st->period) * LB_NSEC / st->rate;
		record(st, now > due ? now - due : 0, 0, now);
	}
	if (st->pending) {
		st->r->audio.rt_lost++;
		st->pending = 0;
	}
	lb_cpu_xrun(st->c, at > st->start_ns ? at - st->start_ns : 0, now - at);
	/* the periods the stream did not play or record */
	__atomic_store_n(&st->c->missed, st->c->missed + (now - at + st->period_ns - 1) / st->period_ns,
			 __ATOMIC_RELAXED);
	return 0;
}

/* The measuring loop: poll, then a period of I/O per ready period; no allocation, no printing. */
static void *alsa_thread(void *p)
{
	struct alsa_state *st = p;
	struct stream *drv = capture(st) ? capture(st) : playback(st);
	int timeout = (int)(8 * st->buffer * 1000 / st->rate);
	uint64_t prev = 0;

	if (timeout < STALL_MS_MIN)
		timeout = STALL_MS_MIN;
	if ((st->err = start(st)) < 0) {
		st->err = st->err == -ENODEV ? lost(st, drv, st->err)
					     : fail(st->r, st->err, "%s: cannot start: %s", drv->name,
						    snd_strerror(st->err));
		return NULL;
	}
	st->c->tid = (int)gettid();
	st->start_ns = lb_now_ns();
	st->end_ns = st->start_ns + (uint64_t)(st->r->duration_s * 1e9);
	while (!*st->stop) {
		snd_pcm_sframes_t avail, k;
		snd_htimestamp_t ht;
		unsigned short rev = 0;
		uint64_t now, boundary;
		int n, err, j, xrun = 0;

		n = poll(st->pfds, (nfds_t)st->npfds, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		now = lb_now_ns();
		if (now >= st->end_ns)
			break;
		if (n == 0) {
			st->r->audio.device_lost = 1;
			st->err = fail(st->r, -ENODEV, "%s stopped delivering periods: none for %d ms", drv->name,
				       timeout);
			break;
		}
		for (j = 0; j < 2; j++) {
			struct stream *s = &st->s[j];
			if (!s->pcm)
				continue;
			err = snd_pcm_poll_descriptors_revents(s->pcm, s->pfd, (unsigned)s->npfd, &rev);
			if (err == -ENODEV || (rev & (POLLERR | POLLNVAL) &&
					       snd_pcm_state(s->pcm) == SND_PCM_STATE_DISCONNECTED)) {
				st->err = lost(st, s, -ENODEV);
				return NULL;
			}
			if (rev & POLLERR)
				xrun = 1;
		}
		if (xrun) {
			if ((st->err = recover(st, drv, 0)) < 0)
				return NULL;
			prev = 0;
			continue;
		}
		/* the period boundary, from the driver's hardware pointer at its timestamp */
		err = snd_pcm_status(drv->pcm, drv->status);
		if (err < 0) {
			st->err = err == -ENODEV ? lost(st, drv, err) : fail(st->r, err, "%s: %s", drv->name,
									 snd_strerror(err));
			return NULL;
		}
		if (snd_pcm_status_get_state(drv->status) == SND_PCM_STATE_XRUN) {
			if ((st->err = recover(st, drv, 0)) < 0)
				return NULL;
			prev = 0;
			continue;
		}
		if (snd_pcm_status_get_state(drv->status) == SND_PCM_STATE_DISCONNECTED) {
			st->err = lost(st, drv, -ENODEV);
			return NULL;
		}
		avail = (snd_pcm_sframes_t)snd_pcm_status_get_avail(drv->status);
		if (avail < (snd_pcm_sframes_t)st->period)
			continue; /* woken early: not a period */
		snd_pcm_status_get_htstamp(drv->status, &ht);
		boundary = ts_ns(&ht) - (uint64_t)(avail - (snd_pcm_sframes_t)st->period) * LB_NSEC / st->rate;
		record(st, now > boundary ? now - boundary : 0, prev ? now - prev : 0, now);
		prev = now;
		if (!st->first_ns) {
			st->first_idx = st->done + 1;
			st->first_ns = boundary;
		} else {
			st->last_idx = st->done + 1;
			st->last_ns = boundary;
		}
		k = avail / (snd_pcm_sframes_t)st->period;
		/* once k periods are done, the buffer lasts until this, by the device's clock */
		st->dry_ns = ts_ns(&ht) + (uint64_t)((snd_pcm_sframes_t)st->buffer - avail + k * (snd_pcm_sframes_t)st->period) *
						 LB_NSEC / st->rate;
		if (k > 1)
			__atomic_store_n(&st->c->missed, st->c->missed + (uint64_t)(k - 1), __ATOMIC_RELAXED);
		/* a period of I/O per ready period, as an audio server would */
		for (; k > 0; k--) {
			struct stream *pb = playback(st), *cp = capture(st);
			int send = 0;
			snd_pcm_sframes_t got;

			if (cp) {
				got = snd_pcm_readi(cp->pcm, st->cbuf, st->period);
				if (got == -EAGAIN)
					break;
				if (got < 0) {
					if (got == -ENODEV) {
						st->err = lost(st, cp, (int)got);
						return NULL;
					}
					if ((st->err = recover(st, drv, 1)) < 0)
						return NULL;
					prev = 0;
					break;
				}
				if (st->r->audio.roundtrip)
					roundtrip_period(st, st->cap_pos, &send);
				st->cap_pos += (uint64_t)got;
			}
			st->done++;
			__atomic_store_n(&st->r->audio.periods_done, st->r->audio.periods_done + 1, __ATOMIC_RELAXED);
			if (pb) {
				memset(st->pbuf, 0, st->period * st->frame_bytes);
				if (send)
					put_code(st, st->pbuf);
				got = snd_pcm_writei(pb->pcm, st->pbuf, st->period);
				if (got < 0 && got != -EAGAIN) {
					if (got == -ENODEV) {
						st->err = lost(st, pb, (int)got);
						return NULL;
					}
					if ((st->err = recover(st, drv, 1)) < 0)
						return NULL;
					prev = 0;
					break;
				}
			}
		}
	}
	return NULL;
}

static void close_streams(struct alsa_state *st)
{
	int j;

	for (j = 0; j < 2; j++) {
		if (st->s[j].pcm) {
			snd_pcm_drop(st->s[j].pcm);
			snd_pcm_close(st->s[j].pcm);
		}
		if (st->s[j].status)
			snd_pcm_status_free(st->s[j].status);
	}
	free(st->pbuf);
	free(st->cbuf);
	free(st->hist_cap);
}

static int open_stream(struct alsa_state *st, int j, const char *dev, snd_pcm_stream_t dir)
{
	struct stream *s = &st->s[j];
	int err;

	s->name = dev;
	s->dir = dir;
	if ((err = snd_pcm_open(&s->pcm, dev, dir, SND_PCM_NONBLOCK)) < 0) {
		s->pcm = NULL;
		return open_error(st->r, dev, dir, err);
	}
	if (snd_pcm_type(s->pcm) == SND_PCM_TYPE_NULL)
		return fail(st->r, -EINVAL, "%s is the null PCM: it has no clock, so there is no period to measure",
			    dev);
	if ((err = snd_pcm_status_malloc(&s->status)) < 0)
		return fail(st->r, -ENOMEM, "out of memory");
	if ((err = set_hw(st, s)) < 0 || (err = set_sw(st, s)) < 0)
		return err;
	s->npfd = snd_pcm_poll_descriptors_count(s->pcm);
	if (s->npfd <= 0 || st->npfds + s->npfd > MAX_PFDS)
		return fail(st->r, -EINVAL, "%s: cannot wait on it (%d poll descriptors)", dev, s->npfd);
	s->pfd = &st->pfds[st->npfds];
	snd_pcm_poll_descriptors(s->pcm, s->pfd, (unsigned)s->npfd);
	st->npfds += s->npfd;
	st->nstreams++;
	return 0;
}

static void describe_card(struct alsa_state *st)
{
	struct lb_audio *a = &st->r->audio;
	snd_pcm_info_t *info;
	snd_pcm_t *pcm = st->s[0].pcm ? st->s[0].pcm : st->s[1].pcm;
	char *name = NULL;
	int card;

	snd_pcm_info_alloca(&info);
	if (snd_pcm_info(pcm, info) < 0)
		return;
	card = snd_pcm_info_get_card(info);
	if (card >= 0 && snd_card_get_name(card, &name) == 0) {
		snprintf(a->card, sizeof(a->card), "card %d: %s, %s", card, name, snd_pcm_info_get_name(info));
		free(name);
	} else
		snprintf(a->card, sizeof(a->card), "%s", snd_pcm_info_get_name(info));
}

int lb_plane_alsa(struct lb_run *r, volatile sig_atomic_t *stop, lb_progress_fn progress, void *data)
{
	struct alsa_state st = { .r = r, .c = &r->cpu[0], .stop = stop };
	struct lb_audio *a = &r->audio;
	const char *cdev = a->capture_device ? a->capture_device : a->device;
	int want_pb = !str_eq(a->stream, "capture"), want_cap = !str_eq(a->stream, "playback");
	int err = 0, dma_fd;
	unsigned i;
	sigset_t all, old;

	snd_lib_error_set_handler(quiet_alsa);
	if (want_pb && (err = open_stream(&st, 0, a->device, SND_PCM_STREAM_PLAYBACK)) < 0)
		goto out;
	if (want_cap && (err = open_stream(&st, 1, cdev, SND_PCM_STREAM_CAPTURE)) < 0)
		goto out;
	if (want_pb && want_cap && (err = snd_pcm_link(st.s[1].pcm, st.s[0].pcm)) < 0) {
		err = fail(r, -EINVAL, "cannot link %s and %s for duplex (%s): they must be on one card and clock",
			   a->device, cdev, snd_strerror(err));
		goto out;
	}
	st.frame_bytes = (unsigned)snd_pcm_format_physical_width(st.format) / 8 * st.channels;
	st.period_ns = (uint64_t)st.period * LB_NSEC / st.rate;
	for (i = 0; i < LB_NBUDGETS; i++)
		st.over[i] = (uint64_t)(lb_budget_fractions[i] * (double)st.period_ns);
	st.gap = st.rate / 10 > 4 * st.buffer ? st.rate / 10 : 4 * st.buffer;
	st.pbuf = calloc(st.buffer, st.frame_bytes);
	st.cbuf = calloc(st.buffer, st.frame_bytes);
	st.hist_cap = calloc(st.period + RT_CODE_LEN + 1, sizeof(float));
	if (!st.pbuf || !st.cbuf || !st.hist_cap) {
		err = fail(r, -ENOMEM, "out of memory");
		goto out;
	}
	a->rate = st.rate;
	a->period = (unsigned)st.period;
	a->buffer = (unsigned)st.buffer;
	a->nperiods = (unsigned)(st.buffer / st.period);
	a->channels = st.channels;
	snprintf(a->format, sizeof(a->format), "%s", snd_pcm_format_name(st.format));
	a->rt_buffering = a->nperiods * a->period;
	describe_card(&st);
	snprintf(st.c->name, sizeof(st.c->name), "alsa");
	r->interval_ns = st.period_ns;
	lb_causes_audio_start(r);

	dma_fd = lb_dma_latency_hold(r);
	r->memory_locked = lb_memory_lock();
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = lb_thread_start(st.c, r->priority, alsa_thread, &st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		st.c->err = err;
		fail(r, err, "cannot start the audio thread: %s", strerror(-err));
	} else {
		lb_report_until_joined(r, stop, lb_now_ns(), progress, data);
		err = st.err;
	}
	lb_causes_stop(r->tracer, r);
	r->tracer = NULL;
	r->sched_fifo = st.c->fifo;
	{
		uint64_t end = lb_now_ns();
		r->interrupted = *stop && st.start_ns && end < st.end_ns;
		if (end > st.end_ns)
			end = st.end_ns;
		r->elapsed_s = st.start_ns && end > st.start_ns ? (double)(end - st.start_ns) / 1e9 : 0;
	}
	if (r->memory_locked)
		munlockall();
	lb_dma_latency_release(dma_fd);
	r->realtime = r->sched_fifo && r->memory_locked;
	if (st.last_ns > st.first_ns) {
		st.rate_frames += (double)(st.last_idx - st.first_idx) * (double)st.period;
		st.rate_ns += (double)(st.last_ns - st.first_ns);
	}
	if (st.rate_ns > 0)
		a->measured_rate = st.rate_frames * 1e9 / st.rate_ns;
	if (a->roundtrip) {
		if (st.pending)
			a->rt_sent--; /* still on its way when the run ended: not lost */
		lb_audio_roundtrip_finish(a);
	}
	if (!err && a->roundtrip && a->rt_sent && !a->nrt)
		err = fail(r, -EIO, "round trip: none of %u signals came back from %s to %s: is the output "
			   "looped back to the input?", a->rt_sent, a->device, cdev);
out:
	close_streams(&st);
	return err;
}

/* `latency-bench devices`: what each PCM stream allows, read from the driver itself. */
static void stream_limits(FILE *fp, int card, int dev, snd_pcm_stream_t dir)
{
	char name[32];
	snd_pcm_t *pcm;
	snd_pcm_hw_params_t *hw;
	unsigned rmin, rmax, cmin, cmax, nmin, nmax, i;
	snd_pcm_uframes_t pmin, pmax, bmin, bmax;
	int d = 0, err, first = 1;

	snprintf(name, sizeof(name), "hw:%d,%d", card, dev);
	if ((err = snd_pcm_open(&pcm, name, dir, SND_PCM_NONBLOCK)) < 0) {
		fprintf(fp, "    %-9s %s\n", dir_name(dir), err == -EBUSY ? "busy (open in another program)"
							   : snd_strerror(err));
		return;
	}
	snd_pcm_hw_params_alloca(&hw);
	if (snd_pcm_hw_params_any(pcm, hw) < 0) {
		snd_pcm_close(pcm);
		return;
	}
	snd_pcm_hw_params_get_rate_min(hw, &rmin, &d);
	snd_pcm_hw_params_get_rate_max(hw, &rmax, &d);
	snd_pcm_hw_params_get_channels_min(hw, &cmin);
	snd_pcm_hw_params_get_channels_max(hw, &cmax);
	snd_pcm_hw_params_get_period_size_min(hw, &pmin, &d);
	snd_pcm_hw_params_get_period_size_max(hw, &pmax, &d);
	snd_pcm_hw_params_get_periods_min(hw, &nmin, &d);
	snd_pcm_hw_params_get_periods_max(hw, &nmax, &d);
	snd_pcm_hw_params_get_buffer_size_min(hw, &bmin);
	snd_pcm_hw_params_get_buffer_size_max(hw, &bmax);
	fprintf(fp, "    %-9s %u-%u Hz, %u-%u channels, period %lu-%lu frames, %u-%u periods, buffer %lu-%lu frames\n",
		dir_name(dir), rmin, rmax, cmin, cmax, (unsigned long)pmin, (unsigned long)pmax, nmin, nmax,
		(unsigned long)bmin, (unsigned long)bmax);
	fprintf(fp, "              formats:");
	for (i = 0; i <= SND_PCM_FORMAT_LAST; i++)
		if (snd_pcm_hw_params_test_format(pcm, hw, (snd_pcm_format_t)i) == 0) {
			fprintf(fp, "%s%s", first ? " " : ", ", snd_pcm_format_name((snd_pcm_format_t)i));
			first = 0;
		}
	fprintf(fp, "\n");
	snd_pcm_close(pcm);
}

int lb_alsa_devices(FILE *fp)
{
	int card = -1, n = 0;

	snd_lib_error_set_handler(quiet_alsa);
	while (snd_card_next(&card) == 0 && card >= 0) {
		snd_ctl_t *ctl;
		snd_ctl_card_info_t *ci;
		char hw[16];
		int dev = -1;

		n++;
		snprintf(hw, sizeof(hw), "hw:%d", card);
		if (snd_ctl_open(&ctl, hw, 0) < 0) {
			fprintf(fp, "card %d: (cannot open its control device)\n", card);
			continue;
		}
		snd_ctl_card_info_alloca(&ci);
		if (snd_ctl_card_info(ctl, ci) == 0)
			fprintf(fp, "card %d: %s [%s], driver %s\n", card, snd_ctl_card_info_get_id(ci),
				snd_ctl_card_info_get_name(ci), snd_ctl_card_info_get_driver(ci));
		while (snd_ctl_pcm_next_device(ctl, &dev) == 0 && dev >= 0) {
			snd_pcm_info_t *pi;
			int j;

			snd_pcm_info_alloca(&pi);
			snd_pcm_info_set_device(pi, (unsigned)dev);
			snd_pcm_info_set_subdevice(pi, 0);
			for (j = 0; j < 2; j++) {
				snd_pcm_stream_t dir = j ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK;
				snd_pcm_info_set_stream(pi, dir);
				if (snd_ctl_pcm_info(ctl, pi) < 0)
					continue;
				fprintf(fp, "  hw:%d,%d %s: %s, %u subdevice%s\n", card, dev, dir_name(dir),
					snd_pcm_info_get_name(pi), snd_pcm_info_get_subdevices_count(pi),
					snd_pcm_info_get_subdevices_count(pi) == 1 ? "" : "s");
				stream_limits(fp, card, dev, dir);
			}
		}
		snd_ctl_close(ctl);
	}
	return n;
}
