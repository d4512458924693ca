/* plane-alsa.c - placeholder until the ALSA plane lands */
#include <errno.h>
#include <stdio.h>
#include "lb.h"

int lb_plane_alsa(struct lb_run *r, volatile sig_atomic_t *stop, lb_progress_fn progress, void *data)
{
	(void)stop, (void)progress, (void)data;
	snprintf(r->audio.error, sizeof(r->audio.error), "the ALSA plane is not built yet");
	return -ENOSYS;
}

int lb_alsa_devices(FILE *fp)
{
	(void)fp;
	return 0;
}
