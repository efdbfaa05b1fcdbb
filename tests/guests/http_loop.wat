;; A Spin HTTP component (fermyon:spin/inbound-http) whose handler never
;; returns: for the request deadline (504) and pool overload (503) tests.
(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (i32.const 1024))
  (func (export "fermyon:spin/inbound-http#handle-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (loop $forever (br $forever))
    (unreachable)))
