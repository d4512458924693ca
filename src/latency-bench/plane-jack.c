/* plane-jack.c - placeholder until the JACK plane lands */
#include <errno.h>
#include <stdio.h>
#include "lb.h"

int lb_plane_jack(struct lb_run *r, volatile sig_atomic_t *stop, lb_progress_fn progress, void *data)
{
	(void)stop, (void)progress, (void)data;
	snprintf(r->audio.error, sizeof(r->audio.error), "the JACK plane is not built yet");
	return -ENOSYS;
}
