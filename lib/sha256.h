/* sha256.h - SHA-256 of buffers and files (libcrypto), as lowercase hex */
#ifndef KB_SHA256_H
#define KB_SHA256_H

#include <stddef.h>

#define SHA256_HEX 65

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX]);
/* 0 or -errno. */
int sha256_file(const char *path, char out[SHA256_HEX]);

#endif
