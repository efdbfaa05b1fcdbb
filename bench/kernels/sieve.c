/* sieve.c - primes below 4 million, byte array, repeated. */
#include "kernel.h"
#define N 4000000
static unsigned char composite[N];

uint64_t run(int reps) {
  uint64_t count = 0;
  for (int r = 0; r < reps; r++) {
    for (int i = 0; i < N; i++)
      composite[i] = 0;
    count = 0;
    for (int i = 2; i < N; i++) {
      if (composite[i])
        continue;
      count++;
      for (int j = 2 * i; j < N; j += i)
        composite[j] = 1;
    }
  }
  return count;
}
