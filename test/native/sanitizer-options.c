/*
 * Linked into the sanitizer tier's shim only (scripts/build-sanitized.mjs): runtimes call the shim
 * with a scrubbed environment, so its sanitizer options are built in rather than taken from
 * ASAN_OPTIONS. A finding aborts (ASan's default exit status 1 would pass for a CNI error) and is
 * written under TRUNKLINE_SANITIZER_LOG, which the tier reads. Leaks are not checked: the shim is a
 * one-shot process whose buffers end with it.
 */
#ifndef TRUNKLINE_SANITIZER_LOG
#error "build with -DTRUNKLINE_SANITIZER_LOG=\"DIR\""
#endif

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void) {
  return "abort_on_error=1:detect_leaks=0:log_path=" TRUNKLINE_SANITIZER_LOG "/asan";
}

const char *__ubsan_default_options(void) {
  return "halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=" TRUNKLINE_SANITIZER_LOG "/ubsan";
}
