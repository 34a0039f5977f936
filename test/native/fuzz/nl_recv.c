/*
 * libFuzzer target: the netlink addon's receive path (src/kernel/netlink/nlrecv.c). The input is a
 * request's sequence number and ack flag, then datagrams, each prefixed by a 16-bit length. Checks
 * beyond the sanitizers: the accumulator only ever holds messages carrying the sequence number, walked
 * by aligned length, and never more bytes than were received plus the alignment padding a message
 * cut at the end of its datagram gets (under 4 per datagram).
 */
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/kernel/netlink/nlrecv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 5) return 0;
  struct nl_acc a = {0};
  memcpy(&a.seq, data, 4);
  a.acked = data[4] & 1;
  size_t off = 5, total = 0, dgrams = 0;
  while (off + 2 <= size && !a.done) {
    size_t n = (size_t)data[off] | (size_t)data[off + 1] << 8;
    off += 2;
    if (n > size - off) n = size - off;
    /* A copy of exactly n bytes, so ASan sees any read past the datagram. */
    char *dgram = malloc(n ? n : 1);
    memcpy(dgram, data + off, n);
    off += n;
    total += n;
    dgrams++;
    if (nl_acc_take(&a, dgram, n) != 0) abort();
    free(dgram);
  }
  if (a.len > total + 3 * dgrams) abort();
  for (size_t o = 0; o + sizeof(struct nlmsghdr) <= a.len;) {
    struct nlmsghdr h;
    memcpy(&h, a.p + o, sizeof h);
    if (h.nlmsg_seq != a.seq || h.nlmsg_len < sizeof h) abort();
    o += NLMSG_ALIGN(h.nlmsg_len);
  }
  nl_acc_free(&a);
  return 0;
}
