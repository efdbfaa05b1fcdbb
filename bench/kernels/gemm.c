/* gemm.c - C = alpha*A*B + beta*C on 192x192 doubles (PolyBench-like). */
#include "kernel.h"
#define N 192
static double A[N][N], B[N][N], C[N][N];

uint64_t run(int reps) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      A[i][j] = (double)((i * j + 1) % N) / N;
      B[i][j] = (double)((i * (j + 1) + 2) % N) / N;
      C[i][j] = (double)((i * (j + 2) + 3) % N) / N;
    }
  for (int r = 0; r < reps; r++)
    for (int i = 0; i < N; i++) {
      for (int j = 0; j < N; j++)
        C[i][j] *= 0.5;
      for (int k = 0; k < N; k++)
        for (int j = 0; j < N; j++)
          C[i][j] += 1.5 * A[i][k] * B[k][j];
    }
  double s = 0;
  for (int i = 0; i < N; i++)
    s += C[i][i];
  return (uint64_t)(s * 1000);
}
