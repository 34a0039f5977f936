/*
 * libFuzzer target: what the shim does with bytes it did not write — the agent's reply
 * (wire_parse_reply), the config it sniffs cniVersion from (wire_sniff_version), and error text it
 * prints inside a JSON string (wire_plain_message). Beyond the sanitizers it checks that an "ok" body
 * lies inside the reply, a sniffed version is digits and dots, and a plain message has nothing that
 * would need escaping and is UTF-8 (stdout must stay JSON whatever bytes an error echoes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../../src/shim/wire.h"
#include "utf8.h"

void wire_out_of_memory(void) { abort(); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *p = malloc(size ? size : 1);
  memcpy(p, data, size);
  struct reply r = {0};
  if (wire_parse_reply(p, size, &r) == REPLY_OK) {
    if (r.body < p || r.body + r.body_len > p + size) abort();
  }
  free(p);

  char ver[16];
  wire_sniff_version((const char *)data, size, ver, sizeof ver);
  size_t vlen = strnlen(ver, sizeof ver);
  if (vlen == 0 || vlen == sizeof ver) abort();
  for (size_t i = 0; i < vlen; i++)
    if (!((ver[i] >= '0' && ver[i] <= '9') || ver[i] == '.')) abort();

  char *msg = malloc(size + 1);
  memcpy(msg, data, size);
  msg[size] = 0;
  wire_plain_message(msg);
  for (char *c = msg; *c; c++)
    if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) abort();
  if (!oracle_valid((const unsigned char *)msg, strlen(msg))) abort();
  free(msg);
  return 0;
}
