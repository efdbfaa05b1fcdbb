;; tiny.wat - the smallest useful guest: one page of memory, data to
;; initialise, one export that touches memory. Used to time
;; instantiate + call + reset.
(module
  (memory (export "memory") 1)
  (data (i32.const 16) "weft")
  (func (export "touch") (param i32) (result i32)
    (i32.store (i32.const 64) (local.get 0))
    (i32.add (i32.load (i32.const 16)) (i32.load (i32.const 64)))))
