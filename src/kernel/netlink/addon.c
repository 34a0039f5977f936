/*
 * Native half of the netlink kernel backend: the few things JavaScript cannot do itself. It opens
 * NETLINK_ROUTE sockets inside a target network namespace, sends one request and collects the
 * replies with that request's sequence number, and reads/writes /proc/sys/net files as seen from a
 * namespace. All rtnetlink message encoding and decoding lives in TypeScript (rtnl.ts).
 *
 * Namespace entry is setns() on the calling (main) thread, then setns() back, inside one synchronous
 * call: no JavaScript runs in between, and other threads are not affected (setns is per thread). If
 * returning to the original namespace ever failed the process aborts: carrying on inside a pod's
 * namespace would be far worse than a restart.
 *
 * Exports: socket(nsPath|null) -> fd; close(fd); transact(fd, Buffer) -> Buffer (synchronous);
 *          transactAsync(fd, Buffer) -> Promise<Buffer> (on the libuv thread pool);
 *          sysctl(nsPath|null, absPath, value|null) -> string|undefined;
 *          peerUid(fd) -> uid of the process at the other end of a unix socket (SO_PEERCRED).
 * Errors are thrown with `code` set to the errno name (ENOENT, ENODEV, …).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <node_api.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
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

static napi_value js_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char ns[4096];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || get_string(env, argv[0], ns, sizeof ns) != 0) {
    napi_throw_type_error(env, NULL, "socket(nsPath: string | null)");
    return NULL;
  }
  struct nsguard g;
  int e = enter(ns, &g);
  if (e) return throw_errno(env, e, ns);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  e = errno;
  leave(&g);
  if (fd < 0) return throw_errno(env, e, "socket(AF_NETLINK)");
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    e = errno;
    close(fd);
    return throw_errno(env, e, "bind(AF_NETLINK)");
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
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

/*
 * Sends one request and collects every reply carrying its sequence number, until the ack/error or
 * the end of a dump. No N-API calls: it also runs on a worker thread. Returns 0 or an errno.
 */
static int do_transact(int fd, const char *req, size_t reqlen, char **out, size_t *outlen) {
  const struct nlmsghdr *rh = (const struct nlmsghdr *)req;
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
    struct iovec iov = {buf, RECV_BUF};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t r = recvmsg(fd, &mh, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      err = errno == EAGAIN ? ETIMEDOUT : errno;
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

static int args_fd_buffer(napi_env env, napi_callback_info info, int32_t *fd, void **req, size_t *reqlen) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_int32(env, argv[0], fd) != napi_ok ||
      napi_get_buffer_info(env, argv[1], req, reqlen) != napi_ok || *reqlen < sizeof(struct nlmsghdr)) {
    napi_throw_type_error(env, NULL, "transact(fd: number, request: Buffer)");
    return -1;
  }
  return 0;
}

static napi_value js_transact(napi_env env, napi_callback_info info) {
  int32_t fd;
  void *req;
  size_t reqlen;
  if (args_fd_buffer(env, info, &fd, &req, &reqlen) != 0) return NULL;
  char *acc = NULL;
  size_t acclen = 0;
  int e = do_transact(fd, req, reqlen, &acc, &acclen);
  if (e) return throw_errno(env, e, "netlink request");
  napi_value out;
  void *data;
  napi_status st = napi_create_buffer_copy(env, acclen, acc ? acc : "", &data, &out);
  free(acc);
  if (st != napi_ok) return throw_errno(env, ENOMEM, "netlink result");
  return out;
}

/*
 * The same on the libuv thread pool, returning a promise: some requests block inside the kernel for
 * a while (deleting a link waits for an RCU grace period, ~10-20 ms), and the main thread must keep
 * serving other pods meanwhile. The socket already lives in its namespace, so no setns is needed.
 */
struct job {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  char *req;
  size_t reqlen;
  char *out;
  size_t outlen;
  int err;
};

static void job_execute(napi_env env, void *data) {
  (void)env;
  struct job *j = data;
  j->err = do_transact(j->fd, j->req, j->reqlen, &j->out, &j->outlen);
}

static void job_complete(napi_env env, napi_status status, void *data) {
  struct job *j = data;
  napi_value v;
  if (status != napi_ok && !j->err) j->err = EIO;
  if (j->err) {
    char msg[256];
    napi_value code, text;
    snprintf(msg, sizeof msg, "netlink request: %s", strerror(j->err));
    napi_create_string_utf8(env, errno_name(j->err), NAPI_AUTO_LENGTH, &code);
    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
    napi_create_error(env, code, text, &v);
    napi_reject_deferred(env, j->deferred, v);
  } else {
    void *d;
    if (napi_create_buffer_copy(env, j->outlen, j->out ? j->out : "", &d, &v) == napi_ok)
      napi_resolve_deferred(env, j->deferred, v);
    else {
      napi_value code, text;
      napi_create_string_utf8(env, "ENOMEM", NAPI_AUTO_LENGTH, &code);
      napi_create_string_utf8(env, "netlink result", NAPI_AUTO_LENGTH, &text);
      napi_create_error(env, code, text, &v);
      napi_reject_deferred(env, j->deferred, v);
    }
  }
  napi_delete_async_work(env, j->work);
  free(j->out);
  free(j->req);
  free(j);
}

static napi_value js_transact_async(napi_env env, napi_callback_info info) {
  int32_t fd;
  void *req;
  size_t reqlen;
  if (args_fd_buffer(env, info, &fd, &req, &reqlen) != 0) return NULL;
  struct job *j = calloc(1, sizeof *j);
  if (!j || !(j->req = malloc(reqlen))) {
    free(j);
    return throw_errno(env, ENOMEM, "netlink request");
  }
  memcpy(j->req, req, reqlen); /* the Buffer may move or be collected before the worker runs */
  j->reqlen = reqlen;
  j->fd = fd;
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "trunkline-netlink", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, job_execute, job_complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

static napi_value js_sysctl(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char ns[4096], path[4096], value[4096];
  napi_valuetype vt = napi_undefined;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || get_string(env, argv[0], ns, sizeof ns) != 0 ||
      get_string(env, argv[1], path, sizeof path) != 0 || strncmp(path, "/proc/sys/net/", 14) != 0 ||
      strstr(path, "/..")) {
    napi_throw_type_error(env, NULL, "sysctl(nsPath | null, '/proc/sys/net/…', value?: string)");
    return NULL;
  }
  if (argc >= 3) napi_typeof(env, argv[2], &vt);
  int writing = vt == napi_string;
  if (writing && get_string(env, argv[2], value, sizeof value) != 0) {
    napi_throw_type_error(env, NULL, "sysctl value too long");
    return NULL;
  }
  struct nsguard g;
  int e = enter(ns, &g);
  if (e) return throw_errno(env, e, ns);
  /* Opened while inside the namespace: /proc/sys/net resolves against the opener's namespace. */
  int fd = open(path, (writing ? O_WRONLY | O_TRUNC : O_RDONLY) | O_CLOEXEC);
  e = errno;
  leave(&g);
  if (fd < 0) return throw_errno(env, e, path);
  char rbuf[4096];
  ssize_t n;
  if (writing) {
    size_t len = strlen(value);
    do {
      n = write(fd, value, len);
    } while (n < 0 && errno == EINTR);
  } else {
    do {
      n = read(fd, rbuf, sizeof rbuf - 1);
    } while (n < 0 && errno == EINTR);
  }
  e = errno;
  close(fd);
  if (n < 0) return throw_errno(env, e, path);
  if (writing) return NULL;
  rbuf[n] = 0;
  napi_value out;
  napi_create_string_utf8(env, rbuf, (size_t)n, &out);
  return out;
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
      {"transactAsync", NULL, js_transact_async, NULL, NULL, NULL, napi_default, NULL},
      {"sysctl", NULL, js_sysctl, NULL, NULL, NULL, napi_default, NULL},
      {"peerUid", NULL, js_peer_uid, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
