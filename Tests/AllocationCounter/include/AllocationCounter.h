#ifndef NNC_ALLOCATION_COUNTER_H
#define NNC_ALLOCATION_COUNTER_H

/// Counts heap allocations made by the calling thread between start and stop.
/// The test binary that links this target routes malloc, calloc, realloc and
/// the aligned allocators through counting wrappers around glibc's own.
void allocation_counter_start(void);
/// Stops counting on the calling thread and returns the count since start.
long allocation_counter_stop(void);

#endif
