/*
 * Thin CNI shim. One binary serves every Trunkline plugin type: the basename of argv[0] selects the
 * type. It forwards {type, command, env, stdin} to the node agent over a unix socket and prints the
 * agent's stdout with the agent's exit code, so a CNI call costs one small C process instead of a
 * Node.js start (~30 ms of CPU).
 *
 * When the agent is not there (socket missing or refusing), the shim runs the bundled Node plugin
 * <dir of this binary>/../plugins/<type>.js with the same environment and stdin: the plugins keep
 * working without an agent. A hard deadline (TRUNKLINE_SHIM_TIMEOUT_MS, default 120 s) turns a hung
 * agent or a hung bundled plugin (killed with its process group) into a CNI error with code 11
 * ("try again later") instead of a hung runtime.
 *
 * VERSION is answered here, without the agent or Node: runtimes (podman) probe every plugin of every
 * network on each run, and the answer is fixed at build time (TRUNKLINE_VERSION_JSON, the same text
 * the plugins print, for the types in TRUNKLINE_TYPES).
 *
 * Trust: the shim talks only to an agent running as root (SO_PEERCRED) behind a socket whose directory
 * is owned by root and writable by nobody else; otherwise it runs the bundled plugin.
 *
 * Wire format (version 1), both directions: one line of JSON, then a raw body of the announced size.
 *   request  {"version":1,"type":T,"command":C,"env":{"CNI_…":…},"stdinLength":N}\n<N bytes>
 *   reply    {"version":1,"status":"ok"|"fallback"|"busy","exitCode":E,"stdoutLength":M}\n<M bytes>
 * "fallback": the agent does not serve this type/version, run the bundled plugin; "busy": the agent's
 * queue is full, retry with backoff until the deadline. A request the agent refuses (too large,
 * malformed) is answered "ok" with a CNI error; a connection closed without any reply is retried at
 * most twice (the agent may have been restarted), then reported with code 11.
 *
 * Start-up snapshot: beside <type>.js the build leaves <type>.blob, a V8 heap with the bundle already
 * evaluated (src/cni/snapshot.ts); the fallback starts `node --snapshot-blob <type>.blob <type>.js`,
 * which saves the call compiling the bundle. Node refuses a blob built by another Node version with
 * exit status 14 before running any JavaScript (the plugins exit 0 or 1), and the shim then runs the
 * plain bundle. The blob is used only with a node the shim chose itself (TRUNKLINE_NODE unset), and
 * never with TRUNKLINE_SNAPSHOT=0.
 *
 * Environment: TRUNKLINE_AGENT_SOCK (default /run/trunkline/agent.sock), TRUNKLINE_SHIM_TIMEOUT_MS,
 * TRUNKLINE_NO_AGENT=1 (skip the agent: the agent sets it for processes it spawns, so a delegate never
 * queues behind its own caller), TRUNKLINE_NODE (node binary for the fallback; else <dir>/../lib/node
 * as `trunkline install` places it, else the build machine's), TRUNKLINE_PLUGIN_DIR
 * (where <type>.js lives when the shim was copied away from dist/cni, e.g. into /opt/cni/bin).
 *
 * No dependencies beyond libc; no work is done for anything but the one call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

#ifndef TRUNKLINE_NODE_PATH
#define TRUNKLINE_NODE_PATH "/usr/bin/node"
#endif

#ifndef TRUNKLINE_VERSION_JSON
#define TRUNKLINE_VERSION_JSON ""
#endif
#ifndef TRUNKLINE_TYPES
#define TRUNKLINE_TYPES ""
#endif

#define DEFAULT_SOCK "/run/trunkline/agent.sock"
#define DEFAULT_TIMEOUT_MS 120000L
#define MAX_TIMEOUT_MS 86400000L /* a day: far beyond any runtime's patience, far below overflow */
#define MAX_NO_REPLY 3
#define MAX_STDIN (16L << 20)
#define MAX_REPLY (64L << 20)

extern char **environ;

static const char *type_name = "";
static struct buf in; /* stdin, once read */
static int stdin_read;
static long long deadline;
static long timeout_ms;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Prints a CNI error object on stdout and exits 1 (messages carry no quotes or backslashes). */
__attribute__((noreturn, format(printf, 2, 3))) static void fail(int code, const char *fmt, ...) {
  char msg[512], ver[16];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  wire_plain_message(msg);
  wire_sniff_version(in.p, in.len, ver, sizeof ver);
  printf("{\"cniVersion\":\"%s\",\"code\":%d,\"msg\":\"%s\"}\n", ver, code, msg);
  fflush(stdout);
  exit(1);
}

void wire_out_of_memory(void) { fail(11, "trunkline shim: out of memory"); }

static void read_stdin(void) {
  if (stdin_read) return;
  stdin_read = 1;
  for (;;) {
    buf_reserve(&in, 65536);
    ssize_t r = read(0, in.p + in.len, in.cap - in.len);
    if (r == 0) break;
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EBADF) break; /* no stdin at all (VERSION from a terminal-less caller) */
      fail(5, "trunkline shim: error reading stdin: %s", strerror(errno));
    }
    in.len += (size_t)r;
    if ((long)in.len > MAX_STDIN) fail(5, "trunkline shim: stdin larger than %ld bytes", MAX_STDIN);
  }
}

static int remaining_ms(void) {
  long long r = deadline - now_ms();
  return r < 0 ? 0 : (r > INT_MAX ? INT_MAX : (int)r);
}

/* Node's exit status when it rejects a start-up snapshot (kStartupSnapshotFailure), before any JS runs. */
#define SNAPSHOT_REJECTED 14

/* The plugin's stdout, relayed by the shim (at most MAX_REPLY bytes). */
static struct buf out;

static void kill_and_fail(pid_t pid) {
  int status;
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  fail(11, "trunkline plugin %s did not finish within %ld ms", type_name, timeout_ms);
}

/* Reads what is in the pipe now (all of it once `until_eof`); returns 0 once the pipe is at EOF. */
static int drain(int fd, int until_eof) {
  for (;;) {
    buf_reserve(&out, 65536);
    ssize_t r = read(fd, out.p + out.len, out.cap - out.len);
    if (r == 0) return 0;
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && !until_eof) return 1;
      if (errno == EAGAIN) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, remaining_ms()) == 0) return 1;
        continue;
      }
      fail(11, "trunkline shim: reading the plugin's output: %s", strerror(errno));
    }
    out.len += (size_t)r;
    if ((long)out.len > MAX_REPLY) fail(11, "trunkline plugin output larger than %ld bytes", MAX_REPLY);
  }
}

/*
 * Relays the child's stdout (pipe `o`) into `out` until the child reports its exit code on pipe `d`
 * (TRUNKLINE_DONE_FD: written once its output is complete and its work closed) or exits. The report
 * lets the runtime have the answer without waiting for Node's own teardown (~4 ms per call); the
 * child, its work done, dies with the shim (PR_SET_PDEATHSIG). A child that exits without reporting
 * (a rejected snapshot, a crash, an older bundle) is waited for as before. Past the deadline the
 * child's process group is killed and the call fails with code 11.
 */
static int relay(pid_t pid, int o, int d) {
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  fcntl(o, F_SETFL, O_NONBLOCK);
  int status;
  for (;;) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) fail(11, "trunkline shim: waitpid: %s", strerror(errno));
    int t = remaining_ms();
    if (t == 0) kill_and_fail(pid);
    struct pollfd p[3] = {{o, POLLIN, 0}, {d, POLLIN, 0}, {pidfd, POLLIN, 0}};
    /* kernels before 5.3 have no pidfd: look at the child every 5 ms */
    int n = poll(p, 3, pidfd >= 0 ? t : (t < 5 ? t : 5));
    if (n < 0 && errno != EINTR) fail(11, "trunkline shim: poll: %s", strerror(errno));
    if (o >= 0 && (p[0].revents & (POLLIN | POLLHUP)) && drain(o, 0) == 0) {
      close(o);
      o = -1;
    }
    if (d >= 0 && (p[1].revents & (POLLIN | POLLHUP))) {
      unsigned char code;
      ssize_t r = read(d, &code, 1);
      if (r == 1) {
        if (o >= 0) drain(o, 0); /* its writes were complete before it reported */
        return code;
      }
      if (r == 0 || errno != EINTR) {
        close(d);
        d = -1;
      }
    }
  }
  if (pidfd >= 0) close(pidfd);
  if (o >= 0 && drain(o, 1) != 0) kill_and_fail(pid);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  fail(11, "trunkline plugin %s was killed by signal %d", type_name, WTERMSIG(status));
}

/* Runs node with `argv` in its own process group under the deadline; returns its exit status. */
static int run_node(const char *node, char **argv) {
  int o[2], d[2];
  if (pipe2(o, O_CLOEXEC) != 0 || pipe2(d, O_CLOEXEC) != 0)
    fail(11, "trunkline shim: pipe: %s", strerror(errno));
  out.len = 0;
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) fail(11, "trunkline shim: fork: %s", strerror(errno));
  if (pid == 0) {
    /* Its own process group, so a deadline kills the plugin and whatever it started; and it dies
       with the shim when the runtime kills the shim. */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) _exit(1);
    int done = fcntl(d[1], F_DUPFD, 3); /* not close-on-exec, and never 0-2 even if those were closed */
    char num[16];
    snprintf(num, sizeof num, "%d", done);
    if (dup2(o[1], 1) < 0 || done < 0 || setenv("TRUNKLINE_DONE_FD", num, 1) != 0) _exit(1);
    /* Node's start copies the ~6 MB snapshot and fills a heap from it: with transparent huge pages
       for malloc's memory (glibc >= 2.35; a no-op elsewhere or with THP off) and the heap grown
       16 MiB at a time, a call takes thousands fewer page faults (VERSION from the macvlan blob:
       ~34 -> ~28 ms of CPU). A value the caller set is left alone. */
    if (!getenv("GLIBC_TUNABLES"))
      setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=16777216", 1);
    execvp(node, argv);
    fail(11, "trunkline agent unavailable and node (%s) cannot be run: %s", node, strerror(errno));
  }
  setpgid(pid, pid);
  close(o[1]);
  close(d[1]);
  int status = relay(pid, o[0], d[0]);
  close(o[0]);
  close(d[0]);
  return status;
}

/* Writes the relayed stdout and exits with the plugin's status. */
__attribute__((noreturn)) static void answer(int status) {
  for (size_t off = 0; off < out.len;) {
    ssize_t w = write(1, out.p + off, out.len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) exit(1);
    off += (size_t)w;
  }
  exit(status);
}

/* Runs the bundled Node plugin under the deadline; stdin is replayed from memory if consumed. */
__attribute__((noreturn)) static void fallback(void) {
  char exe[PATH_MAX], script[PATH_MAX + 300], blob[PATH_MAX + 300], bundled_node[PATH_MAX + 300];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) fail(11, "trunkline shim: cannot locate itself: %s", strerror(errno));
  exe[n] = 0;
  char *slash = strrchr(exe, '/');
  if (slash) *slash = 0;
  const char *dir = getenv("TRUNKLINE_PLUGIN_DIR");
  if (dir && *dir) {
    snprintf(script, sizeof script, "%s/%s.js", dir, type_name);
    snprintf(blob, sizeof blob, "%s/%s.blob", dir, type_name);
  } else {
    snprintf(script, sizeof script, "%s/../plugins/%s.js", exe, type_name);
    snprintf(blob, sizeof blob, "%s/../plugins/%s.blob", exe, type_name);
  }
  if (access(script, R_OK) != 0)
    fail(11, "trunkline agent unavailable and no bundled plugin at %s", script);
  if (stdin_read) {
    int fd = memfd_create("cni-stdin", 0);
    if (fd < 0) fail(11, "trunkline shim: memfd_create: %s", strerror(errno));
    size_t off = 0;
    while (off < in.len) {
      ssize_t w = write(fd, in.p + off, in.len - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) fail(11, "trunkline shim: buffering stdin: %s", strerror(errno));
      off += (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, 0) != 0)
      fail(11, "trunkline shim: replaying stdin: %s", strerror(errno));
    close(fd);
  }
  /* `trunkline install` puts the image's node beside the native parts: hosts rarely have one. */
  snprintf(bundled_node, sizeof bundled_node, "%s/../lib/node", exe);
  const char *node = getenv("TRUNKLINE_NODE");
  int chosen = !node || !*node; /* a blob is only known to fit a node the shim picks itself */
  if (chosen) node = access(bundled_node, X_OK) == 0 ? bundled_node : NULL;
  if (!node) node = access(TRUNKLINE_NODE_PATH, X_OK) == 0 ? TRUNKLINE_NODE_PATH : "node";
  const char *snap = getenv("TRUNKLINE_SNAPSHOT");
  if (chosen && !(snap && strcmp(snap, "0") == 0) && access(blob, R_OK) == 0) {
    char *with_blob[] = {(char *)node, "--snapshot-blob", blob, script, NULL};
    int status = run_node(node, with_blob);
    if (status != SNAPSHOT_REJECTED) answer(status);
    /* Rejected before any JavaScript ran: stdin is unread, or rewound here from memory. */
    if (stdin_read && lseek(0, 0, SEEK_SET) != 0)
      fail(11, "trunkline shim: replaying stdin: %s", strerror(errno));
  }
  char *plain[] = {(char *)node, script, NULL};
  answer(run_node(node, plain));
}

__attribute__((noreturn)) static void timed_out(void) {
  fail(11, "trunkline agent did not answer within %ld ms (type %s)", timeout_ms, type_name);
}

/* A socket in a directory someone other than root could write (or swap) is not the agent's. */
static int trusted_dir(const char *path) {
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash) return 0;
  if (slash == dir) slash[1] = 0;
  else *slash = 0;
  struct stat st;
  if (stat(dir, &st) != 0) return 1; /* absent: connect fails and the plugin runs without the agent */
  if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
    fprintf(stderr, "trunkline shim: not using the agent: %s is not owned by root or is writable by others\n",
            dir);
    return 0;
  }
  return 1;
}

/* 0 connected, 1 agent absent or untrusted (fall back), 2 agent busy (retry). */
static int connect_agent(const char *path, int *out) {
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa.sun_path) return 1;
  if (!trusted_dir(path)) return 1;
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return 1;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != 0) {
      fprintf(stderr, "trunkline shim: not using the agent on %s: it does not run as root\n", path);
      close(fd);
      return 1;
    }
    *out = fd;
    return 0;
  }
  int e = errno;
  close(fd);
  /* A full listen backlog shows up as EAGAIN on a non-blocking unix connect. */
  if (e == EAGAIN || e == EINTR) return 2;
  return 1;
}

/* Sends everything; returns 0, or -1 when the agent closed its end before taking it all. */
static int send_all(int fd, const struct buf *req) {
  size_t off = 0;
  while (off < req->len) {
    ssize_t w = send(fd, req->p + off, req->len - off, MSG_NOSIGNAL);
    if (w > 0) {
      off += (size_t)w;
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd p = {fd, POLLOUT, 0};
      int t = remaining_ms();
      if (t == 0 || poll(&p, 1, t) == 0) timed_out();
      continue;
    }
    return -1;
  }
  return 0;
}

/* Reads until EOF (the agent closes after replying) or until the announced body is complete. */
static void recv_reply(int fd, struct buf *rep) {
  for (;;) {
    buf_reserve(rep, 65536);
    ssize_t r = recv(fd, rep->p + rep->len, rep->cap - rep->len, 0);
    if (r > 0) {
      rep->len += (size_t)r;
      if ((long)rep->len > MAX_REPLY) fail(11, "trunkline agent reply larger than %ld bytes", MAX_REPLY);
      continue;
    }
    if (r == 0) return;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      struct pollfd p = {fd, POLLIN, 0};
      int t = remaining_ms();
      if (t == 0 || poll(&p, 1, t) == 0) timed_out();
      continue;
    }
    return; /* ECONNRESET: whatever arrived is judged below */
  }
}

/* Whether argv[0] names one of the types this shim was built for (TRUNKLINE_TYPES, comma-separated). */
static int known_type(void) {
  size_t n = strlen(type_name);
  for (const char *p = TRUNKLINE_TYPES; *p;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    if (len == n && strncmp(p, type_name, n) == 0) return 1;
    if (!comma) break;
    p = comma + 1;
  }
  return 0;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

int main(int argc, char **argv) {
  (void)argc;
  const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;
  type_name = base ? base + 1 : (argv[0] ? argv[0] : "");
  if (!*type_name || strchr(type_name, '/')) fail(7, "trunkline shim: cannot tell the plugin type");

  const char *cmd = getenv("CNI_COMMAND");
  if (cmd && strcmp(cmd, "VERSION") == 0 && *TRUNKLINE_VERSION_JSON && known_type()) {
    printf("%s\n", TRUNKLINE_VERSION_JSON);
    fflush(stdout);
    return 0;
  }

  timeout_ms = DEFAULT_TIMEOUT_MS;
  const char *t = getenv("TRUNKLINE_SHIM_TIMEOUT_MS");
  if (t && *t) {
    char *end;
    errno = 0;
    long v = strtol(t, &end, 10);
    if (errno || *end || v < 1 || v > MAX_TIMEOUT_MS)
      fail(4, "TRUNKLINE_SHIM_TIMEOUT_MS: expected an integer in 1..%ld (milliseconds), found %.40s",
           MAX_TIMEOUT_MS, t);
    timeout_ms = v;
  }
  deadline = now_ms() + timeout_ms;

  const char *no = getenv("TRUNKLINE_NO_AGENT");
  if (no && *no && strcmp(no, "0") != 0) fallback();
  const char *path = getenv("TRUNKLINE_AGENT_SOCK");
  if (!path || !*path) path = DEFAULT_SOCK;

  struct buf req = {0}, rep = {0};
  int no_reply = 0;
  for (int attempt = 0;; attempt++) {
    int fd = -1;
    int c = connect_agent(path, &fd);
    if (c == 1) fallback(); /* stdin untouched unless a previous attempt read it */
    if (c == 0) {
      read_stdin();
      if (req.len == 0) {
        const char *cmd = getenv("CNI_COMMAND");
        wire_request(&req, type_name, cmd ? cmd : "", environ, in.p, in.len);
      }
      int sent = send_all(fd, &req);
      rep.len = 0;
      recv_reply(fd, &rep);
      close(fd);
      struct reply r;
      switch (wire_parse_reply(rep.p, rep.len, &r)) {
        case REPLY_NONE:
          /* No reply. If the request was not fully taken the agent never ran it: safe to retry. */
          if (sent == 0 || ++no_reply >= MAX_NO_REPLY)
            fail(11, "trunkline agent closed the connection without a reply (type %s)", type_name);
          break;
        case REPLY_OVERSIZED:
          fail(11, "trunkline agent sent an oversized reply header");
        case REPLY_FALLBACK:
          fallback();
        case REPLY_CUT_SHORT:
          fail(11, "trunkline agent reply was cut short (type %s)", type_name);
        case REPLY_OK: {
          size_t off = 0;
          while (off < r.body_len) {
            ssize_t w = write(1, r.body + off, r.body_len - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return 1;
            off += (size_t)w;
          }
          return (int)r.exit_code;
        }
        case REPLY_BUSY:
          break;
        case REPLY_UNKNOWN:
          fail(11, "trunkline agent sent an unknown reply status");
      }
    }
    /* Busy: back off with jitter (5 ms doubling to 200 ms) until the deadline. */
    long wait = 5L << (attempt < 6 ? attempt : 6);
    if (wait > 200) wait = 200;
    wait = wait / 2 + (long)((unsigned)getpid() * 2654435761u % (unsigned)(wait / 2 + 1));
    if (remaining_ms() <= wait) timed_out();
    sleep_ms(wait);
  }
}
