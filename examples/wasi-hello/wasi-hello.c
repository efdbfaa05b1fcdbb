/* wasi-hello.c - the first Weft guest: a WASI command that greets.
 *
 *   clang --target=wasm32-wasi --sysroot=/usr -O2 -o wasi-hello.wasm \
 *     wasi-hello.c
 *   weft run wasi-hello.wasm -- world
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  const char *who = argc > 1 ? argv[1] : getenv("WHO");
  printf("Hello, %s!\n", who ? who : "world");
  return 0;
}
