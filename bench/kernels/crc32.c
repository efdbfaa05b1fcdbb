/* crc32.c - bitwise-table CRC-32 over a 1 MiB buffer, repeated. */
#include "kernel.h"
#define N (1 << 20)
static unsigned char buf[N];
static uint32_t table[256];

uint64_t run(int reps) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++)
      c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  for (int i = 0; i < N; i++)
    buf[i] = (unsigned char)(i * 7 + 3);
  uint32_t crc = 0;
  for (int r = 0; r < reps; r++) {
    crc = 0xffffffffu;
    for (int i = 0; i < N; i++)
      crc = table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
    buf[r % N] ^= (unsigned char)crc;
  }
  return crc ^ 0xffffffffu;
}
