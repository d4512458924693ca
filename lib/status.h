/* status.h - the outcome every stage and command of both programs returns; only main.c turns it into the exit code */
#ifndef KB_STATUS_H
#define KB_STATUS_H

enum kb_status {
	KB_OK = 0,              /* done */
	KB_FAILED = 1,          /* the check failed: a value did not stick, a patch does not apply, a budget was exceeded */
	KB_EUSAGE = 2,          /* bad arguments or bad input files */
	KB_EENV = 3,            /* missing tool, tree, device or privilege */
	KB_INTERRUPTED = 130,   /* stopped by SIGINT/SIGTERM/SIGHUP; a build can be resumed */
};

#endif
