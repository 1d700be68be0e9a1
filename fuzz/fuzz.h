/* The libFuzzer entry point, declared for -Wmissing-prototypes; the same
 * targets link with replay_main.c to replay the corpus under make check. */
#ifndef BH_FUZZ_H
#define BH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
