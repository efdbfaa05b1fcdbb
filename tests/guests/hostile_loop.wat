;; An infinite loop: stopped by --deadline.
(module (func (export "_start") (loop $l (br $l))))
