/* cabi_type.c - sizes, alignment and flattening of WIT types, as the
 * canonical ABI defines them. Option and result are variants with two
 * cases, enum a variant without payloads. */
#include "cabi/cabi_int.h"

size_t cabi_ncases(const weft__wit_type_t *t) {
  switch (t->kind) {
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT:
    return 2;
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_ENUM:
    return t->n;
  default:
    return 0;
  }
}

const weft__wit_type_t *cabi_case(const weft__wit_type_t *t, size_t i) {
  switch (t->kind) {
  case WEFT__WIT_OPTION:
    return i == 1 ? t->m[0].type : NULL;
  case WEFT__WIT_RESULT:
    return t->m[i].type;
  case WEFT__WIT_VARIANT:
    return t->m[i].type;
  default:
    return NULL;
  }
}

const weft__wit_type_t *cabi_resource_of(const weft__wit_type_t *handle) {
  return weft__wit_unalias(handle->m[0].type);
}

uint32_t cabi_disc_size(size_t ncases) {
  return ncases <= 256 ? 1 : ncases <= 65536 ? 2 : 4;
}

static uint32_t flags_size(size_t n) {
  return n == 0 ? 0 : n <= 8 ? 1 : n <= 16 ? 2 : 4 * (uint32_t)((n + 31) / 32);
}

static uint32_t max_case_align(const weft__wit_type_t *t) {
  uint32_t a = 1;
  for (size_t i = 0; i < cabi_ncases(t); i++) {
    const weft__wit_type_t *c = cabi_case(t, i);
    if (c && cabi_align(c) > a)
      a = cabi_align(c);
  }
  return a;
}

static uint32_t align_of(const weft__wit_type_t *t) {
  switch (t->kind) {
  case WEFT__WIT_BOOL:
  case WEFT__WIT_S8:
  case WEFT__WIT_U8:
    return 1;
  case WEFT__WIT_S16:
  case WEFT__WIT_U16:
    return 2;
  case WEFT__WIT_S64:
  case WEFT__WIT_U64:
  case WEFT__WIT_F64:
    return 8;
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE:
    return cabi_seq_align(t->m, t->n);
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_ENUM:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT: {
    uint32_t d = cabi_disc_size(cabi_ncases(t)), a = max_case_align(t);
    return d > a ? d : a;
  }
  case WEFT__WIT_FLAGS: {
    uint32_t s = flags_size(t->n);
    return s == 0 ? 1 : s > 4 ? 4 : s;
  }
  default: /* s32, u32, f32, char, string, list, handles */
    return 4;
  }
}

uint32_t cabi_payload_offset(const weft__wit_type_t *t) {
  return cabi_align_to(cabi_disc_size(cabi_ncases(t)), max_case_align(t));
}

static uint32_t size_of(const weft__wit_type_t *t) {
  switch (t->kind) {
  case WEFT__WIT_BOOL:
  case WEFT__WIT_S8:
  case WEFT__WIT_U8:
    return 1;
  case WEFT__WIT_S16:
  case WEFT__WIT_U16:
    return 2;
  case WEFT__WIT_S64:
  case WEFT__WIT_U64:
  case WEFT__WIT_F64:
  case WEFT__WIT_STRING:
  case WEFT__WIT_LIST:
    return 8;
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE:
    return cabi_seq_size(t->m, t->n);
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_ENUM:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT: {
    uint32_t max = 0;
    for (size_t i = 0; i < cabi_ncases(t); i++) {
      const weft__wit_type_t *c = cabi_case(t, i);
      if (c && cabi_size(c) > max)
        max = cabi_size(c);
    }
    return cabi_align_to(cabi_payload_offset(t) + max, cabi_align(t));
  }
  case WEFT__WIT_FLAGS:
    return flags_size(t->n);
  default:
    return 4;
  }
}

/* Sizes and alignments are computed once per type node and kept on it
 * (types are immutable once resolved): recomputing them recursively costs
 * time exponential in the nesting depth. Threads sharing a model may race
 * to fill a slot; they store the same value, atomically. */
static uint32_t memo(uint32_t *slot, uint32_t (*of)(const weft__wit_type_t *),
                     const weft__wit_type_t *t) {
  uint32_t v = __atomic_load_n(slot, __ATOMIC_RELAXED);
  if (v)
    return v - 1;
  v = of(t);
  __atomic_store_n(slot, v + 1, __ATOMIC_RELAXED);
  return v;
}

uint32_t cabi_align(const weft__wit_type_t *t) {
  t = weft__wit_unalias(t);
  return memo(&((weft__wit_type_t *)t)->abi_align_, align_of, t);
}

uint32_t cabi_size(const weft__wit_type_t *t) {
  t = weft__wit_unalias(t);
  return memo(&((weft__wit_type_t *)t)->abi_size_, size_of, t);
}

uint32_t cabi_seq_align(const weft__wit_member_t *m, size_t n) {
  uint32_t a = 1;
  for (size_t i = 0; i < n; i++)
    if (cabi_align(m[i].type) > a)
      a = cabi_align(m[i].type);
  return a;
}

uint32_t cabi_seq_offset(const weft__wit_member_t *m, size_t n, size_t i) {
  uint32_t off = 0;
  for (size_t k = 0; k < n; k++) {
    off = cabi_align_to(off, cabi_align(m[k].type));
    if (k == i)
      return off;
    off += cabi_size(m[k].type);
  }
  return off;
}

uint32_t cabi_seq_size(const weft__wit_member_t *m, size_t n) {
  return cabi_align_to(cabi_seq_offset(m, n, n), cabi_seq_align(m, n));
}

static void push(cabi_flat_t *f, uint8_t t) {
  if (f->n < CABI_FLAT_CAP)
    f->t[f->n] = t;
  f->n++;
}

/* The flat type that holds both a and b. */
static uint8_t join(uint8_t a, uint8_t b) {
  if (a == b)
    return a;
  if ((a == WEFT_I32 && b == WEFT_F32) || (a == WEFT_F32 && b == WEFT_I32))
    return WEFT_I32;
  return WEFT_I64;
}

void cabi_flatten(const weft__wit_type_t *t, cabi_flat_t *f) {
  t = weft__wit_unalias(t);
  switch (t->kind) {
  case WEFT__WIT_S64:
  case WEFT__WIT_U64:
    push(f, WEFT_I64);
    return;
  case WEFT__WIT_F32:
    push(f, WEFT_F32);
    return;
  case WEFT__WIT_F64:
    push(f, WEFT_F64);
    return;
  case WEFT__WIT_STRING:
  case WEFT__WIT_LIST:
    push(f, WEFT_I32);
    push(f, WEFT_I32);
    return;
  case WEFT__WIT_RECORD:
  case WEFT__WIT_TUPLE:
    for (size_t i = 0; i < t->n; i++)
      cabi_flatten(t->m[i].type, f);
    return;
  case WEFT__WIT_FLAGS:
    for (size_t i = 0; i < (t->n + 31) / 32; i++)
      push(f, WEFT_I32);
    return;
  case WEFT__WIT_VARIANT:
  case WEFT__WIT_ENUM:
  case WEFT__WIT_OPTION:
  case WEFT__WIT_RESULT: {
    cabi_flat_t joined = {.n = 0};
    for (size_t i = 0; i < cabi_ncases(t); i++) {
      const weft__wit_type_t *c = cabi_case(t, i);
      if (!c)
        continue;
      cabi_flat_t cf = {.n = 0};
      cabi_flatten(c, &cf);
      for (int k = 0; k < cf.n && k < CABI_FLAT_CAP; k++)
        joined.t[k] = k < joined.n ? join(joined.t[k], cf.t[k]) : cf.t[k];
      if (cf.n > joined.n)
        joined.n = cf.n;
    }
    push(f, WEFT_I32);
    for (int k = 0; k < joined.n; k++)
      push(f, k < CABI_FLAT_CAP ? joined.t[k] : WEFT_I32);
    return;
  }
  default: /* bool, small integers, char, handles */
    push(f, WEFT_I32);
    return;
  }
}
