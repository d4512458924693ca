/* sha256.c - SHA-256 through OpenSSL's libcrypto */
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <unistd.h>
#include "util.h"

static void to_hex(const unsigned char *md, unsigned n, char out[SHA256_HEX])
{
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[2 * n] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL))
		BUG("EVP_Digest(sha256) failed");
	to_hex(md, n, out);
}

int sha256_file(const char *path, char out[SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	EVP_MD_CTX *ctx;
	unsigned n = 0;
	int fd, err = 0;
	ssize_t r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		BUG("EVP sha256 init failed");
	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)r);
	}
	close(fd);
	if (!err) {
		EVP_DigestFinal_ex(ctx, md, &n);
		to_hex(md, n, out);
	}
	EVP_MD_CTX_free(ctx);
	return err;
}
