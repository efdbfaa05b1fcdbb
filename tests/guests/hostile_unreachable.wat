;; Executes `unreachable`.
(module (func $boom unreachable) (func (export "_start") (call $boom)))
