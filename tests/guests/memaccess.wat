;; memaccess.wat - loads and stores as src/engine/rewrite.c leaves them, for
;; tests/unit/rewrite_test.c: out-of-bounds loads whose value is unused,
;; accesses after memory.grow in the same function, and a loop.
(module
  (memory (export "memory") 1 8)
  (func (export "drop_f64") (param i32) (drop (f64.load (local.get 0))))
  (func (export "drop_f32") (param i32) (drop (f32.load (local.get 0))))
  (func (export "drop_i64") (param i32) (drop (i64.load (local.get 0))))
  (func (export "drop_u8") (param i32)
    (drop (i32.load8_u offset=1 (local.get 0))))
  (func (export "dead_local") (param i32) (local f64)
    (local.set 1 (f64.load (local.get 0))))
  (func (export "grow_store") (result i64)
    (i64.store (i32.const 8) (i64.const 1))
    (drop (memory.grow (i32.const 1)))
    (i64.store (i32.sub (i32.mul (memory.size) (i32.const 65536))
                        (i32.const 8))
               (i64.const 41))
    (i64.add (i64.load (i32.sub (i32.mul (memory.size) (i32.const 65536))
                                (i32.const 8)))
             (i64.load (i32.const 8))))
  ;; a[i] = i for i < n, then the sum of a[i] * 0.5, as f64 at address 0.
  (func (export "sum") (param $n i32) (result f64)
    (local $i i32) (local $s f64)
    (block $done
      (loop $fill
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (f64.store (i32.shl (local.get $i) (i32.const 3))
                   (f64.convert_i32_u (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (local.set $i (i32.const 0))
    (block $done2
      (loop $add
        (br_if $done2 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (f64.add (local.get $s)
          (f64.mul (f64.load (i32.shl (local.get $i) (i32.const 3)))
                   (f64.const 0.5))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $add)))
    (local.get $s)))
