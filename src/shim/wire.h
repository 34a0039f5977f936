/*
 * The shim's wire format and text handling, apart from its process and socket work so that a fuzz
 * harness (test/native/fuzz/) links exactly the code the shim runs: growable buffers, JSON string
 * escaping, the request line, the reply parser, and the cniVersion sniffer for error objects.
 */
#ifndef TRUNKLINE_SHIM_WIRE_H
#define TRUNKLINE_SHIM_WIRE_H
#include <stddef.h>

#define PROTOCOL_VERSION 1
#define MAX_HEADER (64L << 10)

struct buf {
  char *p;
  size_t len, cap;
};

/* Called when a buffer cannot grow; must not return (the shim prints a code-11 error and exits). */
__attribute__((noreturn)) void wire_out_of_memory(void);

void buf_reserve(struct buf *b, size_t more);
void buf_put(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
/* Appends s[0..n) as a JSON string: quotes, backslashes and control characters escaped, bytes that
   are not well-formed UTF-8 replaced by U+FFFD. */
void buf_put_json_string(struct buf *b, const char *s, size_t n);

/* The request: one JSON line ({"version":1,"type":…,"command":…,"env":{CNI_* of envp},
   "stdinLength":N}) then the body. */
void wire_request(struct buf *req, const char *type, const char *command, char *const *envp, const char *body,
                  size_t body_len);

enum reply_kind {
  REPLY_NONE,      /* no complete header line: the agent closed without answering */
  REPLY_OVERSIZED, /* a header line longer than MAX_HEADER */
  REPLY_FALLBACK,  /* another protocol version, or "fallback": run the bundled plugin */
  REPLY_OK,        /* exit_code and the body [body, body + body_len) */
  REPLY_CUT_SHORT, /* "ok" but fewer body bytes than announced */
  REPLY_BUSY,
  REPLY_UNKNOWN,
};

struct reply {
  long exit_code;
  const char *body;
  size_t body_len;
};

/* Parses a reply in place (the header's newline becomes a NUL). */
enum reply_kind wire_parse_reply(char *p, size_t len, struct reply *out);

/* The config's cniVersion ("1.1.0" when missing or odd), for CNI error objects. */
void wire_sniff_version(const char *conf, size_t len, char *out, size_t n);

/* Makes a message safe inside a JSON string without escaping: quotes, backslashes, controls → ' ',
   bytes that are not well-formed UTF-8 → '?'. */
void wire_plain_message(char *msg);
#endif
