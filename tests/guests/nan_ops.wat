;; nan_ops.wat - float operations on bit patterns, for tests/unit/nan_test.c
;; (canonical NaNs, issue #7): each export takes its operands as integer
;; bits, reinterprets them, applies one operation and returns the bits of
;; the result, so the C compiler cannot fold a NaN at compile time.
(module
  (func (export "f32_add") (param i32 i32) (result i32)
    (i32.reinterpret_f32
      (f32.add (f32.reinterpret_i32 (local.get 0))
        (f32.reinterpret_i32 (local.get 1)))))
  (func (export "f32_sub") (param i32 i32) (result i32)
    (i32.reinterpret_f32
      (f32.sub (f32.reinterpret_i32 (local.get 0))
        (f32.reinterpret_i32 (local.get 1)))))
  (func (export "f32_mul") (param i32 i32) (result i32)
    (i32.reinterpret_f32
      (f32.mul (f32.reinterpret_i32 (local.get 0))
        (f32.reinterpret_i32 (local.get 1)))))
  (func (export "f32_div") (param i32 i32) (result i32)
    (i32.reinterpret_f32
      (f32.div (f32.reinterpret_i32 (local.get 0))
        (f32.reinterpret_i32 (local.get 1)))))
  (func (export "f32_min") (param i32 i32) (result i32)
    (i32.reinterpret_f32
      (f32.min (f32.reinterpret_i32 (local.get 0))
        (f32.reinterpret_i32 (local.get 1)))))
  (func (export "f32_max") (param i32 i32) (result i32)
    (i32.reinterpret_f32
      (f32.max (f32.reinterpret_i32 (local.get 0))
        (f32.reinterpret_i32 (local.get 1)))))
  (func (export "f32_copysign") (param i32 i32) (result i32)
    (i32.reinterpret_f32
      (f32.copysign (f32.reinterpret_i32 (local.get 0))
        (f32.reinterpret_i32 (local.get 1)))))
  (func (export "f32_sqrt") (param i32) (result i32)
    (i32.reinterpret_f32
      (f32.sqrt (f32.reinterpret_i32 (local.get 0)))))
  (func (export "f32_ceil") (param i32) (result i32)
    (i32.reinterpret_f32
      (f32.ceil (f32.reinterpret_i32 (local.get 0)))))
  (func (export "f32_floor") (param i32) (result i32)
    (i32.reinterpret_f32
      (f32.floor (f32.reinterpret_i32 (local.get 0)))))
  (func (export "f32_trunc") (param i32) (result i32)
    (i32.reinterpret_f32
      (f32.trunc (f32.reinterpret_i32 (local.get 0)))))
  (func (export "f32_nearest") (param i32) (result i32)
    (i32.reinterpret_f32
      (f32.nearest (f32.reinterpret_i32 (local.get 0)))))
  (func (export "f32_abs") (param i32) (result i32)
    (i32.reinterpret_f32
      (f32.abs (f32.reinterpret_i32 (local.get 0)))))
  (func (export "f32_neg") (param i32) (result i32)
    (i32.reinterpret_f32
      (f32.neg (f32.reinterpret_i32 (local.get 0)))))
  (func (export "f64_add") (param i64 i64) (result i64)
    (i64.reinterpret_f64
      (f64.add (f64.reinterpret_i64 (local.get 0))
        (f64.reinterpret_i64 (local.get 1)))))
  (func (export "f64_sub") (param i64 i64) (result i64)
    (i64.reinterpret_f64
      (f64.sub (f64.reinterpret_i64 (local.get 0))
        (f64.reinterpret_i64 (local.get 1)))))
  (func (export "f64_mul") (param i64 i64) (result i64)
    (i64.reinterpret_f64
      (f64.mul (f64.reinterpret_i64 (local.get 0))
        (f64.reinterpret_i64 (local.get 1)))))
  (func (export "f64_div") (param i64 i64) (result i64)
    (i64.reinterpret_f64
      (f64.div (f64.reinterpret_i64 (local.get 0))
        (f64.reinterpret_i64 (local.get 1)))))
  (func (export "f64_min") (param i64 i64) (result i64)
    (i64.reinterpret_f64
      (f64.min (f64.reinterpret_i64 (local.get 0))
        (f64.reinterpret_i64 (local.get 1)))))
  (func (export "f64_max") (param i64 i64) (result i64)
    (i64.reinterpret_f64
      (f64.max (f64.reinterpret_i64 (local.get 0))
        (f64.reinterpret_i64 (local.get 1)))))
  (func (export "f64_copysign") (param i64 i64) (result i64)
    (i64.reinterpret_f64
      (f64.copysign (f64.reinterpret_i64 (local.get 0))
        (f64.reinterpret_i64 (local.get 1)))))
  (func (export "f64_sqrt") (param i64) (result i64)
    (i64.reinterpret_f64
      (f64.sqrt (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f64_ceil") (param i64) (result i64)
    (i64.reinterpret_f64
      (f64.ceil (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f64_floor") (param i64) (result i64)
    (i64.reinterpret_f64
      (f64.floor (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f64_trunc") (param i64) (result i64)
    (i64.reinterpret_f64
      (f64.trunc (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f64_nearest") (param i64) (result i64)
    (i64.reinterpret_f64
      (f64.nearest (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f64_abs") (param i64) (result i64)
    (i64.reinterpret_f64
      (f64.abs (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f64_neg") (param i64) (result i64)
    (i64.reinterpret_f64
      (f64.neg (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f32_demote") (param i64) (result i32)
    (i32.reinterpret_f32
      (f32.demote_f64 (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f64_promote") (param i32) (result i64)
    (i64.reinterpret_f64
      (f64.promote_f32 (f32.reinterpret_i32 (local.get 0)))))
;; A NaN through memory and a local: bits kept (no arithmetic).
  (memory 1)
  (func (export "f64_store_load") (param i64) (result i64)
    (local f64)
    (local.set 1 (f64.reinterpret_i64 (local.get 0)))
    (f64.store (i32.const 8) (local.get 1))
    (i64.reinterpret_f64
      (f64.load (i32.const 8))))
)
