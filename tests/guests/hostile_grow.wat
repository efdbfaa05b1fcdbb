;; memory.grow until refused, then touch the last page: must be contained
;; by --max-memory. Exits with the number of pages it got (via a trap-free
;; return of the count through proc_exit).
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory 0)
  (func (export "_start") (local $pages i32)
    (loop $more
      (if (i32.ne (memory.grow (i32.const 16)) (i32.const -1))
        (then (br $more))))
    (local.set $pages (memory.size))
    ;; write into the last page to prove it is real
    (i32.store (i32.sub (i32.mul (local.get $pages) (i32.const 65536))
                        (i32.const 4))
               (i32.const 1))
    (call $exit (i32.div_u (local.get $pages) (i32.const 16)))))
