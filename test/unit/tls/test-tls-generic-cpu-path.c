/*
 * With every CPU extension switched off, wolfSSL must take its generic code
 * and still compute correct results, as it would on a CPU without AES-NI, AVX,
 * BMI2 or ADX.  The vectors are AES-GCM test case 2 of McGrew and Viega, "The
 * Galois/Counter Mode of Operation (GCM)", and SHA-256("abc") of FIPS 180-2.
 */
#include <stdlib.h>

#include "tls/build_info.h"
#include "tls/internal.h"

#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "test/unit/check.h"

int
main(void)
{
	static const unsigned char zero[16];
	static const unsigned char gcm_ciphertext[16] = {
		0x03, 0x88, 0xda, 0xce, 0x60, 0xb6, 0xa3, 0x92,
		0xf3, 0x28, 0xc2, 0xb9, 0x71, 0xb2, 0xfe, 0x78 };
	static const unsigned char gcm_tag[16] = {
		0xab, 0x6e, 0x47, 0xd4, 0x2c, 0xec, 0x13, 0xbd,
		0xf5, 0x3a, 0x67, 0xb2, 0x12, 0x57, 0xbd, 0xdf };
	static const unsigned char sha256_abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
		0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	unsigned char out[16], tag[16], digest[32];
	struct tls_build_info info;
	char err[256];
	wc_Sha256 sha;
	Aes aes;

	CHECK(tls_disable_cpu_features("aesni,bogus", err, sizeof(err)) == -1,
	    "an unknown feature name is rejected");
	CHECK(strstr(err, "'bogus'") != NULL, "the error names it: %s", err);
	CHECK(tls_disable_cpu_features("all", err, sizeof(err)) == 0,
	    "all CPU features switched off");
	CHECK(wolfSSL_Init() == WOLFSSL_SUCCESS, "wolfSSL_Init");

	tls_get_build_info(&info);
	CHECK(!info.aesni_in_use, "AES-NI not in use (compiled in: %s)",
	    info.aesni_compiled ? "yes" : "no");

	CHECK(wc_AesInit(&aes, NULL, INVALID_DEVID) == 0 &&
	    wc_AesGcmSetKey(&aes, zero, sizeof(zero)) == 0 &&
	    wc_AesGcmEncrypt(&aes, out, zero, sizeof(zero), zero, 12, tag,
	    sizeof(tag), NULL, 0) == 0, "generic AES-128-GCM encrypts");
	CHECK_BYTES(out, sizeof(out), gcm_ciphertext, sizeof(gcm_ciphertext),
	    "AES-GCM test case 2 ciphertext");
	CHECK_BYTES(tag, sizeof(tag), gcm_tag, sizeof(gcm_tag),
	    "AES-GCM test case 2 tag");
	wc_AesFree(&aes);

	CHECK(wc_InitSha256(&sha) == 0 &&
	    wc_Sha256Update(&sha, (const byte *)"abc", 3) == 0 &&
	    wc_Sha256Final(&sha, digest) == 0, "generic SHA-256 hashes");
	CHECK_BYTES(digest, sizeof(digest), sha256_abc, sizeof(sha256_abc),
	    "SHA-256(\"abc\")");

	wolfSSL_Cleanup();
	return check_done();
}
