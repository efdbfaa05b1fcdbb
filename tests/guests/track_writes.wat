;; track_writes.wat - every way a guest writes its memory, one export
;; each, for tests/unit/reset_test.c: with write tracking on, a reset
;; rewrites only the 4 KiB chunks these mark, so each must mark what it
;; writes. Replayable (no start function, no imported memory, table or
;; global): resets put back the saved image. Data in two chunks, a passive
;; segment for memory.init, WASI's random_get for a host write.
(module
  (import "wasi_snapshot_preview1" "random_get"
    (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") 2 16)
  (data (i32.const 1024) "hello")
  (data (i32.const 70000) "second page")
  (data $passive "a passive segment, copied by memory.init")
  (func (export "store32") (param i32 i32)
    (i32.store (local.get 0) (local.get 1)))
  (func (export "store64") (param i32 i64)
    (i64.store (local.get 0) (local.get 1)))
  (func (export "store8") (param i32 i32)
    (i32.store8 (local.get 0) (local.get 1)))
  (func (export "store16") (param i32 i32)
    (i32.store16 (local.get 0) (local.get 1)))
  (func (export "store64_32") (param i32 i64)
    (i64.store32 (local.get 0) (local.get 1)))
  (func (export "storef64") (param i32 f64)
    (f64.store (local.get 0) (local.get 1)))
  ;; the effective address is addr + 0x3000: the chunk marked is its own
  (func (export "store32_off") (param i32 i32)
    (i32.store offset=0x3000 (local.get 0) (local.get 1)))
  (func (export "fill") (param i32 i32 i32)
    (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32)
    (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32)
    (memory.init $passive (local.get 0) (local.get 1) (local.get 2)))
  (func (export "random") (param i32 i32) (result i32)
    (call $random_get (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "load8") (param i32) (result i32)
    (i32.load8_u (local.get 0))))
