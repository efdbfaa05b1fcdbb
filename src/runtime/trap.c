/* trap.c - traps, signals and deadlines, per thread.
 *
 * wabt's sample runtime keeps one global jmp_buf; here every thread has its
 * own stack of guest calls (weft__exec_t), so threads trapping at once
 * never see each other's state. Faults (SIGSEGV/SIGBUS) are handled on a
 * per-thread alternate stack so a guest that exhausts the native stack can
 * be recovered. A deadline is a per-thread POSIX timer whose signal
 * unwinds the call only when it lands in guest code; when it lands in host
 * code (a host function in progress) it is retried every millisecond, so
 * the host call finishes first.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "util/util.h"

#define ALTSTACK_SIZE (64 * 1024)
#define DEADLINE_SIGNAL (SIGRTMIN + 3)
#define RETRY_NS 1000000 /* deadline re-check period once expired */
#define MAX_CODE 4096

typedef struct thread_state {
  int ready;
  void *altstack;
  uintptr_t stack_lo, stack_hi;
  timer_t timer;
  int has_timer;
} thread_state_t;

static __thread weft__exec_t *tls_exec;
static __thread thread_state_t tls_thread;
static pthread_key_t thread_key;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Guest code ranges; entries are written before `ncode` grows, so the
 * signal handlers can read them without a lock. */
static struct {
  _Atomic uintptr_t lo, hi;
} code[MAX_CODE];
static _Atomic int ncode;
static pthread_mutex_t code_lock = PTHREAD_MUTEX_INITIALIZER;

int weft__rt_code_add(uintptr_t lo, uintptr_t hi) {
  int h = -1;
  pthread_mutex_lock(&code_lock);
  int n = atomic_load(&ncode);
  for (int i = 0; i < n; i++)
    if (atomic_load(&code[i].lo) == 0 && atomic_load(&code[i].hi) == 0) {
      h = i;
      break;
    }
  if (h < 0 && n < MAX_CODE)
    h = n;
  if (h >= 0) {
    atomic_store(&code[h].lo, lo);
    atomic_store(&code[h].hi, hi);
    if (h == n)
      atomic_store(&ncode, n + 1);
  }
  pthread_mutex_unlock(&code_lock);
  return h;
}

void weft__rt_code_remove(int h) {
  if (h < 0)
    return;
  pthread_mutex_lock(&code_lock);
  atomic_store(&code[h].lo, 0);
  atomic_store(&code[h].hi, 0);
  pthread_mutex_unlock(&code_lock);
}

static int in_guest_code(uintptr_t pc) {
  int n = atomic_load(&ncode);
  for (int i = 0; i < n; i++)
    if (pc >= atomic_load(&code[i].lo) && pc < atomic_load(&code[i].hi))
      return 1;
  return 0;
}

static uintptr_t context_pc(void *uc) {
#if defined(__x86_64__)
  return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
  return (uintptr_t)((ucontext_t *)uc)->uc_mcontext.pc;
#else
  (void)uc;
  return 0;
#endif
}

weft__exec_t *weft__exec_current(void) { return tls_exec; }

void weft__trap_at(int kind, const char *msg, void *pc) {
  weft__exec_t *ex = tls_exec;
  if (!ex) {
    fprintf(stderr, "weft: trap outside a guest call: %s\n",
            msg ? msg : weft_trap_message(kind));
    abort();
  }
  ex->trap = kind;
  ex->trap_pc = pc;
  snprintf(ex->msg, sizeof ex->msg, "%s", msg ? msg : "");
  siglongjmp(ex->jb, 1);
}

void weft__rt_trap(wasm_rt_trap_t code_, void *pc) {
  int kind = WEFT_TRAP_HOST;
  switch (code_) {
  case WASM_RT_TRAP_OOB:
    kind = WEFT_TRAP_OOB;
    break;
  case WASM_RT_TRAP_INT_OVERFLOW:
    kind = WEFT_TRAP_INT_OVERFLOW;
    break;
  case WASM_RT_TRAP_DIV_BY_ZERO:
    kind = WEFT_TRAP_DIV_BY_ZERO;
    break;
  case WASM_RT_TRAP_INVALID_CONVERSION:
    kind = WEFT_TRAP_INVALID_CONVERSION;
    break;
  case WASM_RT_TRAP_UNREACHABLE:
    kind = WEFT_TRAP_UNREACHABLE;
    break;
  case WASM_RT_TRAP_CALL_INDIRECT:
    kind = WEFT_TRAP_INDIRECT_CALL;
    break;
  case WASM_RT_TRAP_UNCAUGHT_EXCEPTION:
    kind = WEFT_TRAP_UNCAUGHT_EXCEPTION;
    break;
  case WASM_RT_TRAP_EXHAUSTION:
    kind = WEFT_TRAP_STACK_EXHAUSTED;
    break;
  case WASM_RT_TRAP_NONE:
    break;
  }
  weft__trap_at(kind, NULL, pc);
}

static void on_fault(int sig, siginfo_t *si, void *uc) {
  weft__exec_t *ex = tls_exec;
  uintptr_t pc = context_pc(uc);
  uintptr_t addr = (uintptr_t)si->si_addr;
  if (ex) {
    thread_state_t *t = &tls_thread;
    /* Below or just inside the lowest page of the stack: overflow. */
    if (t->stack_lo && addr < t->stack_lo + 65536 &&
        addr + (16u << 20) > t->stack_lo) {
      ex->trap = WEFT_TRAP_STACK_EXHAUSTED;
      ex->trap_pc = (void *)pc;
      ex->msg[0] = 0;
      siglongjmp(ex->jb, 1);
    }
    if (in_guest_code(pc)) {
      ex->trap = WEFT_TRAP_OOB;
      ex->trap_pc = (void *)pc;
      ex->msg[0] = 0;
      siglongjmp(ex->jb, 1);
    }
  }
  /* A fault in host code: a real crash. Let it happen. */
  signal(sig, SIG_DFL);
}

static void on_deadline(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)si;
  weft__exec_t *ex = tls_exec;
  if (!ex)
    return;
  uintptr_t pc = context_pc(uc);
  if (!in_guest_code(pc))
    return; /* host code running: try again at the next tick */
  int saved = errno;
  uint64_t now = weft__now_ns();
  for (weft__exec_t *e = ex; e; e = e->prev)
    if (e->deadline_ns && now >= e->deadline_ns) {
      ex->trap = WEFT_TRAP_DEADLINE;
      ex->trap_pc = (void *)pc;
      ex->msg[0] = 0;
      siglongjmp(ex->jb, 1);
    }
  errno = saved;
}

static void thread_exit(void *arg) {
  thread_state_t *t = arg;
  if (t->has_timer)
    timer_delete(t->timer);
  if (t->altstack) {
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    free(t->altstack);
  }
  t->ready = 0;
  t->has_timer = 0;
  t->altstack = NULL;
}

void weft__rt_install_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  /* No signal mask change on entry, so longjmp-ing out needs no restore
   * and sigsetjmp need not save the mask (a system call per guest call). */
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sa.sa_sigaction = on_fault;
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sa.sa_sigaction = on_deadline;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER;
  sigaction(DEADLINE_SIGNAL, &sa, NULL);
}

static void rt_init(void) {
  weft__rt_install_handlers();
  pthread_key_create(&thread_key, thread_exit);
}

void weft__rt_init(void) { pthread_once(&init_once, rt_init); }

static void thread_init(void) {
  thread_state_t *t = &tls_thread;
  if (t->ready)
    return;
  weft__rt_init();
  t->altstack = malloc(ALTSTACK_SIZE);
  if (t->altstack) {
    stack_t ss = {.ss_sp = t->altstack, .ss_size = ALTSTACK_SIZE};
    sigaltstack(&ss, NULL);
  }
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void *lo;
    size_t size;
    if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
      t->stack_lo = (uintptr_t)lo;
      t->stack_hi = (uintptr_t)lo + size;
    }
    pthread_attr_destroy(&attr);
  }
  pthread_setspecific(thread_key, t);
  t->ready = 1;
}

static int arm(uint64_t deadline_ns) {
  thread_state_t *t = &tls_thread;
  if (!t->has_timer) {
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = DEADLINE_SIGNAL;
    sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_MONOTONIC, &sev, &t->timer) < 0)
      return -1;
    t->has_timer = 1;
  }
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000u);
  its.it_value.tv_nsec = (long)(deadline_ns % 1000000000u);
  its.it_interval.tv_nsec = RETRY_NS;
  return timer_settime(t->timer, TIMER_ABSTIME, &its, NULL);
}

static void disarm(void) {
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  timer_settime(tls_thread.timer, 0, &its, NULL);
}

void weft__exec_enter(weft__exec_t *ex) {
  thread_init();
  ex->prev = tls_exec;
  ex->armed = 0;
  if (ex->prev) {
    /* A nested call keeps the outer limits unless it sets its own. */
    if (!ex->max_memory)
      ex->max_memory = ex->prev->max_memory;
    if (!ex->max_table)
      ex->max_table = ex->prev->max_table;
  }
  if (ex->deadline_ns && arm(ex->deadline_ns) == 0)
    ex->armed = 1;
  tls_exec = ex;
}

void weft__exec_leave(weft__exec_t *ex) {
  if (ex->armed) {
    disarm();
    /* Re-arm an outer deadline that this call's timer replaced. */
    for (weft__exec_t *e = ex->prev; e; e = e->prev)
      if (e->armed) {
        arm(e->deadline_ns);
        break;
      }
  }
  tls_exec = ex->prev;
}

/* Function type ids: equal signatures get equal ids, process-wide, so that
 * call_indirect works across modules sharing a table. */
typedef struct functype {
  uint32_t np, nr;
  wasm_rt_type_t *types;
} functype_t;
static functype_t *ftypes;
static uint32_t nftypes, capftypes;
static pthread_mutex_t ftype_lock = PTHREAD_MUTEX_INITIALIZER;

uint32_t weft__rt_register_func_type(uint32_t np, uint32_t nr,
                                     const wasm_rt_type_t *types) {
  uint32_t id = UINT32_MAX;
  pthread_mutex_lock(&ftype_lock);
  for (uint32_t i = 0; i < nftypes; i++)
    if (ftypes[i].np == np && ftypes[i].nr == nr &&
        !memcmp(ftypes[i].types, types, (np + nr) * sizeof *types)) {
      id = i + 1;
      goto out;
    }
  if (nftypes == capftypes) {
    uint32_t cap = capftypes ? capftypes * 2 : 64;
    functype_t *p = realloc(ftypes, cap * sizeof *p);
    if (!p)
      goto out;
    ftypes = p;
    capftypes = cap;
  }
  wasm_rt_type_t *copy = malloc((np + nr + 1) * sizeof *copy);
  if (!copy)
    goto out;
  memcpy(copy, types, (np + nr) * sizeof *copy);
  ftypes[nftypes] = (functype_t){np, nr, copy};
  id = ++nftypes;
out:
  pthread_mutex_unlock(&ftype_lock);
  if (id == UINT32_MAX)
    weft__trap_at(WEFT_TRAP_MEMORY_LIMIT, "out of memory", NULL);
  return id;
}
