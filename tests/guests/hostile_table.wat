;; Asks for a table of 100 million entries: refused at instantiation.
(module (table 100000000 funcref) (func (export "_start")))
