/* jack-dl.h - libjack loaded when the JACK plane first needs it, not at every start: jack2's
 * libjack brings libstdc++ and libdb (~2 MB read in at start-up), which the other planes never run */
#ifndef LB_JACK_DL_H
#define LB_JACK_DL_H

#include <jack/jack.h>
#include <jack/statistics.h>

/* Every libjack function latency-bench calls; each is called through a pointer of its own type. */
#define LB_JACK_FUNCS(X)                                                                          \
	X(jack_activate) X(jack_client_close) X(jack_client_open) X(jack_client_thread_id)        \
	X(jack_connect) X(jack_cpu_load) X(jack_deactivate) X(jack_frames_since_cycle_start)      \
	X(jack_free) X(jack_get_client_name) X(jack_get_cycle_times) X(jack_get_sample_rate)      \
	X(jack_get_time) X(jack_get_uuid_for_client_name) X(jack_get_version_string)              \
	X(jack_get_xrun_delayed_usecs) X(jack_on_info_shutdown) X(jack_port_get_buffer)           \
	X(jack_port_get_latency_range) X(jack_port_name) X(jack_port_register)                    \
	X(jack_port_unregister) X(jack_set_error_function) X(jack_set_info_function)              \
	X(jack_set_process_callback) X(jack_set_xrun_callback)

#define LB_JACK_PTR(f) extern __typeof__(f) *lb_dl_##f;
LB_JACK_FUNCS(LB_JACK_PTR)
#undef LB_JACK_PTR

/*
 * Load libjack.so.0 (the one LD_LIBRARY_PATH names first: PipeWire's under pw-jack) and every
 * function above, once: 0, or -ELIBACC with why in err (a buffer of len bytes).
 */
int lb_jack_load(char *err, unsigned len);

/* from here on, the calls of the including file go through the pointers */
#define jack_activate (*lb_dl_jack_activate)
#define jack_client_close (*lb_dl_jack_client_close)
#define jack_client_open (*lb_dl_jack_client_open)
#define jack_client_thread_id (*lb_dl_jack_client_thread_id)
#define jack_connect (*lb_dl_jack_connect)
#define jack_cpu_load (*lb_dl_jack_cpu_load)
#define jack_deactivate (*lb_dl_jack_deactivate)
#define jack_frames_since_cycle_start (*lb_dl_jack_frames_since_cycle_start)
#define jack_free (*lb_dl_jack_free)
#define jack_get_client_name (*lb_dl_jack_get_client_name)
#define jack_get_cycle_times (*lb_dl_jack_get_cycle_times)
#define jack_get_sample_rate (*lb_dl_jack_get_sample_rate)
#define jack_get_time (*lb_dl_jack_get_time)
#define jack_get_uuid_for_client_name (*lb_dl_jack_get_uuid_for_client_name)
#define jack_get_version_string (*lb_dl_jack_get_version_string)
#define jack_get_xrun_delayed_usecs (*lb_dl_jack_get_xrun_delayed_usecs)
#define jack_on_info_shutdown (*lb_dl_jack_on_info_shutdown)
#define jack_port_get_buffer (*lb_dl_jack_port_get_buffer)
#define jack_port_get_latency_range (*lb_dl_jack_port_get_latency_range)
#define jack_port_name (*lb_dl_jack_port_name)
#define jack_port_register (*lb_dl_jack_port_register)
#define jack_port_unregister (*lb_dl_jack_port_unregister)
#define jack_set_error_function (*lb_dl_jack_set_error_function)
#define jack_set_info_function (*lb_dl_jack_set_info_function)
#define jack_set_process_callback (*lb_dl_jack_set_process_callback)
#define jack_set_xrun_callback (*lb_dl_jack_set_xrun_callback)

#endif
