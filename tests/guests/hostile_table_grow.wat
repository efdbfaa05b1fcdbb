;; Grows a table without end: table.grow fails at the cap, no crash.
;; Exits with the number of million entries it got.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (table 0 funcref)
  (func (export "_start")
    (loop $more
      (if (i32.ne (table.grow 0 (ref.null func) (i32.const 1000000))
                  (i32.const -1))
        (then (br $more))))
    (call $exit (i32.div_u (table.size 0) (i32.const 1000000)))))
