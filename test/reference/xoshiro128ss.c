/* xoshiro128** 1.1 as published by David Blackman and Sebastiano Vigna (public domain,
   prng.di.unimi.it/xoshiro128starstar.c), with a main() printing the first outputs from the
   state {1, 2, 3, 4}. Reference for test/unit/stats.test.ts: gcc xoshiro128ss.c && ./a.out */
#include <stdint.h>
#include <stdio.h>

static inline uint32_t rotl(const uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }
static uint32_t s[4] = {1, 2, 3, 4};

uint32_t next(void) {
  const uint32_t result = rotl(s[1] * 5, 7) * 9;
  const uint32_t t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
  return result;
}

int main(void) {
  for (int i = 0; i < 6; i++) printf("%u\n", next());
  return 0;
}
