/*
 * The netlink addon's receive path without N-API or sockets, so that a fuzz harness
 * (test/native/fuzz/) runs the same code on arbitrary datagrams: the replies to one request are
 * picked out of each received datagram by sequence number and appended to an accumulator until the
 * ack, the error, or the end of a dump.
 */
#ifndef TRUNKLINE_NLRECV_H
#define TRUNKLINE_NLRECV_H
#include <stddef.h>
#include <stdint.h>

struct nl_acc {
  char *p;
  size_t len, cap;
  uint32_t seq; /* the request's sequence number */
  int acked;    /* the request asked for an ack (NLM_F_ACK) */
  int done;     /* the last reply has arrived */
};

/* Takes one datagram of `len` bytes. Returns 0, or ENOMEM (the accumulator is left as it was). */
int nl_acc_take(struct nl_acc *a, const char *dgram, size_t len);

void nl_acc_free(struct nl_acc *a);
#endif
