/* nbody.c - the n-body simulation of the Benchmarks Game, 5 bodies. */
#include "kernel.h"
#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS 365.24
typedef struct { double x, y, z, vx, vy, vz, m; } body_t;

static double isqrt(double x) { return 1.0 / __builtin_sqrt(x); }

uint64_t run(int steps) {
  body_t b[5] = {
      {0, 0, 0, 0, 0, 0, SOLAR_MASS},
      {4.84143144246472090e+00, -1.16032004402742839e+00,
       -1.03622044471123109e-01, 1.66007664274403694e-03 * DAYS,
       7.69901118419740425e-03 * DAYS, -6.90460016972063023e-05 * DAYS,
       9.54791938424326609e-04 * SOLAR_MASS},
      {8.34336671824457987e+00, 4.12479856412430479e+00,
       -4.03523417114321381e-01, -2.76742510726862411e-03 * DAYS,
       4.99852801234917238e-03 * DAYS, 2.30417297573763929e-05 * DAYS,
       2.85885980666130812e-04 * SOLAR_MASS},
      {1.28943695621391310e+01, -1.51111514016986312e+01,
       -2.23307578892655734e-01, 2.96460137564761618e-03 * DAYS,
       2.37847173959480950e-03 * DAYS, -2.96589568540237556e-05 * DAYS,
       4.36624404335156298e-05 * SOLAR_MASS},
      {1.53796971148509165e+01, -2.59193146099879641e+01,
       1.79258772950371181e-01, 2.68067772490389322e-03 * DAYS,
       1.62824170038242295e-03 * DAYS, -9.51592254519715870e-05 * DAYS,
       5.15138902046611451e-05 * SOLAR_MASS}};
  for (int s = 0; s < steps; s++)
    for (int i = 0; i < 5; i++) {
      for (int j = i + 1; j < 5; j++) {
        double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y,
               dz = b[i].z - b[j].z;
        double d2 = dx * dx + dy * dy + dz * dz;
        double mag = 0.01 * isqrt(d2) / d2;
        b[i].vx -= dx * b[j].m * mag;
        b[i].vy -= dy * b[j].m * mag;
        b[i].vz -= dz * b[j].m * mag;
        b[j].vx += dx * b[i].m * mag;
        b[j].vy += dy * b[i].m * mag;
        b[j].vz += dz * b[i].m * mag;
      }
      for (int k = 0; k < 5; k++) {
        b[k].x += 0.01 * b[k].vx;
        b[k].y += 0.01 * b[k].vy;
        b[k].z += 0.01 * b[k].vz;
      }
    }
  double e = 0;
  for (int i = 0; i < 5; i++)
    e += b[i].m * (b[i].vx * b[i].vx + b[i].vy * b[i].vy);
  return (uint64_t)(e * 1e6);
}
