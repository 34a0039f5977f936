/* The shim's wire format and text handling (see wire.h). Only libc; no I/O. */
#define _GNU_SOURCE
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_reserve(struct buf *b, size_t more) {
  if (b->len + more <= b->cap) return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + more) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) wire_out_of_memory();
  b->p = p;
  b->cap = cap;
}

void buf_put(struct buf *b, const char *s, size_t n) {
  if (n == 0) return; /* memcpy from a NULL source is undefined even for 0 bytes */
  buf_reserve(b, n);
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

void buf_puts(struct buf *b, const char *s) { buf_put(b, s, strlen(s)); }

/*
 * Length of the well-formed UTF-8 sequence at s (1 to 4 bytes), or 0 when the bytes there are not one:
 * a stray continuation byte, an overlong form, a surrogate, a code point past U+10FFFF, or a sequence
 * cut short. Environment values and paths are bytes, not text; JSON must be UTF-8.
 */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0], lo = 0x80, hi = 0xBF;
  size_t len;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0; /* overlong below U+0800 */
    if (c == 0xED) hi = 0x9F; /* surrogates U+D800..U+DFFF */
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90; /* overlong below U+10000 */
    if (c == 0xF4) hi = 0x8F; /* past U+10FFFF */
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return len;
}

/* Every byte that is not part of well-formed UTF-8 becomes U+FFFD (one per byte): JSON text must be
   UTF-8, and the agent's decoder replaced such bytes with U+FFFD anyway. */
void buf_put_json_string(struct buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  buf_puts(b, "\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = u[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      buf_put(b, e, 2);
    } else if (c < 0x20) {
      char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      buf_put(b, e, 6);
    } else if (c < 0x80) {
      buf_put(b, (const char *)&c, 1);
    } else {
      size_t k = utf8_len(u + i, n - i);
      if (k == 0) {
        buf_puts(b, "\\ufffd");
      } else {
        buf_put(b, s + i, k);
        i += k - 1;
      }
    }
  }
  buf_puts(b, "\"");
}

void wire_request(struct buf *req, const char *type, const char *command, char *const *envp, const char *body,
                  size_t body_len) {
  char num[32];
  buf_puts(req, "{\"version\":1,\"type\":");
  buf_put_json_string(req, type, strlen(type));
  buf_puts(req, ",\"command\":");
  buf_put_json_string(req, command, strlen(command));
  buf_puts(req, ",\"env\":{");
  int first = 1;
  for (char *const *e = envp; *e; e++) {
    if (strncmp(*e, "CNI_", 4) != 0) continue;
    const char *eq = strchr(*e, '=');
    if (!eq) continue;
    if (!first) buf_puts(req, ",");
    first = 0;
    buf_put_json_string(req, *e, (size_t)(eq - *e));
    buf_puts(req, ":");
    buf_put_json_string(req, eq + 1, strlen(eq + 1));
  }
  snprintf(num, sizeof num, "%zu", body_len);
  buf_puts(req, "},\"stdinLength\":");
  buf_puts(req, num);
  buf_puts(req, "}\n");
  buf_put(req, body, body_len);
}

static long header_number(const char *h, const char *key, long dflt) {
  const char *k = strstr(h, key);
  if (!k) return dflt;
  k += strlen(key);
  while (*k == ' ') k++;
  char *end;
  long v = strtol(k, &end, 10);
  return end == k ? dflt : v;
}

enum reply_kind wire_parse_reply(char *p, size_t len, struct reply *out) {
  char *nl = len ? memchr(p, '\n', len) : NULL;
  if (!nl) return REPLY_NONE;
  *nl = 0;
  if ((long)(nl - p) > MAX_HEADER) return REPLY_OVERSIZED;
  const char *h = p;
  if (header_number(h, "\"version\":", 0) != PROTOCOL_VERSION || strstr(h, "\"status\":\"fallback\""))
    return REPLY_FALLBACK;
  if (strstr(h, "\"status\":\"ok\"")) {
    long n = header_number(h, "\"stdoutLength\":", -1);
    size_t have = len - (size_t)(nl + 1 - p);
    if (n < 0 || (size_t)n > have) return REPLY_CUT_SHORT;
    out->exit_code = header_number(h, "\"exitCode\":", 1);
    out->body = nl + 1;
    out->body_len = (size_t)n;
    return REPLY_OK;
  }
  return strstr(h, "\"status\":\"busy\"") ? REPLY_BUSY : REPLY_UNKNOWN;
}

void wire_sniff_version(const char *conf, size_t len, char *out, size_t n) {
  snprintf(out, n, "1.1.0");
  if (!conf) return;
  const char *k = memmem(conf, len, "\"cniVersion\"", 12);
  if (!k) return;
  const char *end = conf + len, *s = k + 12;
  while (s < end && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == ':')) s++;
  if (s >= end || *s != '"') return;
  s++;
  size_t i = 0;
  char v[16];
  while (s < end && i < sizeof v - 1 && ((*s >= '0' && *s <= '9') || *s == '.')) v[i++] = *s++;
  if (s >= end || *s != '"' || i == 0) return;
  v[i] = 0;
  snprintf(out, n, "%s", v);
}

void wire_plain_message(char *msg) {
  size_t n = strlen(msg);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)msg[i];
    if (c == '"' || c == '\\' || c < 0x20) {
      msg[i] = ' ';
    } else if (c >= 0x80) {
      /* Bytes echoed from the environment, or a character cut by truncation, may not be UTF-8. */
      size_t k = utf8_len((const unsigned char *)msg + i, n - i);
      if (k == 0) msg[i] = '?';
      else i += k - 1;
    }
  }
}
