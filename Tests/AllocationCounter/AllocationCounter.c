// Interposes glibc's allocator for the test binary: a program's own
// definitions of malloc and friends take precedence over libc's, and glibc
// exports its implementations as __libc_*, so each wrapper counts and forwards.
// Counting is per thread, so tests running in parallel on other threads (and
// OpenBLAS's workers) do not disturb the thread under test.
#include "AllocationCounter.h"

#include <errno.h>
#include <stddef.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

static _Thread_local int counting;
static _Thread_local long count;

void allocation_counter_start(void) {
  count = 0;
  counting = 1;
}

long allocation_counter_stop(void) {
  counting = 0;
  return count;
}

void *malloc(size_t size) {
  if (counting) count++;
  return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
  if (counting) count++;
  return __libc_calloc(n, size);
}

void *realloc(void *pointer, size_t size) {
  if (counting) count++;
  return __libc_realloc(pointer, size);
}

void free(void *pointer) { __libc_free(pointer); }

void *memalign(size_t alignment, size_t size) {
  if (counting) count++;
  return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
  if (counting) count++;
  return __libc_memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  if (counting) count++;
  void *pointer = __libc_memalign(alignment, size);
  if (pointer == NULL) return ENOMEM;
  *out = pointer;
  return 0;
}
