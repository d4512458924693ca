/* status.h - the outcome every stage returns; main.c turns it into the exit code */
#ifndef KB_STATUS_H
#define KB_STATUS_H

enum kb_status {
	KB_OK = 0,      /* done */
	KB_FAILED = 1,  /* the check failed: a value did not stick, a patch does not apply */
	KB_EUSAGE = 2,  /* bad arguments or bad input files */
	KB_EENV = 3,    /* missing tool, tree, device or privilege */
};

#endif
