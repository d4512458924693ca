/* live.c - placeholder until the live view lands */
#include <stddef.h>
#include "live.h"

struct lb_live *lb_live_start(const struct lb_run *r)
{
	(void)r;
	return NULL;
}

int lb_live_update(struct lb_live *lv, const struct lb_run *r, double elapsed_s)
{
	(void)lv, (void)r, (void)elapsed_s;
	return 0;
}

void lb_live_end(struct lb_live *lv)
{
	(void)lv;
}
