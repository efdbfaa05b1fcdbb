/* trap.c - traps, signals and deadlines, per thread.
 *
 * wabt's sample runtime keeps one global jmp_buf; here every thread has its
 * own stack of guest calls (weft__exec_t), so threads trapping at once
 * never see each other's state. Faults (SIGSEGV/SIGBUS) are handled on a
 * per-thread alternate stack so a guest that exhausts the native stack can
 * be recovered.
 *
 * Deadlines cost a guest call no system call. Each thread publishes the
 * earliest deadline of its running calls; one watchdog thread for the
 * process sleeps until the earliest published deadline and signals the
 * thread whose deadline has passed (tgkill), again every millisecond while
 * that call runs. The signal unwinds the call only when it lands in guest
 * code; in host code (a host function in progress) it returns and the next
 * one tries again, so the host call finishes first. The watchdog is woken
 * only when a call's deadline is earlier than the one it sleeps until,
 * which a steady stream of calls with the same timeout never is. A thread
 * is signalled only while a call of its own is past its deadline (at most
 * one signal pending), so idle threads and threads that never call guests
 * are never interrupted. A trigger may open an event around the calls of
 * one request (weft__rt_event_begin): its deadline is published once and
 * the calls take it, reading no clock and storing nothing.
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
#define RETRY_NS 1000000 /* re-signal period once a deadline has passed */
#define MAX_CODE 4096

/* What the watchdog and the handlers know of a thread besides its calls
 * (weft__rt_thread, runtime.h). */
typedef struct thread_state {
  weft__rt_thread_t *rt; /* the thread's weft__rt_thread */
  void *altstack;
  uintptr_t stack_lo, stack_hi;
  pid_t tid;
  int listed; /* in the watchdog's list (under watchdog.mu) */
  struct thread_state *next;
} thread_state_t;

__thread weft__rt_thread_t weft__rt_thread;
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

void weft__trap_at(int kind, const char *msg, void *pc) {
  weft__exec_t *ex = weft__rt_thread.exec;
  if (!ex) {
    fprintf(stderr, "weft: trap outside a guest call: %s\n",
            msg ? msg : weft_trap_message(kind));
    abort();
  }
  ex->trap = kind;
  ex->trap_pc = pc;
  snprintf(ex->msg, sizeof ex->msg, "%s", msg ? msg : "");
  WEFT__LONGJMP(ex->jb);
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
  weft__exec_t *ex = weft__rt_thread.exec;
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
      WEFT__LONGJMP(ex->jb);
    }
    if (in_guest_code(pc)) {
      ex->trap = WEFT_TRAP_OOB;
      ex->trap_pc = (void *)pc;
      ex->msg[0] = 0;
      WEFT__LONGJMP(ex->jb);
    }
  }
  /* A fault in host code: a real crash. Let it happen. */
  signal(sig, SIG_DFL);
}

static void on_deadline(int sig, siginfo_t *si, void *uc) {
  (void)sig;
  (void)si;
  weft__rt_thread_t *t = &weft__rt_thread;
  int saved = errno;
  weft__exec_t *ex = t->exec;
  uint64_t first = atomic_load_explicit(&t->deadline_ns, memory_order_relaxed);
  if (ex && first && weft__now_ns() >= first &&
      in_guest_code(context_pc(uc))) {
    /* `signalled` stays set until weft__exec_leave has withdrawn the
     * deadline, so no other signal follows this call. */
    ex->trap = WEFT_TRAP_DEADLINE;
    ex->trap_pc = (void *)context_pc(uc);
    ex->msg[0] = 0;
    WEFT__LONGJMP(ex->jb);
  }
  /* Host code running, or the call returned as the signal was sent: the
   * watchdog signals again if need be. */
  atomic_store(&t->signalled, 0);
  errno = saved;
}

/* ---- the watchdog -------------------------------------------------------- */

/* The threads that have made calls with deadlines (alive: a thread leaves
 * the list as it exits), and when the watchdog looks at them next. */
static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_once_t once;
  thread_state_t *threads;
  int started; /* the thread was started (or failed to start) */
  /* When the watchdog wakes next: UINT64_MAX when it sleeps until woken,
   * 0 while it looks (it looks again before sleeping). A call whose
   * deadline is earlier wakes it. */
  _Atomic uint64_t wake_ns;
} watchdog = {.mu = PTHREAD_MUTEX_INITIALIZER,
              .once = PTHREAD_ONCE_INIT,
              .wake_ns = UINT64_MAX};

static void watchdog_init(void) {
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&watchdog.cv, &ca);
  pthread_condattr_destroy(&ca);
}

/* In the child of a fork, only the forking thread is left, and no
 * watchdog: start afresh (the lock may have been held by the watchdog). */
static void watchdog_after_fork(void) {
  pthread_mutex_init(&watchdog.mu, NULL);
  if (watchdog.started)
    watchdog_init();
  watchdog.threads = NULL;
  watchdog.started = 0;
  atomic_store(&watchdog.wake_ns, UINT64_MAX);
  tls_thread.listed = 0;
  atomic_store(&weft__rt_thread.signalled, 0);
}

/* When the watchdog must look next: the earliest deadline published by a
 * listed thread still to come at `now`, or RETRY_NS after `now` for a
 * thread past its deadline; UINT64_MAX if none. With `send`, signal each
 * thread past its deadline, unless a signal is on its way. Under the
 * lock. */
static uint64_t watchdog_scan(uint64_t now, int send) {
  uint64_t next = UINT64_MAX;
  for (thread_state_t *t = watchdog.threads; t; t = t->next) {
    uint64_t d = atomic_load(&t->rt->deadline_ns);
    if (!d)
      continue;
    if (d <= now) {
      if (send && !atomic_exchange(&t->rt->signalled, 1))
        syscall(SYS_tgkill, getpid(), t->tid, DEADLINE_SIGNAL);
      d = now + RETRY_NS;
    }
    if (d < next)
      next = d;
  }
  return next;
}

static void *watchdog_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&watchdog.mu);
  for (;;) {
    atomic_store(&watchdog.wake_ns, 0);
    uint64_t now = weft__now_ns();
    uint64_t next = watchdog_scan(now, 1);
    /* Publish the plan, then look again: a call that published its
     * deadline before seeing the plan is seen here (both sides store,
     * then load, sequentially consistent), one after it wakes us. */
    for (;;) {
      atomic_store(&watchdog.wake_ns, next);
      uint64_t again = watchdog_scan(now, 0);
      if (again >= next)
        break;
      next = again;
    }
    if (next == UINT64_MAX) {
      pthread_cond_wait(&watchdog.cv, &watchdog.mu);
    } else {
      struct timespec until = {.tv_sec = (time_t)(next / 1000000000u),
                               .tv_nsec = (long)(next % 1000000000u)};
      pthread_cond_timedwait(&watchdog.cv, &watchdog.mu, &until);
    }
  }
  return NULL;
}

/* Wake the watchdog for a deadline earlier than its plan (starting it the
 * first time); list this thread first if it is not. */
static void watchdog_wake(thread_state_t *t, uint64_t deadline_ns) {
  pthread_once(&watchdog.once, watchdog_init);
  pthread_mutex_lock(&watchdog.mu);
  if (!t->listed) {
    t->tid = (pid_t)syscall(SYS_gettid);
    t->next = watchdog.threads;
    watchdog.threads = t;
    t->listed = 1;
  }
  if (!watchdog.started) {
    /* Signals go to the threads that run guests, none to the watchdog. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_t tid;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    int rc = pthread_create(&tid, &attr, watchdog_main, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    watchdog.started = 1;
    if (rc != 0) {
      fprintf(stderr, "weft: cannot start the deadline watchdog thread "
              "(%s): guest deadlines are not enforced\n", strerror(rc));
      atomic_store(&watchdog.wake_ns, 0); /* calls need not wake it */
    }
  }
  if (deadline_ns < atomic_load(&watchdog.wake_ns)) {
    atomic_store(&watchdog.wake_ns, deadline_ns);
    pthread_cond_signal(&watchdog.cv);
  }
  pthread_mutex_unlock(&watchdog.mu);
}

static void thread_exit(void *arg) {
  thread_state_t *t = arg;
  if (t->listed) {
    pthread_mutex_lock(&watchdog.mu);
    for (thread_state_t **p = &watchdog.threads; *p; p = &(*p)->next)
      if (*p == t) {
        *p = t->next;
        break;
      }
    t->listed = 0;
    pthread_mutex_unlock(&watchdog.mu);
  }
  if (t->altstack) {
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    free(t->altstack);
  }
  t->rt->ready = 0;
  t->altstack = NULL;
}

void weft__rt_install_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  /* No signal mask change on entry, so jumping out needs no restore and
   * WEFT__SETJMP need not save the mask (a system call per guest call). */
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
  pthread_atfork(NULL, NULL, watchdog_after_fork);
}

void weft__rt_init(void) { pthread_once(&init_once, rt_init); }

void weft__rt_thread_init(void) {
  thread_state_t *t = &tls_thread;
  if (weft__rt_thread.ready)
    return;
  t->rt = &weft__rt_thread;
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
  weft__rt_thread.ready = 1;
}

void weft__rt_publish(weft__rt_thread_t *rt, uint64_t deadline_ns) {
  thread_state_t *t = &tls_thread;
  atomic_store(&rt->deadline_ns, deadline_ns);
  if (deadline_ns < atomic_load(&watchdog.wake_ns) || !t->listed)
    watchdog_wake(t, deadline_ns);
}

void weft__rt_event_begin(weft__rt_event_t *ev, uint64_t deadline_ns) {
  weft__rt_thread_t *t = &weft__rt_thread;
  if (!t->ready)
    weft__rt_thread_init();
  uint64_t outer = atomic_load_explicit(&t->deadline_ns, memory_order_relaxed);
  ev->deadline_ns = deadline_ns;
  ev->outer_event_ns = t->event_ns;
  ev->outer_published_ns = outer;
  t->event_ns = deadline_ns;
  /* Published as a call's is (weft__exec_enter), once for the event: the
   * calls that take this deadline find it published and store nothing. */
  if (deadline_ns && (!outer || deadline_ns < outer))
    weft__rt_publish(t, deadline_ns);
}

void weft__rt_event_end(weft__rt_event_t *ev) {
  weft__rt_thread_t *t = &weft__rt_thread;
  t->event_ns = ev->outer_event_ns;
  if (atomic_load_explicit(&t->deadline_ns, memory_order_relaxed) !=
      ev->outer_published_ns)
    atomic_store_explicit(&t->deadline_ns, ev->outer_published_ns,
                          memory_order_release);
  if (atomic_load_explicit(&t->signalled, memory_order_relaxed))
    atomic_store(&t->signalled, 0);
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
