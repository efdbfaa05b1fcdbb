/* kernel.h - what every compute kernel exports: run(n) returns a checksum.
 * The same source is built for wasm32-wasi (reactor) and natively. */
#include <stdint.h>
#ifdef __wasm__
#define KERNEL __attribute__((export_name("run")))
#else
#define KERNEL __attribute__((visibility("default")))
#endif
KERNEL uint64_t run(int n);
