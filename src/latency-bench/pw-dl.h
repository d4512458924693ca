/* pw-dl.h - libpipewire loaded when latency-bench first talks to PipeWire, not at every start: a
 * timer or ALSA run never calls it, and linking it costs each run ~0.4 MB of resident memory and
 * its relocations at start-up, against the run it measures */
#ifndef LB_PW_DL_H
#define LB_PW_DL_H

#include <pipewire/pipewire.h>
#include <pipewire/conf.h>
#include <pipewire/impl-module.h>

/* Every libpipewire function latency-bench calls; each is called through a pointer of its own type. */
#define LB_PW_FUNCS(X)                                                                            \
	X(pw_conf_load_conf_for_context) X(pw_context_connect) X(pw_context_destroy)              \
	X(pw_context_load_module) X(pw_context_new) X(pw_core_disconnect) X(pw_init)              \
	X(pw_properties_free) X(pw_properties_get) X(pw_properties_new) X(pw_proxy_destroy)       \
	X(pw_thread_loop_destroy) X(pw_thread_loop_get_loop) X(pw_thread_loop_get_time)           \
	X(pw_thread_loop_lock) X(pw_thread_loop_new) X(pw_thread_loop_signal)                     \
	X(pw_thread_loop_start) X(pw_thread_loop_stop) X(pw_thread_loop_timed_wait_full)          \
	X(pw_thread_loop_unlock)

#define LB_PW_PTR(f) extern __typeof__(f) *lb_dl_##f;
LB_PW_FUNCS(LB_PW_PTR)
#undef LB_PW_PTR

/*
 * Load libpipewire-0.3.so.0 and every function above, once: 0, or -ELIBACC with why in err (a
 * buffer of len bytes). Safe to call again after a failure (it tries again).
 */
int lb_pw_load(char *err, unsigned len);

/* from here on, the calls of the including file go through the pointers */
#define pw_conf_load_conf_for_context (*lb_dl_pw_conf_load_conf_for_context)
#define pw_context_connect (*lb_dl_pw_context_connect)
#define pw_context_destroy (*lb_dl_pw_context_destroy)
#define pw_context_load_module (*lb_dl_pw_context_load_module)
#define pw_context_new (*lb_dl_pw_context_new)
#define pw_core_disconnect (*lb_dl_pw_core_disconnect)
#define pw_init (*lb_dl_pw_init)
#define pw_properties_free (*lb_dl_pw_properties_free)
#define pw_properties_get (*lb_dl_pw_properties_get)
#define pw_properties_new (*lb_dl_pw_properties_new)
#define pw_proxy_destroy (*lb_dl_pw_proxy_destroy)
#define pw_thread_loop_destroy (*lb_dl_pw_thread_loop_destroy)
#define pw_thread_loop_get_loop (*lb_dl_pw_thread_loop_get_loop)
#define pw_thread_loop_get_time (*lb_dl_pw_thread_loop_get_time)
#define pw_thread_loop_lock (*lb_dl_pw_thread_loop_lock)
#define pw_thread_loop_new (*lb_dl_pw_thread_loop_new)
#define pw_thread_loop_signal (*lb_dl_pw_thread_loop_signal)
#define pw_thread_loop_start (*lb_dl_pw_thread_loop_start)
#define pw_thread_loop_stop (*lb_dl_pw_thread_loop_stop)
#define pw_thread_loop_timed_wait_full (*lb_dl_pw_thread_loop_timed_wait_full)
#define pw_thread_loop_unlock (*lb_dl_pw_thread_loop_unlock)

#endif
