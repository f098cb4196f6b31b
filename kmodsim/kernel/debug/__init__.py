"""The kernel's debugging machinery: lockdep, KASAN, kmemleak, the soft-lockup and hung-task
watchdogs, and sleeping in atomic context. Each checks a subsystem and reports in the
kernel's own words; none is needed for the API to work."""
