/* dl.h - a library opened on first use, its functions looked up into pointers (jack-dl, pw-dl) */
#ifndef LB_DL_H
#define LB_DL_H

struct lb_dl_lib {
	const char *soname;         /* "libjack.so.0" */
	const char *what;           /* "JACK": in "cannot load the JACK library" */
	const char *install;        /* what to install when it cannot be loaded */
	const char *const *names;   /* the functions, in the order of ptrs */
	void **const *ptrs;         /* where each function's address goes */
	unsigned n;
	void *handle;               /* set once every function was found */
};

/* Open the library and find every function, once: 0, or -ELIBACC with why in err (len bytes);
 * after a failure nothing is kept open and the next call tries again. */
int lb_dl_load(struct lb_dl_lib *l, char *err, unsigned len);

/* the X-list helpers the loaders share: each function's name, and where its pointer is */
#define LB_DL_NAME(f) #f,
#define LB_DL_ADDR(f) (void **)&lb_dl_##f,

#endif
