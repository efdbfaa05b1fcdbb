/* reader_test.c - unit tests for the WebAssembly binary reader
 * (src/engine/reader.c): well-formed modules decode into the expected
 * structure, malformed ones fail with WEFT_EMALFORMED and a message that
 * says what and where, and no input reads out of bounds or leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/reader.h"
#include "util/util.h"

#define HDR 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00
/* (type (func)) */
#define TYPE_NIL 0x01, 0x04, 0x01, 0x60, 0x00, 0x00
/* one function of type 0 */
#define FUNC_1 0x03, 0x02, 0x01, 0x00
/* one body: no locals, end */
#define CODE_1 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b

/* A module using most of the format, made from this text with
 * `wat2wasm --enable-all --debug-names` and pasted in:
 *
 * (module $mod
 *   (type $bin (func (param i32 i32) (result i32)))
 *   (type $nil (func))
 *   (type $multi (func (param i64) (result i32 f64)))
 *   (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (type $bin)))
 *   (import "env" "memory" (memory 1 65536))
 *   (import "env" "g" (global $g (mut i32)))
 *   (import "env" "t" (table 10 funcref))
 *   (table 1 2 externref)
 *   (memory 1 2 shared)
 *   (memory i64 1)
 *   (global i32 (i32.const -1))
 *   (global (mut f64) (f64.const 1.5))
 *   (global v128 (v128.const i32x4 1 2 3 4))
 *   (global i32 (i32.add (i32.const 1) (i32.const 2)))
 *   (export "run" (func $run))
 *   (export "mem" (memory 0))
 *   (export "g" (global 1))
 *   (start $init)
 *   (elem func $init)
 *   (elem funcref (ref.null func))
 *   (func $init (type $nil))
 *   (func $run (type $multi) (local i32 i32) (data.drop 0) unreachable)
 *   (data "hi"))
 */
static const uint8_t full[] = {
    HDR,
    /* type section */
    0x01, 0x10, 0x03, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00,
    0x60, 0x01, 0x7e, 0x02, 0x7f, 0x7c,
    /* import section */
    0x02, 0x47, 0x04, 0x16, 0x77, 0x61, 0x73, 0x69, 0x5f, 0x73, 0x6e, 0x61,
    0x70, 0x73, 0x68, 0x6f, 0x74, 0x5f, 0x70, 0x72, 0x65, 0x76, 0x69, 0x65,
    0x77, 0x31, 0x08, 0x66, 0x64, 0x5f, 0x77, 0x72, 0x69, 0x74, 0x65, 0x00,
    0x00, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79,
    0x02, 0x01, 0x01, 0x80, 0x80, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x67,
    0x03, 0x7f, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x74, 0x01, 0x70, 0x00,
    0x0a,
    /* function section */
    0x03, 0x03, 0x02, 0x01, 0x02,
    /* table section */
    0x04, 0x05, 0x01, 0x6f, 0x01, 0x01, 0x02,
    /* memory section */
    0x05, 0x06, 0x02, 0x03, 0x01, 0x02, 0x04, 0x01,
    /* global section */
    0x06, 0x2f, 0x04, 0x7f, 0x00, 0x41, 0x7f, 0x0b, 0x7c, 0x01, 0x44, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f, 0x0b, 0x7b, 0x00, 0xfd, 0x0c,
    0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
    0x04, 0x00, 0x00, 0x00, 0x0b, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a,
    0x0b,
    /* export section */
    0x07, 0x11, 0x03, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x02, 0x03, 0x6d, 0x65,
    0x6d, 0x02, 0x00, 0x01, 0x67, 0x03, 0x01,
    /* start section */
    0x08, 0x01, 0x01,
    /* element section */
    0x09, 0x0b, 0x02, 0x01, 0x00, 0x01, 0x01, 0x05, 0x70, 0x01, 0xd0, 0x70,
    0x0b,
    /* datacount section */
    0x0c, 0x01, 0x01,
    /* code section */
    0x0a, 0x0d, 0x02, 0x02, 0x00, 0x0b, 0x08, 0x01, 0x02, 0x7f, 0xfc, 0x09,
    0x00, 0x00, 0x0b,
    /* data section */
    0x0b, 0x05, 0x01, 0x01, 0x02, 0x68, 0x69,
    /* custom section "name": module, function, local, type, global names */
    0x00, 0x46, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x00, 0x04, 0x03, 0x6d, 0x6f,
    0x64, 0x01, 0x16, 0x03, 0x00, 0x08, 0x66, 0x64, 0x5f, 0x77, 0x72, 0x69,
    0x74, 0x65, 0x01, 0x04, 0x69, 0x6e, 0x69, 0x74, 0x02, 0x03, 0x72, 0x75,
    0x6e, 0x02, 0x07, 0x03, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x04, 0x12,
    0x03, 0x00, 0x03, 0x62, 0x69, 0x6e, 0x01, 0x03, 0x6e, 0x69, 0x6c, 0x02,
    0x05, 0x6d, 0x75, 0x6c, 0x74, 0x69, 0x07, 0x04, 0x01, 0x00, 0x01, 0x67,
};

/* Decode a private, exactly sized copy of bytes[0..len) so that ASan
 * catches any read past the end. Returns the reader's result. */
static int decode(const uint8_t *bytes, size_t len, weft__wasm_t *w,
                  weft_error_t *err) {
  uint8_t *copy = malloc(len ? len : 1);
  int rc;
  assert_non_null(copy);
  if (len)
    memcpy(copy, bytes, len);
  rc = weft__wasm_read(copy, len, w, err);
  free(copy);
  return rc;
}

/* Assert that bytes[0..len) fails with `code` and a message containing
 * `what`, and that the output is left released. */
static void expect_fail(const uint8_t *bytes, size_t len, int code,
                        const char *what) {
  weft__wasm_t w;
  weft_error_t err = {0};
  int rc = decode(bytes, len, &w, &err);
  if (rc != code || !strstr(err.msg, what))
    print_error("got %d '%s', want %d '%s'\n", rc, err.msg, code, what);
  assert_int_equal(rc, code);
  assert_int_equal(err.code, code);
  assert_non_null(strstr(err.msg, what));
  assert_null(w.types);
  assert_null(w.sections);
  assert_int_equal(w.nsections, 0);
}

/* Assert that bytes[0..len) decodes into *w (caller releases). */
static void expect_ok(const uint8_t *bytes, size_t len, weft__wasm_t *w) {
  weft_error_t err = {0};
  int rc = decode(bytes, len, w, &err);
  if (rc)
    print_error("unexpected failure: %s\n", err.msg);
  assert_int_equal(rc, 0);
}

#define FAILS(arr, code, what) expect_fail(arr, sizeof arr, code, what)
#define MALFORMED(arr, what) FAILS(arr, WEFT_EMALFORMED, what)

/* The 8-byte header alone is a module with nothing in it. */
static void test_empty_module(void **state) {
  static const uint8_t m[] = {HDR};
  weft__wasm_t w;
  expect_ok(m, sizeof m, &w);
  assert_int_equal(w.ntypes, 0);
  assert_int_equal(w.nimports, 0);
  assert_int_equal(w.nfuncs, 0);
  assert_int_equal(w.nsections, 0);
  assert_false(w.has_start);
  assert_null(w.module_name);
  assert_null(w.func_names);
  assert_null(weft__wasm_func_type(&w, 0));
  assert_null(weft__wasm_func_name(&w, 0));
  weft__wasm_release(&w);
  weft__wasm_release(&w); /* release twice is harmless */
}

/* Types and imports of `full` decode field by field. */
static void test_full_types_imports(void **state) {
  weft__wasm_t w;
  char sig[32];
  expect_ok(full, sizeof full, &w);

  assert_int_equal(w.ntypes, 3);
  assert_string_equal(weft__functype_sig(&w.types[0], sig, sizeof sig),
                      "ii:i");
  assert_string_equal(weft__functype_sig(&w.types[1], sig, sizeof sig), ":");
  assert_string_equal(weft__functype_sig(&w.types[2], sig, sizeof sig),
                      "l:id");

  assert_int_equal(w.nimports, 4);
  assert_int_equal(w.nimported_funcs, 1);
  assert_int_equal(w.nimported_memories, 1);
  assert_int_equal(w.nimported_globals, 1);
  assert_int_equal(w.nimported_tables, 1);
  assert_string_equal(w.imports[0].module, "wasi_snapshot_preview1");
  assert_int_equal(w.imports[0].module_len, 22);
  assert_string_equal(w.imports[0].name, "fd_write");
  assert_int_equal(w.imports[0].kind, WEFT_EXTERN_FUNC);
  assert_int_equal(w.imports[0].u.func_type, 0);
  assert_int_equal(w.imports[1].kind, WEFT_EXTERN_MEMORY);
  assert_int_equal(w.imports[1].u.memory.min, 1);
  assert_true(w.imports[1].u.memory.has_max);
  assert_int_equal(w.imports[1].u.memory.max, 65536);
  assert_int_equal(w.imports[2].kind, WEFT_EXTERN_GLOBAL);
  assert_int_equal(w.imports[2].u.global.type, WEFT_I32);
  assert_true(w.imports[2].u.global.mut);
  assert_int_equal(w.imports[3].kind, WEFT_EXTERN_TABLE);
  assert_int_equal(w.imports[3].u.table.elem, WEFT_FUNCREF);
  assert_int_equal(w.imports[3].u.table.limits.min, 10);
  assert_false(w.imports[3].u.table.limits.has_max);
  weft__wasm_release(&w);
}

/* Functions, tables, memories, globals, exports, start and segment
 * counts of `full`. */
static void test_full_definitions(void **state) {
  weft__wasm_t w;
  expect_ok(full, sizeof full, &w);
  assert_int_equal(w.nfuncs, 2);
  assert_int_equal(w.func_types[0], 1);
  assert_int_equal(w.func_types[1], 2);
  assert_int_equal(w.ntables, 1);
  assert_int_equal(w.tables[0].elem, WEFT_EXTERNREF);
  assert_int_equal(w.tables[0].limits.max, 2);
  assert_int_equal(w.nmemories, 2);
  assert_true(w.memories[0].shared);
  assert_true(w.memories[0].has_max);
  assert_false(w.memories[0].is64);
  assert_true(w.memories[1].is64);
  assert_false(w.memories[1].has_max);
  assert_int_equal(w.nglobals, 4);
  assert_int_equal(w.globals[0].type, WEFT_I32);
  assert_false(w.globals[0].mut);
  assert_int_equal(w.globals[1].type, WEFT_F64);
  assert_true(w.globals[1].mut);
  assert_int_equal(w.globals[2].type, WEFT_V128);
  assert_int_equal(w.nexports, 3);
  assert_string_equal(w.exports[0].name, "run");
  assert_int_equal(w.exports[0].kind, WEFT_EXTERN_FUNC);
  assert_int_equal(w.exports[0].index, 2);
  assert_string_equal(w.exports[1].name, "mem");
  assert_int_equal(w.exports[1].kind, WEFT_EXTERN_MEMORY);
  assert_string_equal(w.exports[2].name, "g");
  assert_int_equal(w.exports[2].kind, WEFT_EXTERN_GLOBAL);
  assert_int_equal(w.exports[2].index, 1);
  assert_true(w.has_start);
  assert_int_equal(w.start, 1);
  assert_int_equal(w.nelems, 2);
  assert_int_equal(w.ndatas, 1);
  assert_true(w.has_datacount);
  assert_int_equal(w.code_size, 0x0d);
  weft__wasm_release(&w);
}

/* Section records, the name section and the query helpers. */
static void test_full_sections_and_names(void **state) {
  static const uint8_t ids[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11, 0};
  weft__wasm_t w;
  char sig[32];
  expect_ok(full, sizeof full, &w);
  assert_int_equal(w.nsections, sizeof ids);
  for (size_t i = 0; i < sizeof ids; i++)
    assert_int_equal(w.sections[i].id, ids[i]);
  assert_int_equal(w.sections[0].offset, 0x0a);
  assert_int_equal(w.sections[0].size, 0x10);
  assert_null(w.sections[0].name);
  assert_int_equal(w.sections[12].offset, 0xe6);
  assert_int_equal(w.sections[12].size, 0x46);
  assert_string_equal(w.sections[12].name, "name");

  assert_string_equal(w.module_name, "mod");
  assert_int_equal(w.nfunc_names, 3);
  assert_string_equal(weft__wasm_func_name(&w, 0), "fd_write");
  assert_string_equal(weft__wasm_func_name(&w, 1), "init");
  assert_string_equal(weft__wasm_func_name(&w, 2), "run");
  assert_null(weft__wasm_func_name(&w, 3));
  assert_ptr_equal(weft__wasm_func_type(&w, 0), &w.types[0]);
  assert_ptr_equal(weft__wasm_func_type(&w, 1), &w.types[1]);
  assert_ptr_equal(weft__wasm_func_type(&w, 2), &w.types[2]);
  assert_null(weft__wasm_func_type(&w, 3));
  assert_null(weft__wasm_func_type(&w, UINT32_MAX));

  /* signature helpers */
  assert_string_equal(weft__functype_sig(&w.types[2], sig, 3), "l:");
  assert_string_equal(weft__functype_sig(&w.types[2], sig, 1), "");
  sig[0] = 'z';
  assert_ptr_equal(weft__functype_sig(&w.types[2], sig, 0), sig);
  assert_int_equal(sig[0], 'z');
  assert_int_equal(weft__valtype_letter(WEFT_EXTERNREF), 'x');
  assert_int_equal(weft__valtype_letter(WEFT_FUNCREF), 'r');
  assert_int_equal(weft__valtype_letter(WEFT_V128), 'v');
  assert_int_equal(weft__valtype_letter(0x40), '?');
  assert_string_equal(weft__valtype_name(WEFT_F32), "f32");
  assert_string_equal(weft__valtype_name(WEFT_V128), "v128");
  assert_string_equal(weft__valtype_name(WEFT_EXTERNREF), "externref");
  assert_string_equal(weft__valtype_name(0x40), "unknown");
  weft__wasm_release(&w);
}

/* Every proper prefix of a valid module fails cleanly, except prefixes
 * that end exactly on a section boundary and happen to be complete. */
static void test_truncated_everywhere(void **state) {
  weft__wasm_t w, part;
  bool boundary[sizeof full + 1] = {false};
  expect_ok(full, sizeof full, &w);
  boundary[8] = true;
  for (uint32_t i = 0; i < w.nsections; i++)
    boundary[w.sections[i].offset + w.sections[i].size] = true;
  weft__wasm_release(&w);
  for (size_t len = 0; len < sizeof full; len++) {
    weft_error_t err = {0};
    int rc = decode(full, len, &part, &err);
    if (rc == 0) {
      assert_true(boundary[len]);
      weft__wasm_release(&part);
      continue;
    }
    assert_int_equal(rc, WEFT_EMALFORMED);
    assert_non_null(strstr(err.msg, "malformed module: "));
    assert_null(part.sections);
  }
  /* cut inside the code section: nothing about it is complete */
  expect_fail(full, 0xd8, WEFT_EMALFORMED, "out of bounds");
  expect_fail(full, 4, WEFT_EMALFORMED, "unexpected end of header");
  expect_fail(full, 0, WEFT_EMALFORMED, "bad magic number");
}

/* Bad magic, unknown versions, components and a cut-off header. */
static void test_bad_header(void **state) {
  static const uint8_t magic[] = {0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0};
  static const uint8_t text[] = {'(', 'm', 'o', 'd', 'u', 'l', 'e', ')'};
  static const uint8_t version[] = {0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0};
  static const uint8_t version0[] = {0x00, 0x61, 0x73, 0x6d, 0, 0, 0, 0};
  static const uint8_t component[] = {0x00, 0x61, 0x73, 0x6d,
                                      0x0d, 0x00, 0x01, 0x00};
  static const uint8_t short_version[] = {0x00, 0x61, 0x73, 0x6d, 1, 0};
  expect_fail(magic, sizeof magic, WEFT_EMALFORMED,
              "malformed module: bad magic number");
  MALFORMED(text, "bad magic number");
  expect_fail(version, sizeof version, WEFT_EMALFORMED,
              "malformed module: unknown binary version 2");
  MALFORMED(version0, "unknown binary version 0");
  FAILS(component, WEFT_EUNSUPPORTED, "component");
  MALFORMED(short_version, "unexpected end of header at offset 0x6");
}

/* LEB128 length and unused-bit checks for u32, s32, s64 and u64. */
static void test_leb128(void **state) {
  /* type count 0 in 6 bytes */
  static const uint8_t too_long[] = {HDR, 0x01, 0x06, 0x80, 0x80,
                                     0x80, 0x80, 0x80, 0x00};
  /* type count with bits above 32 set */
  static const uint8_t too_large[] = {HDR,  0x01, 0x05, 0x80,
                                      0x80, 0x80, 0x80, 0x10};
  /* section size in 6 bytes */
  static const uint8_t size_long[] = {HDR, 0x01, 0x80, 0x80, 0x80,
                                      0x80, 0x80, 0x00};
  /* type count 0 in 5 bytes is fine */
  static const uint8_t padded[] = {HDR, 0x01, 0x05, 0x80,
                                   0x80, 0x80, 0x80, 0x00};
  /* i32.const with a bad sign extension in byte 5 */
  static const uint8_t s32_bad[] = {HDR,  0x06, 0x0a, 0x01, 0x7f, 0x00, 0x41,
                                    0xff, 0xff, 0xff, 0xff, 0x4f, 0x0b};
  /* i32.const -1 and 0x7fffffff in five bytes */
  static const uint8_t s32_ok[] = {HDR,  0x06, 0x13, 0x02, 0x7f, 0x00,
                                   0x41, 0xff, 0xff, 0xff, 0xff, 0x7f,
                                   0x0b, 0x7f, 0x00, 0x41, 0xff, 0xff,
                                   0xff, 0xff, 0x07, 0x0b};
  /* i64.const -1 with unused bits unset (from the spec tests) */
  static const uint8_t s64_bad[] = {HDR,  0x06, 0x0f, 0x01, 0x7e, 0x00,
                                    0x42, 0xff, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0x41, 0x0b};
  static const uint8_t s64_long[] = {HDR,  0x06, 0x10, 0x01, 0x7e, 0x00,
                                     0x42, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0x00,
                                     0x0b};
  /* memory64 minimum 2^63 in ten bytes, then one with bit 64 set */
  static const uint8_t u64_ok[] = {HDR,  0x05, 0x0c, 0x01, 0x04,
                                   0x80, 0x80, 0x80, 0x80, 0x80,
                                   0x80, 0x80, 0x80, 0x80, 0x01};
  static const uint8_t u64_bad[] = {HDR,  0x05, 0x0c, 0x01, 0x04,
                                    0x80, 0x80, 0x80, 0x80, 0x80,
                                    0x80, 0x80, 0x80, 0x80, 0x02};
  /* a LEB128 that runs off the end of its section */
  static const uint8_t cut[] = {HDR, 0x01, 0x01, 0x80, 0x00};
  weft__wasm_t w;
  MALFORMED(too_long, "integer representation too long at offset 0xa");
  MALFORMED(too_large, "integer too large at offset 0xa");
  MALFORMED(size_long, "integer representation too long at offset 0x9");
  expect_ok(padded, sizeof padded, &w);
  weft__wasm_release(&w);
  MALFORMED(s32_bad, "integer too large at offset 0xe");
  expect_ok(s32_ok, sizeof s32_ok, &w);
  assert_int_equal(w.nglobals, 2);
  weft__wasm_release(&w);
  MALFORMED(s64_bad, "integer too large");
  MALFORMED(s64_long, "integer representation too long");
  expect_ok(u64_ok, sizeof u64_ok, &w);
  assert_true(w.memories[0].is64);
  assert_int_equal(w.memories[0].min, UINT64_C(1) << 63);
  weft__wasm_release(&w);
  MALFORMED(u64_bad, "integer too large");
  MALFORMED(cut, "unexpected end of section at offset 0xb");
}

/* Sections out of order, twice or unknown; custom sections anywhere. */
static void test_section_order(void **state) {
  static const uint8_t func_before_type[] = {HDR, 0x03, 0x01, 0x00,
                                             0x01, 0x01, 0x00};
  static const uint8_t twice[] = {HDR, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00};
  static const uint8_t datacount_after_code[] = {HDR,  0x0a, 0x01, 0x00,
                                                 0x0c, 0x01, 0x00};
  static const uint8_t unknown_id[] = {HDR, 0x0e, 0x00};
  static const uint8_t custom_between[] = {
      HDR,  0x00, 0x02, 0x01, 'a', TYPE_NIL, 0x00, 0x02, 0x01,
      'b',  FUNC_1, 0x00, 0x01, 0x00, CODE_1, 0x00, 0x02, 0x01, 'c'};
  weft__wasm_t w;
  MALFORMED(func_before_type, "unexpected type section (id 1)");
  MALFORMED(twice, "unexpected type section (id 1) after a later section "
                   "or twice at offset 0xb");
  MALFORMED(datacount_after_code, "unexpected datacount section");
  MALFORMED(unknown_id, "bad section id 14 at offset 0x8");
  expect_ok(custom_between, sizeof custom_between, &w);
  assert_int_equal(w.nsections, 7);
  assert_string_equal(w.sections[0].name, "a");
  assert_string_equal(w.sections[2].name, "b");
  assert_int_equal(w.sections[3].id, 3);
  assert_null(w.sections[3].name);
  assert_string_equal(w.sections[4].name, "");
  assert_string_equal(w.sections[6].name, "c");
  weft__wasm_release(&w);
}

/* Section sizes that disagree with their contents or the file. */
static void test_section_sizes(void **state) {
  /* type section claims 5 bytes but its one type takes 4 */
  static const uint8_t mismatch[] = {HDR,  0x01, 0x05, 0x01,
                                     0x60, 0x00, 0x00, 0x00};
  /* type section claims more bytes than the file has */
  static const uint8_t beyond[] = {HDR, 0x01, 0x0a, 0x00};
  /* count 1 but no entry (from the spec tests) */
  static const uint8_t empty_vec[] = {HDR, 0x05, 0x01, 0x01};
  /* custom section without room for its name */
  static const uint8_t custom_empty[] = {HDR, 0x00, 0x00};
  static const uint8_t custom_name_long[] = {HDR, 0x00, 0x02, 0x05, 'a'};
  MALFORMED(mismatch, "section 1 size mismatch at offset 0xe");
  MALFORMED(beyond, "section 1 size 10 out of bounds");
  MALFORMED(empty_vec, "count 1 too large for the section at offset 0xa");
  MALFORMED(custom_empty, "unexpected end of section at offset 0xa");
  MALFORMED(custom_name_long, "name length 5 out of bounds");
}

/* Function/code and data count/data counts must agree. */
static void test_count_mismatch(void **state) {
  static const uint8_t no_code[] = {HDR, TYPE_NIL, FUNC_1};
  static const uint8_t no_func[] = {HDR, TYPE_NIL, CODE_1};
  static const uint8_t two_bodies[] = {HDR,  TYPE_NIL, FUNC_1, 0x0a,
                                       0x07, 0x02,     0x02,   0x00,
                                       0x0b, 0x02,     0x00,   0x0b};
  static const uint8_t datacount_only[] = {HDR, 0x0c, 0x01, 0x01};
  static const uint8_t datacount_zero[] = {HDR, 0x0c, 0x01, 0x00};
  weft__wasm_t w;
  MALFORMED(no_code, "function and code section have inconsistent lengths");
  MALFORMED(no_func, "function and code section have inconsistent lengths "
                     "(0 and 1)");
  MALFORMED(two_bodies, "(1 and 2)");
  MALFORMED(datacount_only,
            "data count and data section have inconsistent lengths");
  expect_ok(datacount_zero, sizeof datacount_zero, &w);
  assert_true(w.has_datacount);
  weft__wasm_release(&w);
}

/* Code entries: missing end, empty, too many locals, bad sizes. */
static void test_code_bodies(void **state) {
  static const uint8_t no_end[] = {HDR,  TYPE_NIL, FUNC_1, 0x0a, 0x05,
                                   0x01, 0x03,     0x00,   0x41, 0x01};
  static const uint8_t empty_body[] = {HDR,  TYPE_NIL, FUNC_1,
                                       0x0a, 0x02,     0x01, 0x00};
  static const uint8_t many_locals[] = {
      HDR,  TYPE_NIL, FUNC_1, 0x0a, 0x10, 0x01, 0x0e, 0x02, 0x80, 0x80,
      0x80, 0x80,     0x08,   0x7f, 0x80, 0x80, 0x80, 0x80, 0x08, 0x7f,
      0x0b};
  static const uint8_t bad_local[] = {HDR,  TYPE_NIL, FUNC_1, 0x0a,
                                      0x06, 0x01,     0x04,   0x01,
                                      0x01, 0x40,     0x0b};
  static const uint8_t body_long[] = {HDR,  TYPE_NIL, FUNC_1, 0x0a,
                                      0x04, 0x01,     0x09,   0x00,
                                      0x0b};
  MALFORMED(no_end, "end opcode expected at the end of function 0");
  MALFORMED(empty_body, "unexpected end of function");
  MALFORMED(many_locals, "too many locals in function 0");
  MALFORMED(bad_local, "bad value type 0x40");
  MALFORMED(body_long, "function 0 body size 9 out of bounds");
}

/* Names must be well-formed UTF-8; embedded NULs are kept. */
static void test_utf8_names(void **state) {
  /* import "\xff" "f" (global i32) */
  static const uint8_t import_module[] = {HDR,  0x02, 0x08, 0x01, 0x01, 0xff,
                                          0x01, 'f',  0x03, 0x7f, 0x00};
  /* import "m" "\xed\xa0\x80" (a surrogate) */
  static const uint8_t import_field[] = {HDR, 0x02, 0x0a, 0x01, 0x01,
                                         'm', 0x03, 0xed, 0xa0, 0x80,
                                         0x03, 0x7f, 0x00};
  /* export "\xc0\x80" (overlong NUL) */
  static const uint8_t export_name[] = {HDR,  0x07, 0x06, 0x01, 0x02,
                                        0xc0, 0x80, 0x00, 0x00};
  /* custom section named "\xf4\x90\x80\x80" (above U+10FFFF) */
  static const uint8_t custom_name[] = {HDR,  0x00, 0x05, 0x04,
                                        0xf4, 0x90, 0x80, 0x80};
  /* a cut-off sequence */
  static const uint8_t custom_cut[] = {HDR, 0x00, 0x03, 0x02, 'a', 0xe2};
  /* valid: "\xe2\x82\xac" (euro), "\xf0\x9f\x98\x80" and an embedded NUL */
  static const uint8_t good[] = {HDR,  0x00, 0x09, 0x08, 0xe2, 0x82, 0xac,
                                 0xf0, 0x9f, 0x98, 0x80, 0x00, 0x02, 0x10,
                                 0x02, 0x01, 'a',  0x02, 'b',  0x00, 0x03,
                                 0x7f, 0x00, 0x01, 'x',  0x01, 'y',  0x03,
                                 0x7f, 0x01};
  weft__wasm_t w;
  MALFORMED(import_module, "bad UTF-8 encoding in name at offset 0xc");
  MALFORMED(import_field, "bad UTF-8 encoding in name at offset 0xe");
  MALFORMED(export_name, "bad UTF-8 encoding in name");
  MALFORMED(custom_name, "bad UTF-8 encoding in name");
  MALFORMED(custom_cut, "bad UTF-8 encoding in name");
  expect_ok(good, sizeof good, &w);
  assert_int_equal(w.sections[0].name[0], (char)0xe2);
  assert_int_equal(w.imports[0].name_len, 2);
  assert_int_equal(w.imports[0].name[0], 'b');
  assert_int_equal(w.imports[0].name[1], 0);
  assert_true(w.imports[1].u.global.mut);
  weft__wasm_release(&w);
}

/* A malformed name section is ignored, never fatal. */
static void test_name_section_tolerated(void **state) {
  /* an export "go" of function 0, then a name section whose function
   * names subsection claims 0x7f bytes */
  static const uint8_t garbage[] = {HDR,  TYPE_NIL, FUNC_1, 0x07, 0x06,
                                    0x01, 0x02,     'g',    'o',  0x00,
                                    0x00, CODE_1,   0x00,   0x08, 0x04,
                                    'n',  'a',      'm',    'e',  0x01,
                                    0x7f, 0x01};
  /* module name with invalid UTF-8 */
  static const uint8_t bad_utf8[] = {HDR, 0x00, 0x0a, 0x04, 'n',  'a', 'm',
                                     'e', 0x00, 0x03, 0x02, 0xc3, 0x28};
  /* module name "m", a name for function 5 (ignored), an unknown
   * subsection 9 and function 0 named "f" */
  static const uint8_t lenient[] = {
      HDR,  TYPE_NIL, FUNC_1, CODE_1, 0x00, 0x15, 0x04, 'n',  'a',
      'm',  'e',      0x00,   0x02,   0x01, 'm',  0x09, 0x01, 0xff,
      0x01, 0x07,     0x02,   0x05,   0x01, 'x',  0x00, 0x01, 'f'};
  /* subsection 0 with trailing bytes */
  static const uint8_t trailing[] = {HDR, 0x00, 0x0a, 0x04, 'n', 'a',  'm',
                                     'e', 0x00, 0x03, 0x01, 'm', 0x00};
  weft__wasm_t w;
  expect_ok(garbage, sizeof garbage, &w);
  assert_null(w.func_names);
  assert_null(w.module_name);
  assert_int_equal(w.nsections, 5);
  assert_string_equal(w.sections[4].name, "name");
  assert_string_equal(weft__wasm_func_name(&w, 0), "go");
  weft__wasm_release(&w);

  expect_ok(bad_utf8, sizeof bad_utf8, &w);
  assert_null(w.module_name);
  weft__wasm_release(&w);

  expect_ok(lenient, sizeof lenient, &w);
  assert_string_equal(w.module_name, "m");
  assert_int_equal(w.nfunc_names, 1);
  assert_string_equal(weft__wasm_func_name(&w, 0), "f");
  weft__wasm_release(&w);

  expect_ok(trailing, sizeof trailing, &w);
  assert_null(w.module_name);
  weft__wasm_release(&w);
}

/* All element and data segment encodings, and bad ones. */
static void test_segments(void **state) {
  /* all eight element encodings and all three data encodings (checked
   * with wasm-validate --enable-all) */
  static const uint8_t segs[] = {
      HDR,  TYPE_NIL, FUNC_1, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01, 0x05,
      0x03, 0x01,     0x00,   0x01, 0x09, 0x35, 0x08,
      /* 0 */ 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00,
      /* 1 */ 0x01, 0x00, 0x01, 0x00,
      /* 2 */ 0x02, 0x00, 0x41, 0x00, 0x0b, 0x00, 0x01, 0x00,
      /* 3 */ 0x03, 0x00, 0x01, 0x00,
      /* 4 */ 0x04, 0x41, 0x00, 0x0b, 0x01, 0xd2, 0x00, 0x0b,
      /* 5 */ 0x05, 0x70, 0x01, 0xd0, 0x70, 0x0b,
      /* 6 */ 0x06, 0x00, 0x41, 0x00, 0x0b, 0x70, 0x01, 0xd2, 0x00, 0x0b,
      /* 7 */ 0x07, 0x70, 0x01, 0xd2, 0x00, 0x0b,
      /* datacount */ 0x0c, 0x01, 0x03, CODE_1, 0x0b, 0x13, 0x03,
      /* 0 */ 0x00, 0x41, 0x00, 0x0b, 0x02, 'h', 'i',
      /* 1 */ 0x01, 0x02, 'h', 'i',
      /* 2 */ 0x02, 0x00, 0x41, 0x00, 0x0b, 0x01, '!'};
  static const uint8_t elem_flags[] = {HDR,  TYPE_NIL, FUNC_1, 0x09,
                                       0x02, 0x01,     0x08,   CODE_1};
  static const uint8_t elem_kind[] = {HDR,  TYPE_NIL, FUNC_1, 0x09, 0x04,
                                      0x01, 0x01,     0x01,   0x00, CODE_1};
  /* passive element segment of type i32 (from the spec tests) */
  static const uint8_t elem_type[] = {HDR,  TYPE_NIL, FUNC_1, 0x09,
                                      0x07, 0x01,     0x05,   0x7f,
                                      0x01, 0xd2,     0x00,   0x0b,
                                      CODE_1};
  static const uint8_t data_flags[] = {HDR, 0x0b, 0x03, 0x01, 0x03, 0x00};
  static const uint8_t data_len[] = {HDR,  0x0b, 0x05, 0x01, 0x01,
                                     0x05, 'a',  'b'};
  weft__wasm_t w;
  expect_ok(segs, sizeof segs, &w);
  assert_int_equal(w.nelems, 8);
  assert_int_equal(w.ndatas, 3);
  assert_true(w.has_datacount);
  weft__wasm_release(&w);
  MALFORMED(elem_flags, "bad element segment flags 8");
  MALFORMED(elem_kind, "bad element kind 0x01");
  MALFORMED(elem_type, "bad reference type 0x7f");
  MALFORMED(data_flags, "bad data segment flags 3");
  MALFORMED(data_len, "data segment length 5 out of bounds");
}

/* Constant expressions: allowed opcodes, non-constant, illegal. */
static void test_const_exprs(void **state) {
  static const uint8_t not_const[] = {HDR,  0x06, 0x07, 0x01, 0x7f,
                                      0x00, 0x41, 0x00, 0x68, 0x0b};
  static const uint8_t illegal[] = {HDR,  0x06, 0x05, 0x01, 0x7f,
                                    0x00, 0xf3, 0x0b};
  static const uint8_t no_end[] = {HDR,  0x06, 0x05, 0x01, 0x7f,
                                   0x00, 0x41, 0x00};
  static const uint8_t simd_op[] = {HDR,  0x06, 0x06, 0x01, 0x7b,
                                    0x00, 0xfd, 0x0f, 0x0b};
  /* global.get, ref.func, ref.null extern, i64 arithmetic, f32.const */
  static const uint8_t ok[] = {HDR,  TYPE_NIL, FUNC_1, 0x06, 0x20, 0x05,
                               0x7f, 0x00,     0x23,   0x00, 0x0b, 0x70,
                               0x00, 0xd2,     0x00,   0x0b, 0x6f, 0x00,
                               0xd0, 0x6f,     0x0b,   0x7e, 0x00, 0x42,
                               0x02, 0x42,     0x03,   0x7e, 0x0b, 0x7d,
                               0x00, 0x43,     0x00,   0x00, 0x80, 0x3f,
                               0x0b, CODE_1};
  weft__wasm_t w;
  FAILS(not_const, WEFT_EINVALID,
        "invalid module: constant expression required (opcode 0x68) at "
        "offset 0xf");
  MALFORMED(illegal, "illegal opcode 0xf3");
  MALFORMED(no_end, "unexpected end of section");
  FAILS(simd_op, WEFT_EINVALID, "opcode 0xfd 15");
  expect_ok(ok, sizeof ok, &w);
  assert_int_equal(w.nglobals, 5);
  weft__wasm_release(&w);
}

/* Limits flags, reference types, mutability and extern kinds. */
static void test_limits_and_kinds(void **state) {
  static const uint8_t mem_shared_nomax[] = {HDR,  0x05, 0x03, 0x01,
                                             0x02, 0x00};
  static const uint8_t mem_flags[] = {HDR, 0x05, 0x03, 0x01, 0x08, 0x00};
  static const uint8_t mem_leb_flags[] = {HDR,  0x05, 0x05, 0x01, 0x81,
                                          0x00, 0x00, 0x00};
  static const uint8_t table_flags[] = {HDR,  0x04, 0x04, 0x01,
                                        0x70, 0x02, 0x00};
  static const uint8_t table_type[] = {HDR,  0x04, 0x04, 0x01,
                                       0x7f, 0x00, 0x00};
  static const uint8_t import_kind[] = {HDR, 0x02, 0x05, 0x01, 0x00,
                                        0x00, 0x05, 0x00};
  static const uint8_t mutability[] = {HDR,  0x06, 0x06, 0x01, 0x7f,
                                       0x02, 0x41, 0x00, 0x0b};
  static const uint8_t functype_form[] = {HDR,  0x01, 0x04, 0x01,
                                          0x5f, 0x00, 0x00};
  static const uint8_t export_kind[] = {HDR, 0x07, 0x04, 0x01,
                                        0x00, 0x05, 0x00};
  /* (import "e" "t" (tag (type 0))) and an export of it */
  static const uint8_t tag[] = {HDR,  TYPE_NIL, 0x02, 0x08, 0x01, 0x01,
                                'e',  0x01,     't',  0x04, 0x00, 0x00,
                                0x07, 0x05,     0x01, 0x01, 't',  0x04,
                                0x00};
  weft__wasm_t w;
  MALFORMED(mem_shared_nomax, "shared memory needs a maximum");
  MALFORMED(mem_flags, "bad memory limits flags 0x08");
  MALFORMED(mem_leb_flags, "bad memory limits flags 0x81");
  MALFORMED(table_flags, "bad table limits flags 0x02");
  MALFORMED(table_type, "bad reference type 0x7f");
  MALFORMED(import_kind, "bad import kind 0x05 at offset 0xd");
  MALFORMED(mutability, "bad mutability 0x02");
  MALFORMED(functype_form, "bad function type form 0x5f");
  MALFORMED(export_kind, "bad export kind 0x05");
  expect_ok(tag, sizeof tag, &w);
  assert_int_equal(w.nimported_tags, 1);
  assert_int_equal(w.imports[0].kind, WEFT_EXTERN_TAG);
  assert_int_equal(w.exports[0].kind, WEFT_EXTERN_TAG);
  weft__wasm_release(&w);
}

/* Type, function, memory and start indices must be in range. */
static void test_indices(void **state) {
  static const uint8_t func_type[] = {HDR, 0x03, 0x02, 0x01, 0x05};
  static const uint8_t import_type[] = {HDR,  0x02, 0x05, 0x01, 0x00,
                                        0x00, 0x00, 0x00};
  static const uint8_t export_func[] = {HDR, 0x07, 0x05, 0x01, 0x01,
                                        'f', 0x00, 0x00};
  static const uint8_t export_mem[] = {HDR,  0x05, 0x03, 0x01, 0x00,
                                       0x01, 0x07, 0x05, 0x01, 0x01,
                                       'm',  0x02, 0x01};
  static const uint8_t start[] = {HDR, TYPE_NIL, FUNC_1, 0x08,
                                  0x01, 0x01,    CODE_1};
  FAILS(func_type, WEFT_EINVALID, "invalid module: unknown type 5");
  FAILS(import_type, WEFT_EINVALID, "unknown type 0");
  FAILS(export_func, WEFT_EINVALID, "unknown function 0 in export 'f'");
  FAILS(export_mem, WEFT_EINVALID, "unknown memory 1 in export 'm'");
  FAILS(start, WEFT_EINVALID, "unknown start function 1");
}

/* NULL bytes and a NULL error are handled. */
static void test_null_input(void **state) {
  weft__wasm_t w;
  weft_error_t err = {0};
  assert_int_equal(weft__wasm_read(NULL, 0, &w, &err), WEFT_EMALFORMED);
  assert_int_equal(weft__wasm_read(NULL, 8, &w, &err), WEFT_EINVAL);
  assert_int_equal(weft__wasm_read(full, 3, &w, NULL), WEFT_EMALFORMED);
  weft__wasm_release(NULL);
}

/* Run every test; the exit status is the number of failures. */
int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_module),
      cmocka_unit_test(test_full_types_imports),
      cmocka_unit_test(test_full_definitions),
      cmocka_unit_test(test_full_sections_and_names),
      cmocka_unit_test(test_truncated_everywhere),
      cmocka_unit_test(test_bad_header),
      cmocka_unit_test(test_leb128),
      cmocka_unit_test(test_section_order),
      cmocka_unit_test(test_section_sizes),
      cmocka_unit_test(test_count_mismatch),
      cmocka_unit_test(test_code_bodies),
      cmocka_unit_test(test_utf8_names),
      cmocka_unit_test(test_name_section_tolerated),
      cmocka_unit_test(test_segments),
      cmocka_unit_test(test_const_exprs),
      cmocka_unit_test(test_limits_and_kinds),
      cmocka_unit_test(test_indices),
      cmocka_unit_test(test_null_input),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
