/*
 * libFuzzer target: the shim's JSON escaping and request line (src/shim/wire.c). The input is split
 * at NUL bytes into type, command, and CNI_ environment entries; what follows the last NUL is the
 * body. Beyond the sanitizers it checks that every escaped string is UTF-8 and decodes back to its
 * exact bytes (each byte outside well-formed UTF-8 as U+FFFD), that the header is one line, and that
 * the body follows it unchanged with its length announced.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/shim/wire.h"
#include "utf8.h"

void wire_out_of_memory(void) { abort(); }

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Decodes the JSON string at s (the escapes wire.c writes); returns the bytes past it, or NULL. */
static const char *decode(const char *s, const char *end, char *out, size_t *outlen) {
  size_t n = 0;
  if (s >= end || *s++ != '"') return NULL;
  while (s < end && *s != '"') {
    unsigned char c = (unsigned char)*s++;
    if (c < 0x20) return NULL; /* a raw control character is not JSON */
    if (c != '\\') {
      out[n++] = (char)c;
      continue;
    }
    if (s >= end) return NULL;
    char e = *s++;
    if (e == '"' || e == '\\') {
      out[n++] = e;
    } else if (e == 'u' && end - s >= 4 && memcmp(s, "fffd", 4) == 0) {
      memcpy(out + n, "\xef\xbf\xbd", 3);
      n += 3;
      s += 4;
    } else if (e == 'u') {
      if (end - s < 4 || s[0] != '0' || s[1] != '0' || hexval(s[2]) < 0 || hexval(s[3]) < 0) return NULL;
      out[n++] = (char)(hexval(s[2]) << 4 | hexval(s[3]));
      s += 4;
    } else {
      return NULL;
    }
  }
  if (s >= end) return NULL;
  *outlen = n;
  return s + 1;
}

static void round_trip(const char *s, size_t n) {
  struct buf b = {0};
  buf_put_json_string(&b, s, n);
  if (!oracle_valid((const unsigned char *)b.p, b.len)) abort();
  unsigned char *want = malloc(3 * n + 1);
  size_t wlen = oracle_clean((const unsigned char *)s, n, want);
  char *dec = malloc(3 * n + 1);
  size_t dlen = 0;
  const char *rest = decode(b.p, b.p + b.len, dec, &dlen);
  if (!rest || rest != b.p + b.len || dlen != wlen || memcmp(dec, want, wlen) != 0) abort();
  free(want);
  free(dec);
  free(b.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  round_trip((const char *)data, size);

  /* type NUL command NUL env... NUL body */
  char *copy = malloc(size + 1);
  memcpy(copy, data, size);
  copy[size] = 0;
  char *parts[34];
  size_t nparts = 0, off = 0;
  while (nparts < 34) {
    char *nul = memchr(copy + off, 0, size - off);
    if (!nul) break;
    parts[nparts++] = copy + off;
    off = (size_t)(nul - copy) + 1;
    if (off >= size) break;
  }
  const char *body = off < size ? copy + off : "";
  size_t body_len = off < size ? size - off : 0;
  char *envp[33];
  size_t ne = 0;
  for (size_t i = 2; i < nparts; i++) envp[ne++] = parts[i];
  envp[ne] = NULL;
  struct buf req = {0};
  wire_request(&req, nparts > 0 ? parts[0] : "", nparts > 1 ? parts[1] : "", envp, body, body_len);

  char *nl = memchr(req.p, '\n', req.len);
  if (!nl) abort();
  size_t head = (size_t)(nl - req.p) + 1;
  if (req.len - head != body_len || memcmp(nl + 1, body, body_len) != 0) abort();
  char want[48];
  int w = snprintf(want, sizeof want, ",\"stdinLength\":%zu}", body_len);
  if (head < (size_t)w + 1 || memcmp(nl - w, want, (size_t)w) != 0) abort();
  free(req.p);
  free(copy);
  return 0;
}
