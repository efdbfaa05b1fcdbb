;; spectest.wat - the "spectest" module the WebAssembly spec scripts import.
;;
;; `weft spectest --spectest spectest.wasm` instantiates it once per script
;; and offers it as "spectest". The print functions come from the host
;; module "weft_spectest" that the runner defines (src/cli/cmd_spectest.c);
;; the globals, table and memory are the ones the reference interpreter
;; provides (spec interpreter/host/spectest.ml).
(module
  (import "weft_spectest" "print" (func $print))
  (import "weft_spectest" "print_i32" (func $print_i32 (param i32)))
  (import "weft_spectest" "print_i64" (func $print_i64 (param i64)))
  (import "weft_spectest" "print_f32" (func $print_f32 (param f32)))
  (import "weft_spectest" "print_f64" (func $print_f64 (param f64)))
  (import "weft_spectest" "print_i32_f32"
    (func $print_i32_f32 (param i32 f32)))
  (import "weft_spectest" "print_f64_f64"
    (func $print_f64_f64 (param f64 f64)))

  (export "print" (func $print))
  (export "print_i32" (func $print_i32))
  (export "print_i64" (func $print_i64))
  (export "print_f32" (func $print_f32))
  (export "print_f64" (func $print_f64))
  (export "print_i32_f32" (func $print_i32_f32))
  (export "print_f64_f64" (func $print_f64_f64))

  (global (export "global_i32") i32 (i32.const 666))
  (global (export "global_i64") i64 (i64.const 666))
  (global (export "global_f32") f32 (f32.const 666.6))
  (global (export "global_f64") f64 (f64.const 666.6))

  (table (export "table") 10 20 funcref)
  (memory (export "memory") 1 2)
)
