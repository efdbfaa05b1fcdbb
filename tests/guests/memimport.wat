;; memimport.wat - the same accesses on an imported memory, for
;; tests/unit/rewrite_test.c (imports memaccess.wat's memory as lib.memory).
(module
  (import "lib" "memory" (memory 1))
  (func (export "put") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "get") (param i32) (result i64) (i64.load (local.get 0)))
  (func (export "drop_f64") (param i32) (drop (f64.load (local.get 0)))))
