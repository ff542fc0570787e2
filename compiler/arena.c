/* arena.c - bump allocator in chained blocks, freed once.
 *
 * Takes: allocation requests. Gives: zeroed, 16-byte aligned memory.
 * Holds: every block is released by arena_free(); overflowing size
 * computations abort instead of wrapping.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct block {
    struct block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

struct arena {
    struct block *head;
};

static void out_of_memory(size_t size)
{
    fprintf(stderr, "snnc: out of memory (asked for %zu bytes)\n", size);
    abort();
}

struct arena *arena_new(void)
{
    struct arena *a = calloc(1, sizeof *a);
    if (!a)
        out_of_memory(sizeof *a);
    return a;
}

void *arena_alloc(struct arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    struct block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t want = size > 65536 ? size : 65536;
        if (want > SIZE_MAX - sizeof *b)
            out_of_memory(want);
        b = malloc(sizeof *b + want);
        if (!b)
            out_of_memory(want);
        b->used = 0;
        b->size = want;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

void *arena_array(struct arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        out_of_memory(SIZE_MAX);
    return arena_alloc(a, count * size);
}

char *arena_strdup(struct arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(a, n);
    memcpy(p, s, n);
    return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void arena_free(struct arena *a)
{
    if (!a)
        return;
    struct block *b = a->head;
    while (b) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}
