/* The netlink addon's receive path (see nlrecv.h). */
#include "nlrecv.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>

int nl_acc_take(struct nl_acc *a, const char *dgram, size_t len) {
  size_t off = 0;
  /* Walks by offset, never past `len`: a message whose length or aligned length overruns the
     datagram ends the walk (the kernel never sends one; a bad one must not read past the buffer). */
  while (len - off >= sizeof(struct nlmsghdr)) {
    struct nlmsghdr h;
    memcpy(&h, dgram + off, sizeof h); /* datagram bytes carry no alignment guarantee */
    if (h.nlmsg_len < sizeof h || h.nlmsg_len > len - off) break;
    size_t step = NLMSG_ALIGN(h.nlmsg_len);
    /* A last message without its alignment padding: its bytes are copied, and the padding is added
       here, so the accumulator stays a walk of aligned messages when a later datagram follows. */
    size_t take = step > len - off ? h.nlmsg_len : step;
    if (h.nlmsg_seq == a->seq) { /* others: late answers to an abandoned request */
      if (a->len + step > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8192;
        while (cap < a->len + step) cap *= 2;
        char *p = realloc(a->p, cap);
        if (!p) return ENOMEM;
        a->p = p;
        a->cap = cap;
      }
      memcpy(a->p + a->len, dgram + off, take);
      memset(a->p + a->len + take, 0, step - take);
      a->len += step;
      if (h.nlmsg_type == NLMSG_ERROR || h.nlmsg_type == NLMSG_DONE) a->done = 1;
      if (!a->acked && !(h.nlmsg_flags & NLM_F_MULTI)) a->done = 1; /* the one answer to an un-acked get */
    }
    if (step >= len - off) break;
    off += step;
  }
  return 0;
}

void nl_acc_free(struct nl_acc *a) {
  free(a->p);
  a->p = NULL;
  a->len = a->cap = 0;
}
