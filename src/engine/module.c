/* module.c - loading modules: read, compile or fetch from the cache,
 * dlopen, check the artifact, and describe imports and exports. */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine_int.h"

const weft__abi_rt_t weft__rt_table = {
    WEFT_ABI_VERSION,
    weft__rt_trap,
    weft__rt_register_func_type,
    weft__rt_allocate_memory,
    weft__rt_grow_memory,
    weft__rt_free_memory,
    weft__rt_allocate_funcref_table,
    weft__rt_free_funcref_table,
    weft__rt_grow_funcref_table,
    weft__rt_allocate_externref_table,
    weft__rt_free_externref_table,
    weft__rt_grow_externref_table,
    weft__call_host,
};

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

/* Find the executable segment of the object loaded at `base`. */
struct code_range {
  uintptr_t base, lo, hi;
};
static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  struct code_range *r = arg;
  if (info->dlpi_addr != r->base)
    return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
      r->lo = info->dlpi_addr + ph->p_vaddr;
      r->hi = r->lo + ph->p_memsz;
      return 1;
    }
  }
  return 0;
}

static int cmp_addr(const void *a, const void *b) {
  const weft__func_addr_t *x = a, *y = b;
  return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static char *global_sig(uint8_t type, int mut) {
  char s[4] = {weft__valtype_letter(type), mut ? 'm' : 0, 0};
  return strdup(s);
}

/* Fill import/export signatures and the function address table. */
static int describe(weft_module_t *m, weft_error_t *err) {
  const weft__wasm_t *w = &m->wasm;
  char sig[512];
  m->import_sigs = calloc(w->nimports + 1, sizeof *m->import_sigs);
  m->export_sigs = calloc(w->nexports + 1, sizeof *m->export_sigs);
  if (!m->import_sigs || !m->export_sigs)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (uint32_t i = 0; i < w->nimports; i++) {
    const weft__import_t *im = &w->imports[i];
    if (im->kind == WEFT_EXTERN_FUNC)
      m->import_sigs[i] =
          strdup(weft__functype_sig(&w->types[im->u.func_type], sig,
                                    sizeof sig));
    else if (im->kind == WEFT_EXTERN_GLOBAL)
      m->import_sigs[i] = global_sig(im->u.global.type, im->u.global.mut);
    else
      m->import_sigs[i] = strdup("");
    if (!m->import_sigs[i])
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  for (uint32_t i = 0; i < w->nexports; i++) {
    const weft__export_t *ex = &w->exports[i];
    if (ex->kind == WEFT_EXTERN_FUNC)
      m->export_sigs[i] = strdup(weft__functype_sig(
          weft__wasm_func_type(w, ex->index), sig, sizeof sig));
    else if (ex->kind == WEFT_EXTERN_GLOBAL) {
      uint32_t g = ex->index;
      const weft__globaltype_t *gt = NULL;
      uint32_t seen = 0;
      for (uint32_t k = 0; k < w->nimports && !gt; k++)
        if (w->imports[k].kind == WEFT_EXTERN_GLOBAL && seen++ == g)
          gt = &w->imports[k].u.global;
      if (!gt && g - w->nimported_globals < w->nglobals)
        gt = &w->globals[g - w->nimported_globals];
      m->export_sigs[i] = gt ? global_sig(gt->type, gt->mut) : strdup("");
    } else
      m->export_sigs[i] = strdup("");
    if (!m->export_sigs[i])
      return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  }
  /* Defined functions, and the export wrappers into which the compiler
   * may have inlined them. */
  uint32_t n = m->abi->nfuncs, k = 0;
  m->func_addrs =
      calloc(n + 2 * m->abi->nexports + 1, sizeof *m->func_addrs);
  if (!m->func_addrs)
    return WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
  for (uint32_t i = 0; i < n; i++) {
    m->func_addrs[k].addr = (uintptr_t)m->abi->funcs[i];
    m->func_addrs[k++].index = w->nimported_funcs + i;
  }
  for (uint32_t i = 0; i < m->abi->nexports; i++) {
    const weft__abi_export_t *ae = &m->abi->exports[i];
    if (!ae->fn || ae->index >= w->nexports)
      continue;
    m->func_addrs[k].addr = (uintptr_t)ae->tramp;
    m->func_addrs[k++].index = w->exports[ae->index].index;
    m->func_addrs[k].addr = (uintptr_t)ae->fn;
    m->func_addrs[k++].index = w->exports[ae->index].index;
  }
  qsort(m->func_addrs, k, sizeof *m->func_addrs, cmp_addr);
  m->nfunc_addrs = k;
  return 0;
}

const char *weft__module_func_at(const weft_module_t *m, uintptr_t pc) {
  const char *name = NULL;
  for (uint32_t i = 0; i < m->nfunc_addrs && m->func_addrs[i].addr <= pc;
       i++)
    name = weft__wasm_func_name(&m->wasm, m->func_addrs[i].index);
  return name;
}

int weft__module_find_export(const weft_module_t *m, const char *name) {
  for (uint32_t i = 0; i < m->wasm.nexports; i++)
    if (!strcmp(m->wasm.exports[i].name, name) &&
        strlen(name) == m->wasm.exports[i].name_len)
      return (int)i;
  return -1;
}

/* A truncated shared object can crash the dynamic loader: check that
 * every segment and the section headers lie within the file first. Reads
 * only the headers. */
static int elf_complete(const char *path) {
  int ok = 0, fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  ElfW(Ehdr) eh;
  ElfW(Phdr) ph[64];
  if (fd < 0)
    return 0;
  if (fstat(fd, &st) < 0 || pread(fd, &eh, sizeof eh, 0) != sizeof eh)
    goto out;
  uint64_t len = (uint64_t)st.st_size;
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
      eh.e_phentsize != sizeof(ElfW(Phdr)) || eh.e_phnum > 64 ||
      eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(ElfW(Phdr)) > len ||
      eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize > len)
    goto out;
  size_t phsize = eh.e_phnum * sizeof(ElfW(Phdr));
  if (pread(fd, ph, phsize, (off_t)eh.e_phoff) != (ssize_t)phsize)
    goto out;
  for (int i = 0; i < eh.e_phnum; i++)
    if (ph[i].p_offset + ph[i].p_filesz > len)
      goto out;
  ok = 1;
out:
  close(fd);
  return ok;
}

/* dlopen `path` and check it is a module artifact for this weft. A
 * damaged or foreign file gives WEFT_ECACHE or WEFT_EABI. */
static int open_artifact(weft_module_t *m, const char *path,
                         const char *want_sha, weft_error_t *err) {
  if (!elf_complete(path))
    return WEFT_ERR(err, WEFT_ECACHE, "'%s' is damaged", path);
  void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!dl)
    return WEFT_ERR(err, WEFT_ECACHE, "cannot load '%s': %s", path,
                    dlerror());
  const weft__abi_module_t *abi = dlsym(dl, WEFT__ABI_SYMBOL);
  if (!abi) {
    dlclose(dl);
    return WEFT_ERR(err, WEFT_EABI, "'%s' is not a weft module artifact",
                    path);
  }
  if (abi->abi_version != WEFT_ABI_VERSION) {
    dlclose(dl);
    return WEFT_ERR(err, WEFT_EABI,
                    "'%s' was built for weft abi %u, this weft has abi %d; "
                    "recompile it",
                    path, abi->abi_version, WEFT_ABI_VERSION);
  }
  char sha[65];
  weft__sha256_hex(abi->wasm_bytes, abi->wasm_len, sha);
  if (strcmp(sha, abi->wasm_sha256) || (want_sha && strcmp(sha, want_sha))) {
    dlclose(dl);
    return WEFT_ERR(err, WEFT_ECACHE, "'%s' is damaged", path);
  }
  m->dl = dl;
  m->abi = abi;
  return 0;
}

static int finish_load(weft_module_t *m, weft_error_t *err) {
  int rc;
  if (!m->wasm.types && !m->wasm.nimports && !m->wasm.nexports &&
      !m->wasm.nsections) {
    if ((rc = weft__wasm_read(m->abi->wasm_bytes, m->abi->wasm_len,
                              &m->wasm, err)) < 0)
      return rc;
  }
  if ((rc = describe(m, err)) < 0)
    return rc;
  pthread_mutex_lock(&load_lock);
  *m->abi->rt = &weft__rt_table;
  m->abi->init_module();
  pthread_mutex_unlock(&load_lock);
  struct code_range r = {0};
  Dl_info info;
  if (dladdr(m->abi, &info) && info.dli_fbase) {
    struct link_map *lm = NULL;
    if (dlinfo(m->dl, RTLD_DI_LINKMAP, &lm) == 0 && lm)
      r.base = lm->l_addr;
    if (dl_iterate_phdr(phdr_cb, &r) && r.lo) {
      m->code_handle = weft__rt_code_add(r.lo, r.hi);
      m->code_lo = r.lo;
      m->code_hi = r.hi;
    }
  }
  return 0;
}

static weft_module_t *module_alloc(weft_engine_t *e, const char *name) {
  weft_module_t *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->engine = e;
  m->code_handle = -1;
  m->name = strdup(name ? name : "<module>");
  if (!m->name) {
    free(m);
    return NULL;
  }
  return m;
}

static int is_elf(const uint8_t *b, size_t len) {
  return len >= 4 && !memcmp(b, ELFMAG, SELFMAG);
}

/* Check an ELF artifact is for this machine before dlopen-ing it. */
static int check_machine(const uint8_t *b, size_t len, const char *path,
                         weft_error_t *err) {
  const ElfW(Ehdr) *eh = (const void *)b;
  if (len < sizeof *eh || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
      eh->e_machine !=
#if defined(__x86_64__)
          EM_X86_64
#elif defined(__aarch64__)
          EM_AARCH64
#else
          eh->e_machine
#endif
  )
    return WEFT_ERR(err, WEFT_EABI,
                    "'%s' was compiled for another machine; recompile it",
                    path);
  return 0;
}

weft_module_t *weft_module_load_bytes(weft_engine_t *e, const uint8_t *bytes,
                                      size_t len, const char *name,
                                      weft_error_t *err) {
  char *so = NULL;
  int temporary = 0, rc;
  weft_module_t *m = module_alloc(e, name);
  if (!m) {
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    return NULL;
  }
  if (is_elf(bytes, len)) {
    WEFT_ERR(err, WEFT_EINVAL,
             "'%s' is a precompiled artifact: load it from its file",
             m->name);
    goto fail;
  }
  if ((rc = weft__wasm_read(bytes, len, &m->wasm, err)) < 0) {
    if (err) {
      char msg[sizeof err->msg];
      snprintf(msg, sizeof msg, "%s", err->msg);
      if (snprintf(err->msg, sizeof err->msg, "'%s': %s", m->name, msg) >=
          (int)sizeof err->msg)
        err->msg[sizeof err->msg - 1] = 0;
    }
    goto fail;
  }
  char sha[65];
  weft__sha256_hex(bytes, len, sha);
  for (int attempt = 0; attempt < 2; attempt++) {
    if ((rc = weft__compile(e, &m->wasm, bytes, len, sha, m->name, &so,
                            &temporary, err)) < 0)
      goto fail;
    rc = open_artifact(m, so, sha, err);
    if (temporary) {
      *strrchr(so, '/') = 0; /* the private directory it was built in */
      weft__rm_rf(so);
    }
    if (rc == 0)
      break;
    /* A damaged cache entry: remove it and build it again, once. */
    unlink(so);
    free(so);
    so = NULL;
    if (attempt == 1)
      goto fail;
  }
  free(so);
  so = NULL;
  if (finish_load(m, err) < 0)
    goto fail;
  return m;
fail:
  free(so);
  weft_module_free(m);
  return NULL;
}

weft_module_t *weft_module_load_file(weft_engine_t *e, const char *path,
                                     weft_error_t *err) {
  uint8_t *bytes = NULL;
  size_t len = 0;
  if (weft__read_file(path, &bytes, &len, err) < 0)
    return NULL;
  weft_module_t *m = NULL;
  if (!is_elf(bytes, len)) {
    m = weft_module_load_bytes(e, bytes, len, path, err);
    free(bytes);
    return m;
  }
  /* A precompiled artifact from `weft compile -o`. */
  int rc = check_machine(bytes, len, path, err);
  free(bytes);
  if (rc < 0)
    return NULL;
  m = module_alloc(e, path);
  if (!m) {
    WEFT_ERR(err, WEFT_ENOMEM, "out of memory");
    return NULL;
  }
  char *abs = realpath(path, NULL);
  rc = open_artifact(m, abs ? abs : path, NULL, err);
  free(abs);
  if (rc < 0 || finish_load(m, err) < 0) {
    weft_module_free(m);
    return NULL;
  }
  return m;
}

int weft_module_write_artifact(weft_module_t *m, const char *path,
                               weft_error_t *err) {
  Dl_info info;
  if (!dladdr(m->abi, &info) || !info.dli_fname)
    return WEFT_ERR(err, WEFT_ENOTFOUND, "no artifact for '%s'", m->name);
  uint8_t *data;
  size_t len;
  int rc = weft__read_file(info.dli_fname, &data, &len, err);
  if (rc < 0)
    return rc;
  rc = weft__write_file_atomic(path, data, len, err);
  free(data);
  return rc;
}

void weft_module_free(weft_module_t *m) {
  if (!m)
    return;
  weft__rt_code_remove(m->code_handle);
  if (m->dl)
    dlclose(m->dl);
  if (m->import_sigs)
    for (uint32_t i = 0; i < m->wasm.nimports; i++)
      free(m->import_sigs[i]);
  if (m->export_sigs)
    for (uint32_t i = 0; i < m->wasm.nexports; i++)
      free(m->export_sigs[i]);
  free(m->import_sigs);
  free(m->export_sigs);
  free(m->func_addrs);
  weft__wasm_release(&m->wasm);
  free(m->name);
  free(m);
}

size_t weft_module_import_count(const weft_module_t *m) {
  return m->wasm.nimports;
}

size_t weft_module_export_count(const weft_module_t *m) {
  return m->wasm.nexports;
}

int weft_module_import(const weft_module_t *m, size_t i,
                       weft_extern_desc_t *out) {
  if (i >= m->wasm.nimports)
    return WEFT_EINVAL;
  out->module = m->wasm.imports[i].module;
  out->name = m->wasm.imports[i].name;
  out->kind = m->wasm.imports[i].kind;
  out->sig = m->import_sigs[i];
  return 0;
}

int weft_module_export(const weft_module_t *m, size_t i,
                       weft_extern_desc_t *out) {
  if (i >= m->wasm.nexports)
    return WEFT_EINVAL;
  out->module = NULL;
  out->name = m->wasm.exports[i].name;
  out->kind = m->wasm.exports[i].kind;
  out->sig = m->export_sigs[i];
  return 0;
}
