/* jacobi2d.c - 2-D Jacobi stencil on 400x400 doubles (PolyBench-like). */
#include "kernel.h"
#define N 400
static double A[N][N], B[N][N];

uint64_t run(int steps) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      A[i][j] = ((double)i * (j + 2) + 2) / N;
      B[i][j] = ((double)i * (j + 3) + 3) / N;
    }
  for (int t = 0; t < steps; t++) {
    for (int i = 1; i < N - 1; i++)
      for (int j = 1; j < N - 1; j++)
        B[i][j] = 0.2 * (A[i][j] + A[i][j - 1] + A[i][1 + j] + A[1 + i][j] +
                         A[i - 1][j]);
    for (int i = 1; i < N - 1; i++)
      for (int j = 1; j < N - 1; j++)
        A[i][j] = 0.2 * (B[i][j] + B[i][j - 1] + B[i][1 + j] + B[1 + i][j] +
                         B[i - 1][j]);
  }
  double s = 0;
  for (int i = 0; i < N; i++)
    s += A[i][N / 2];
  return (uint64_t)(s * 1000);
}
