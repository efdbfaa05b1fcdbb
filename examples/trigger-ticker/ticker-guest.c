/* ticker-guest.c - a component of world weft:ticker/ticker (ticker.wit),
 * called by weft-trigger-ticker: prints the number of each tick, which
 * lands in .weft/logs/ticker_stdout.txt. Built with bindings from
 * `weft bindgen c ticker.wit` by `weft build` here (see spin.toml).
 */
#include <inttypes.h>
#include <stdio.h>

#include "ticker.h"

void exports_ticker_tick(uint64_t n) { printf("tick %" PRIu64 "\n", n); }
