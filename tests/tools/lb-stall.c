/* lb-stall.c - the PipeWire test's other client: a JACK client that every N cycles spends a known
 * time in its process callback, so that the graph, not latency-bench's client, misses cycles */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jack/jack.h>

static unsigned long long busy_ns, every, cycles, stalls;

static unsigned long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (unsigned long long)t.tv_sec * 1000000000ULL + (unsigned long long)t.tv_nsec;
}

static int process(jack_nframes_t nframes, void *arg)
{
	(void)nframes;
	(void)arg;
	if (++cycles % every == 0) {
		unsigned long long until = now_ns() + busy_ns;

		while (now_ns() < until)
			;
		stalls++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	jack_status_t status;
	jack_client_t *client;
	char *end;
	double seconds;

	if (argc != 5) {
		fprintf(stderr, "usage: lb-stall NAME BUSY_US EVERY_CYCLES SECONDS\n");
		return 2;
	}
	busy_ns = strtoull(argv[2], &end, 10) * 1000;
	every = strtoull(argv[3], &end, 10);
	seconds = strtod(argv[4], &end);
	if (!busy_ns || !every || seconds <= 0) {
		fprintf(stderr, "lb-stall: invalid arguments\n");
		return 2;
	}
	client = jack_client_open(argv[1], JackNoStartServer, &status);
	if (!client) {
		fprintf(stderr, "lb-stall: no JACK server (status 0x%x)\n", (unsigned)status);
		return 3;
	}
	if (jack_set_process_callback(client, process, NULL) || jack_activate(client)) {
		fprintf(stderr, "lb-stall: cannot activate\n");
		return 3;
	}
	usleep((useconds_t)(seconds * 1e6));
	jack_deactivate(client);
	jack_client_close(client);
	printf("%llu\n", stalls);
	return 0;
}
