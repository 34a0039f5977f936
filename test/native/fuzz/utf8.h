/*
 * The fuzz targets' own UTF-8 oracle, written apart from src/shim/wire.c (from code points and their
 * ranges rather than lead-byte tables) so that a mistake in one is caught by the other.
 */
#ifndef TRUNKLINE_FUZZ_UTF8_H
#define TRUNKLINE_FUZZ_UTF8_H
#include <stddef.h>
#include <stdint.h>

/* Decodes one well-formed code point at s: its length, or 0 when the bytes there are not one. */
static size_t oracle_decode(const unsigned char *s, size_t n) {
  static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
  size_t len = s[0] < 0x80 ? 1 : (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3 : (s[0] >> 3) == 30 ? 4 : 0;
  if (len == 0 || len > n) return 0;
  if (len == 1) return 1;
  uint32_t cp = s[0] & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3F);
  }
  if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

static int oracle_valid(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    size_t k = oracle_decode(s + i, n - i);
    if (k == 0) return 0;
    i += k;
  }
  return 1;
}

/* What a string should decode to after escaping: each byte outside well-formed UTF-8 as U+FFFD. */
static size_t oracle_clean(const unsigned char *s, size_t n, unsigned char *out) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t k = oracle_decode(s + i, n - i);
    if (k == 0) {
      out[o++] = 0xEF;
      out[o++] = 0xBF;
      out[o++] = 0xBD;
      i++;
    } else {
      for (size_t j = 0; j < k; j++) out[o++] = s[i + j];
      i += k;
    }
  }
  return o;
}
#endif
