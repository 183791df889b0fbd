/*
 * Helpers shared by the libFuzzer targets in test/fuzz/.
 */
#ifndef TEST_FUZZ_FUZZ_H
#define TEST_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * Aborts with the failed condition, so libFuzzer saves the input as a crash.
 * Unlike assert(), it is never compiled out.
 */
#define FUZZ_ASSERT(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
			    __FILE__, __LINE__, #cond);			\
			abort();					\
		}							\
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Returns the size of the next read, from 1 to the smaller of left and
 * space (0 when either is 0), and advances *seed.  A small linear
 * congruential generator makes the split depend on the input only, so a
 * saved crash replays the same way.
 */
static inline size_t
fuzz_chunk_size(unsigned *seed, size_t left, size_t space)
{
	size_t max = left < space ? left : space;

	if (max == 0)
		return 0;
	*seed = *seed * 1103515245u + 12345u;
	switch ((*seed >> 16) & 3) {
	case 0:
		return 1;
	case 1:
		return 1 + (*seed >> 18) % (max < 8 ? max : 8);
	default:
		return max;
	}
}

#endif
