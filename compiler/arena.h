/* arena.h - the compiler's one allocator.
 *
 * Takes: requests for zeroed memory of any size.
 * Gives: memory that lives until arena_free(); nothing is freed piecemeal.
 * Holds: an allocation failure aborts with a message (the compiler, unlike
 * the code it emits, may allocate; it may not crash or leak).
 */
#ifndef SNNC_COMPILER_ARENA_H
#define SNNC_COMPILER_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void *arena_alloc(struct arena *a, size_t size);
void *arena_array(struct arena *a, size_t count, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_free(struct arena *a);

#endif
