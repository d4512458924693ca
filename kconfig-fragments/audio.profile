# Help: a low-latency audio kernel: preempt + modules + ide-scsi + audio + tracers
# One fragment or profile name a line, merged in this order. Inside a
# profile a name means the fragment NAME.config when one exists.
preempt
modules
ide-scsi
audio
tracers
