/*
 * Native half of the netlink kernel backend: the few things JavaScript cannot do itself. It opens
 * NETLINK_ROUTE sockets inside a target network namespace, sends one request and collects the
 * replies with that request's sequence number, and reads/writes /proc/sys/net files as seen from a
 * namespace. All rtnetlink message encoding and decoding lives in TypeScript (rtnl.ts).
 *
 * Everything that can block runs on the libuv thread pool, never on the agent's main thread: one
 * slow namespace or dump must not hold up other pods. Namespace entry is setns() on that pool
 * thread, then setns() back, inside one job (setns is per thread; no other thread is affected). If
 * returning to the original namespace ever failed the process aborts: a pool thread left inside a
 * pod's namespace would be far worse than a restart. Waiting for replies is bounded per call.
 *
 * Exports (each returns a promise): socket(nsPath|null) -> fd;
 *          transact(fd, Buffer, timeoutMs) -> Buffer (every reply to the request);
 *          sysctl(nsPath|null, absPath, value|null) -> string|undefined;
 *          and synchronously close(fd), peerUid(fd) -> uid at the other end of a unix socket.
 * Errors are thrown with `code` set to the errno name (ENOENT, ENODEV, …).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <node_api.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "nlrecv.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define RECV_BUF (64 * 1024)
#define NSFS_MAGIC 0x6e736673

static const char *errno_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case ENODEV: return "ENODEV";
    case EEXIST: return "EEXIST";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case ENOTDIR: return "ENOTDIR";
    case EAGAIN: return "EAGAIN";
    case ENOBUFS: return "ENOBUFS";
    case EMSGSIZE: return "EMSGSIZE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EBADF: return "EBADF";
    case ENOMEM: return "ENOMEM";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ELOOP: return "ELOOP";
    default: return "EIO";
  }
}

static napi_value throw_errno(napi_env env, int e, const char *what) {
  char msg[4096 + 128];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_throw_error(env, errno_name(e), msg);
  return NULL;
}

/* Reads an optional string argument (null/undefined -> empty). Returns 0 on success. */
static int get_string(napi_env env, napi_value v, char *out, size_t n) {
  napi_valuetype t;
  out[0] = 0;
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) return 0;
  if (t != napi_string) return -1;
  size_t len;
  if (napi_get_value_string_utf8(env, v, out, n, &len) != napi_ok || len >= n - 1) return -1;
  return 0;
}

struct nsguard {
  int self; /* this thread's namespace, to return to; -1 when no switch happened */
};

/* Enters ns (no-op for ""). Returns 0, or an errno with nothing changed. */
static int enter(const char *ns, struct nsguard *g) {
  g->self = -1;
  if (!ns[0]) return 0;
  int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return errno;
  /* The path is looked at through an O_PATH descriptor first (no open of a FIFO or a device, which
     could block or have side effects) and opened for setns only when it is a namespace file. */
  int probe = open(ns, O_PATH | O_CLOEXEC);
  if (probe < 0) {
    int e = errno;
    close(self);
    return e;
  }
  struct statfs sf;
  if (fstatfs(probe, &sf) != 0 || sf.f_type != NSFS_MAGIC) {
    close(probe);
    close(self);
    return EINVAL;
  }
  char via[64];
  snprintf(via, sizeof via, "/proc/self/fd/%d", probe);
  int target = open(via, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  close(probe);
  if (target < 0) {
    int e = errno;
    close(self);
    return e;
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    int e = errno;
    close(target);
    close(self);
    return e;
  }
  close(target);
  g->self = self;
  return 0;
}

static void leave(struct nsguard *g) {
  if (g->self < 0) return;
  if (setns(g->self, CLONE_NEWNET) != 0) {
    fprintf(stderr, "trunkline netlink: cannot return to the original network namespace: %s\n",
            strerror(errno));
    abort();
  }
  close(g->self);
  g->self = -1;
}

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum job_kind { JOB_SOCKET, JOB_TRANSACT, JOB_ONESHOT, JOB_SYSCTL };

/* One call on the thread pool: inputs, then the result or an errno with the text it is about. */
struct job {
  napi_async_work work;
  napi_deferred deferred;
  enum job_kind kind;
  int fd;
  char *req;
  size_t reqlen;
  int timeout_ms;
  int writing;
  char ns[4096], path[4096], value[4096];
  char *out;
  size_t outlen;
  int err;
  int at_socket; /* a JOB_ONESHOT that failed before its request: the namespace or the socket */
  char what[4096];
};

static void fail_job(struct job *j, int e, const char *what) {
  j->err = e;
  snprintf(j->what, sizeof j->what, "%s", what);
}

static void do_socket(struct job *j) {
  struct nsguard g;
  int e = enter(j->ns, &g);
  if (e) {
    fail_job(j, e, j->ns);
    return;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  e = errno;
  leave(&g);
  if (fd < 0) {
    fail_job(j, e, "socket(AF_NETLINK)");
    return;
  }
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    e = errno;
    close(fd);
    fail_job(j, e, "bind(AF_NETLINK)");
    return;
  }
  j->fd = fd;
}

/*
 * Sends one request and collects every reply carrying its sequence number, until the ack/error or
 * the end of a dump, for at most timeout_ms of waiting. (The kernel handles a request inside the
 * send; that time cannot be cut short, only spent off the main thread.)
 */
static int do_transact(int fd, const char *req, size_t reqlen, int timeout_ms, char **out, size_t *outlen) {
  const struct nlmsghdr *rh = (const struct nlmsghdr *)req;
  long long deadline = mono_ms() + timeout_ms;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t s;
  do {
    s = sendto(fd, req, reqlen, 0, (struct sockaddr *)&kernel, sizeof kernel);
  } while (s < 0 && errno == EINTR);
  if (s < 0) return errno;

  /* Dump replies come in skbs of at most 32 KiB (the kernel caps its dump chunk size). */
  char *buf = malloc(RECV_BUF);
  if (!buf) return ENOMEM;
  struct nl_acc acc = {.seq = rh->nlmsg_seq, .acked = (rh->nlmsg_flags & NLM_F_ACK) != 0};
  int err = 0;
  while (!acc.done) {
    long long left = deadline - mono_ms();
    struct pollfd p = {fd, POLLIN, 0};
    int ready = left > 0 ? poll(&p, 1, (int)left) : 0;
    if (ready == 0) {
      err = ETIMEDOUT;
      break;
    }
    if (ready < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    struct iovec iov = {buf, RECV_BUF};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t r = recvmsg(fd, &mh, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      err = errno;
      break;
    }
    if (mh.msg_flags & MSG_TRUNC) {
      err = EMSGSIZE;
      break;
    }
    if ((err = nl_acc_take(&acc, buf, (size_t)r)) != 0) break;
  }
  free(buf);
  if (err) {
    nl_acc_free(&acc);
    return err;
  }
  *out = acc.p;
  *outlen = acc.len;
  return 0;
}

static void do_sysctl(struct job *j) {
  struct nsguard g;
  int e = enter(j->ns, &g);
  if (e) {
    fail_job(j, e, j->ns);
    return;
  }
  /* Opened while inside the namespace: /proc/sys/net resolves against the opener's namespace. */
  int fd = open(j->path, (j->writing ? O_WRONLY | O_TRUNC : O_RDONLY) | O_CLOEXEC);
  e = errno;
  leave(&g);
  if (fd < 0) {
    fail_job(j, e, j->path);
    return;
  }
  ssize_t n;
  if (j->writing) {
    size_t len = strlen(j->value);
    do {
      n = write(fd, j->value, len);
    } while (n < 0 && errno == EINTR);
  } else {
    j->out = malloc(4096);
    if (!j->out) {
      close(fd);
      fail_job(j, ENOMEM, j->path);
      return;
    }
    do {
      n = read(fd, j->out, 4096);
    } while (n < 0 && errno == EINTR);
  }
  e = errno;
  close(fd);
  if (n < 0) {
    fail_job(j, e, j->path);
    return;
  }
  j->outlen = j->writing ? 0 : (size_t)n;
}

static void job_execute(napi_env env, void *data) {
  (void)env;
  struct job *j = data;
  switch (j->kind) {
    case JOB_SOCKET:
      do_socket(j);
      break;
    case JOB_TRANSACT: {
      int e = do_transact(j->fd, j->req, j->reqlen, j->timeout_ms, &j->out, &j->outlen);
      if (e) fail_job(j, e, "netlink request");
      break;
    }
    case JOB_ONESHOT: {
      /* Socket, request and close in one job: the request is under way without another round
         trip through the main thread, which may meanwhile be busy with other work of the call. */
      do_socket(j);
      if (j->err) {
        j->at_socket = 1;
        break;
      }
      int e = do_transact(j->fd, j->req, j->reqlen, j->timeout_ms, &j->out, &j->outlen);
      close(j->fd);
      j->fd = -1;
      if (e) fail_job(j, e, "netlink request");
      break;
    }
    case JOB_SYSCTL:
      do_sysctl(j);
      break;
  }
}

/* The rejection: Error with code = errno name; `syscall: 'socket'` when the namespace or socket failed. */
static napi_value job_error(napi_env env, int e, const char *what, int at_socket) {
  char msg[4096 + 128];
  napi_value code, text, v;
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &v);
  if (at_socket) {
    napi_value sys;
    napi_create_string_utf8(env, "socket", NAPI_AUTO_LENGTH, &sys);
    napi_set_named_property(env, v, "syscall", sys);
  }
  return v;
}

static void job_complete(napi_env env, napi_status status, void *data) {
  struct job *j = data;
  napi_value v = NULL;
  if (status != napi_ok && !j->err) fail_job(j, EIO, "netlink call");
  if (!j->err) {
    void *d;
    napi_status st = napi_ok;
    switch (j->kind) {
      case JOB_SOCKET:
        st = napi_create_int32(env, j->fd, &v);
        break;
      case JOB_TRANSACT:
      case JOB_ONESHOT:
        st = napi_create_buffer_copy(env, j->outlen, j->out ? j->out : "", &d, &v);
        break;
      case JOB_SYSCTL:
        st = j->writing ? napi_get_undefined(env, &v) : napi_create_string_utf8(env, j->out, j->outlen, &v);
        break;
    }
    if (st != napi_ok) fail_job(j, ENOMEM, "netlink result");
  }
  if (j->err) napi_reject_deferred(env, j->deferred, job_error(env, j->err, j->what, j->at_socket));
  else napi_resolve_deferred(env, j->deferred, v);
  napi_delete_async_work(env, j->work);
  free(j->out);
  free(j->req);
  free(j);
}

static napi_value queue(napi_env env, struct job *j) {
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "trunkline-netlink", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, job_execute, job_complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

static napi_value js_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct job *j = calloc(1, sizeof *j);
  if (!j) return throw_errno(env, ENOMEM, "netlink socket");
  if (argc < 1 || get_string(env, argv[0], j->ns, sizeof j->ns) != 0) {
    free(j);
    napi_throw_type_error(env, NULL, "socket(nsPath: string | null)");
    return NULL;
  }
  j->kind = JOB_SOCKET;
  j->fd = -1;
  return queue(env, j);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc >= 1) napi_get_value_int32(env, argv[0], &fd);
  if (fd >= 0) close(fd);
  return NULL;
}

static napi_value js_transact(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t fd, timeout_ms;
  void *req;
  size_t reqlen;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_buffer_info(env, argv[1], &req, &reqlen) != napi_ok || reqlen < sizeof(struct nlmsghdr) ||
      napi_get_value_int32(env, argv[2], &timeout_ms) != napi_ok || timeout_ms < 1) {
    napi_throw_type_error(env, NULL, "transact(fd: number, request: Buffer, timeoutMs: number >= 1)");
    return NULL;
  }
  struct job *j = calloc(1, sizeof *j);
  if (!j || !(j->req = malloc(reqlen))) {
    free(j);
    return throw_errno(env, ENOMEM, "netlink request");
  }
  memcpy(j->req, req, reqlen); /* the Buffer may move or be collected before the worker runs */
  j->kind = JOB_TRANSACT;
  j->reqlen = reqlen;
  j->fd = fd;
  j->timeout_ms = timeout_ms;
  return queue(env, j);
}

static napi_value js_transact_in(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t timeout_ms;
  void *req;
  size_t reqlen;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct job *j = calloc(1, sizeof *j);
  if (!j) return throw_errno(env, ENOMEM, "netlink request");
  if (argc < 3 || get_string(env, argv[0], j->ns, sizeof j->ns) != 0 ||
      napi_get_buffer_info(env, argv[1], &req, &reqlen) != napi_ok || reqlen < sizeof(struct nlmsghdr) ||
      napi_get_value_int32(env, argv[2], &timeout_ms) != napi_ok || timeout_ms < 1) {
    free(j);
    napi_throw_type_error(env, NULL, "transactIn(nsPath | null, request: Buffer, timeoutMs: number >= 1)");
    return NULL;
  }
  if (!(j->req = malloc(reqlen))) {
    free(j);
    return throw_errno(env, ENOMEM, "netlink request");
  }
  memcpy(j->req, req, reqlen);
  j->kind = JOB_ONESHOT;
  j->reqlen = reqlen;
  j->fd = -1;
  j->timeout_ms = timeout_ms;
  return queue(env, j);
}

static napi_value js_sysctl(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_valuetype vt = napi_undefined;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct job *j = calloc(1, sizeof *j);
  if (!j) return throw_errno(env, ENOMEM, "sysctl");
  if (argc < 2 || get_string(env, argv[0], j->ns, sizeof j->ns) != 0 ||
      get_string(env, argv[1], j->path, sizeof j->path) != 0 || strncmp(j->path, "/proc/sys/net/", 14) != 0 ||
      strstr(j->path, "/..")) {
    free(j);
    napi_throw_type_error(env, NULL, "sysctl(nsPath | null, '/proc/sys/net/…', value?: string)");
    return NULL;
  }
  if (argc >= 3) napi_typeof(env, argv[2], &vt);
  j->writing = vt == napi_string;
  if (j->writing && get_string(env, argv[2], j->value, sizeof j->value) != 0) {
    free(j);
    napi_throw_type_error(env, NULL, "sysctl value too long");
    return NULL;
  }
  j->kind = JOB_SYSCTL;
  return queue(env, j);
}

static napi_value js_peer_uid(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "peerUid(fd: number)");
    return NULL;
  }
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, errno, "SO_PEERCRED");
  napi_value out;
  napi_create_uint32(env, cred.uid, &out);
  return out;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"socket", NULL, js_socket, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"transact", NULL, js_transact, NULL, NULL, NULL, napi_default, NULL},
      {"transactIn", NULL, js_transact_in, NULL, NULL, NULL, napi_default, NULL},
      {"sysctl", NULL, js_sysctl, NULL, NULL, NULL, napi_default, NULL},
      {"peerUid", NULL, js_peer_uid, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
