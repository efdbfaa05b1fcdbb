/* echo.c - the guest of the canonical ABI tests: implements world
 * weft:test/echo (tests/guests/wit/echo.wit) through bindings from
 * `weft bindgen c`. Every echo-* returns a fresh copy of its argument, so
 * each cabi_post_ function has something to free; calls.* exercise the
 * host's imports; store.blob is a resource implemented here. */
#include <stdlib.h>
#include <string.h>

#include "echo.h"

/* ---- allocation ---------------------------------------------------------- */

static bool alloc_fails;

/* Our own cabi_realloc, replacing the glue's weak one: fail-alloc makes
 * every later allocation trap. */
__attribute__((__export_name__("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old_size, size_t align,
                   size_t new_size) {
  void *p;
  if (alloc_fails)
    abort();
  if (old_size == 0)
    ptr = NULL;
  if (new_size == 0) {
    free(ptr);
    return (void *)align;
  }
  p = realloc(ptr, new_size);
  if (!p)
    abort();
  return p;
}

void exports_weft_test_echoes_fail_alloc(bool fail) { alloc_fails = fail; }

/* A malloc'd copy of n bytes (NULL for none). */
static void *copy(const void *src, size_t n) {
  void *p;
  if (n == 0)
    return NULL;
  p = malloc(n);
  if (!p)
    abort();
  memcpy(p, src, n);
  return p;
}

static void dup_string(const echo_string_t *s, echo_string_t *ret) {
  ret->ptr = copy(s->ptr, s->len);
  ret->len = s->len;
}

static void dup_point(const weft_test_types_point_t *p,
                      weft_test_types_point_t *ret) {
  ret->x = p->x;
  ret->y = p->y;
  dup_string(&p->label, &ret->label);
}

static void dup_points(const echo_list_point_t *l,
                       echo_list_point_t *ret) {
  ret->len = l->len;
  ret->ptr = copy(l->ptr, l->len * sizeof *l->ptr);
  for (size_t i = 0; i < l->len; i++)
    dup_point(&l->ptr[i], &ret->ptr[i]);
}

static void dup_strings(const echo_list_string_t *l, echo_list_string_t *ret) {
  ret->len = l->len;
  ret->ptr = copy(l->ptr, l->len * sizeof *l->ptr);
  for (size_t i = 0; i < l->len; i++)
    dup_string(&l->ptr[i], &ret->ptr[i]);
}

static void dup_shape(const weft_test_types_shape_t *s,
                      weft_test_types_shape_t *ret) {
  *ret = *s;
  if (s->tag == WEFT_TEST_TYPES_SHAPE_RECT)
    dup_point(&s->val.rect, &ret->val.rect);
}

/* ---- echoes -------------------------------------------------------------- */

bool exports_weft_test_echoes_echo_bool(bool x) { return x; }
int8_t exports_weft_test_echoes_echo_s8(int8_t x) { return x; }
uint8_t exports_weft_test_echoes_echo_u8(uint8_t x) { return x; }
int16_t exports_weft_test_echoes_echo_s16(int16_t x) { return x; }
uint16_t exports_weft_test_echoes_echo_u16(uint16_t x) { return x; }
int32_t exports_weft_test_echoes_echo_s32(int32_t x) { return x; }
uint32_t exports_weft_test_echoes_echo_u32(uint32_t x) { return x; }
int64_t exports_weft_test_echoes_echo_s64(int64_t x) { return x; }
uint64_t exports_weft_test_echoes_echo_u64(uint64_t x) { return x; }
float exports_weft_test_echoes_echo_f32(float x) { return x; }
double exports_weft_test_echoes_echo_f64(double x) { return x; }
uint32_t exports_weft_test_echoes_echo_char(uint32_t x) { return x; }

void exports_weft_test_echoes_echo_string(echo_string_t *x,
                                          echo_string_t *ret) {
  dup_string(x, ret);
}

void exports_weft_test_echoes_echo_bytes(echo_list_u8_t *x,
                                         echo_list_u8_t *ret) {
  ret->ptr = copy(x->ptr, x->len);
  ret->len = x->len;
}

void exports_weft_test_echoes_echo_list(echo_list_u32_t *x,
                                        echo_list_u32_t *ret) {
  ret->ptr = copy(x->ptr, x->len * sizeof *x->ptr);
  ret->len = x->len;
}

void exports_weft_test_echoes_echo_strings(echo_list_string_t *x,
                                           echo_list_string_t *ret) {
  dup_strings(x, ret);
}

void exports_weft_test_echoes_echo_point(weft_test_types_point_t *x,
                                         weft_test_types_point_t *ret) {
  dup_point(x, ret);
}

void exports_weft_test_echoes_echo_shape(weft_test_types_shape_t *x,
                                         weft_test_types_shape_t *ret) {
  dup_shape(x, ret);
}

weft_test_types_color_t
exports_weft_test_echoes_echo_color(weft_test_types_color_t x) {
  return x;
}

weft_test_types_perms_t
exports_weft_test_echoes_echo_perms(weft_test_types_perms_t x) {
  return x;
}

void exports_weft_test_echoes_echo_option(echo_option_string_t *x,
                                          echo_option_string_t *ret) {
  ret->is_some = x->is_some;
  if (x->is_some)
    dup_string(&x->val, &ret->val);
}

void exports_weft_test_echoes_echo_result(echo_result_u32_string_t *x,
                                          echo_result_u32_string_t *ret) {
  *ret = *x;
  if (x->is_err)
    dup_string(&x->val.err, &ret->val.err);
}

void exports_weft_test_echoes_echo_tuple(echo_tuple3_u8_string_f64_t *x,
                                         echo_tuple3_u8_string_f64_t *ret) {
  *ret = *x;
  dup_string(&x->f1, &ret->f1);
}

void exports_weft_test_echoes_echo_everything(
    weft_test_types_everything_t *x, weft_test_types_everything_t *ret) {
  *ret = *x;
  dup_string(&x->s, &ret->s);
  ret->bytes.ptr = copy(x->bytes.ptr, x->bytes.len);
  dup_strings(&x->words, &ret->words);
  dup_string(&x->pair.f1, &ret->pair.f1);
  if (x->maybe.is_some)
    dup_point(&x->maybe.val, &ret->maybe.val);
  if (x->res.is_err)
    dup_string(&x->res.val.err, &ret->res.val.err);
  dup_shape(&x->shape, &ret->shape);
  ret->nested.ptr = copy(x->nested.ptr, x->nested.len * sizeof *x->nested.ptr);
  for (size_t i = 0; i < x->nested.len; i++)
    dup_points(&x->nested.ptr[i], &ret->nested.ptr[i]);
}

uint64_t exports_weft_test_echoes_sum_many(uint32_t a, uint32_t b, uint32_t c,
                                           uint32_t d, uint32_t e, uint32_t f,
                                           uint32_t g, uint32_t h, uint32_t i,
                                           uint32_t j, uint32_t k, uint32_t l,
                                           uint32_t m, uint32_t n, uint32_t o,
                                           uint32_t p, uint64_t q) {
  return (uint64_t)a + b + c + d + e + f + g + h + i + j + k + l + m + n + o +
         p + q;
}

/* ---- calls: the host's imports ------------------------------------------- */

void exports_weft_test_calls_greet(echo_string_t *name, echo_string_t *ret) {
  static const char hello[] = "hello, ";
  size_t n = sizeof hello - 1;
  weft_test_host_log(name);
  ret->len = n + name->len;
  ret->ptr = malloc(ret->len);
  if (!ret->ptr)
    abort();
  memcpy(ret->ptr, hello, n);
  if (name->len)
    memcpy(ret->ptr + n, name->ptr, name->len);
}

void exports_weft_test_calls_doubled(echo_list_u32_t *xs,
                                     echo_list_u32_t *ret) {
  weft_test_host_double_all(xs, ret);
}

void exports_weft_test_calls_point_of(int32_t x, int32_t y,
                                      weft_test_types_point_t *ret) {
  weft_test_host_make_point(x, y, ret);
}

void exports_weft_test_calls_try_host(bool fail,
                                      echo_result_string_string_t *ret) {
  weft_test_host_fail_if(fail, ret);
}

weft_test_host_own_counter_t exports_weft_test_calls_new_counter(uint32_t start,
                                                                 uint32_t add) {
  weft_test_host_own_counter_t c = weft_test_host_constructor_counter(start);
  weft_test_host_method_counter_add(weft_test_host_borrow_counter(c), add);
  return c;
}

uint32_t
exports_weft_test_calls_read_counter(weft_test_host_borrow_counter_t c) {
  uint32_t v = weft_test_host_method_counter_get(c);
  if (weft_test_host_total(c) != v)
    abort();
  return v + 0;
}

uint32_t
exports_weft_test_calls_consume_counter(weft_test_host_own_counter_t c) {
  uint32_t v =
      weft_test_host_method_counter_get(weft_test_host_borrow_counter(c));
  weft_test_host_counter_drop_own(c);
  return v;
}

/* ---- store: a resource of ours ------------------------------------------- */

struct exports_weft_test_store_blob_t {
  uint8_t *bytes;
  size_t len;
};

static uint32_t blobs_dropped;

static exports_weft_test_store_own_blob_t new_blob(const uint8_t *a,
                                                   size_t alen,
                                                   const uint8_t *b,
                                                   size_t blen) {
  exports_weft_test_store_blob_t *rep = malloc(sizeof *rep);
  if (!rep)
    abort();
  rep->len = alen + blen;
  rep->bytes = malloc(rep->len ? rep->len : 1);
  if (!rep->bytes)
    abort();
  if (alen)
    memcpy(rep->bytes, a, alen);
  if (blen)
    memcpy(rep->bytes + alen, b, blen);
  return exports_weft_test_store_blob_new(rep);
}

exports_weft_test_store_own_blob_t
exports_weft_test_store_constructor_blob(echo_list_u8_t *init) {
  return new_blob(init->ptr, init->len, NULL, 0);
}

uint32_t exports_weft_test_store_method_blob_size(
    exports_weft_test_store_borrow_blob_t self) {
  return (uint32_t)self->len;
}

void exports_weft_test_store_method_blob_append(
    exports_weft_test_store_borrow_blob_t self, echo_list_u8_t *more) {
  uint8_t *p;
  if (!more->len)
    return;
  p = realloc(self->bytes, self->len + more->len);
  if (!p)
    abort();
  memcpy(p + self->len, more->ptr, more->len);
  self->bytes = p;
  self->len += more->len;
}

void exports_weft_test_store_method_blob_read(
    exports_weft_test_store_borrow_blob_t self, echo_list_u8_t *ret) {
  ret->ptr = copy(self->bytes, self->len);
  ret->len = self->len;
}

exports_weft_test_store_own_blob_t exports_weft_test_store_static_blob_merge(
    exports_weft_test_store_borrow_blob_t a,
    exports_weft_test_store_borrow_blob_t b) {
  return new_blob(a->bytes, a->len, b->bytes, b->len);
}

void exports_weft_test_store_blob_destructor(
    exports_weft_test_store_blob_t *rep) {
  free(rep->bytes);
  free(rep);
  blobs_dropped++;
}

uint32_t exports_weft_test_store_dropped(void) { return blobs_dropped; }

/* ---- bare world functions ------------------------------------------------ */

void exports_echo_hello(echo_string_t *ret) {
  echo_string_dup(ret, "hello from echo");
}

uint32_t exports_echo_add(uint32_t a, uint32_t b) { return a + b; }

void exports_echo_nothing(void) {}
