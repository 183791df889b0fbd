/*
 * Facts about the linked wolfSSL for "subtls -V" and the benchmark.  They
 * include its version and whether it is the build made by
 * tls/wolfssl-build.sh or the system package.  They also tell whether AES-NI
 * is compiled in and used on this CPU, and which TLS versions are compiled in.
 *
 * Also the switch that makes wolfSSL ignore CPU extensions, so a test can run
 * the generic code paths that a CPU without AES-NI or AVX would run.
 */
#ifndef TLS_BUILD_INFO_H
#define TLS_BUILD_INFO_H

#include <stdbool.h>
#include <stdio.h>

struct tls_build_info {
	const char *library_version;	/* wolfSSL_lib_version() at run time */
	const char *header_version;	/* LIBWOLFSSL_VERSION_STRING compiled in */
	bool built_for_subtls;		/* SUBTLS_WOLFSSL_BUILT in options.h */
	bool aesni_compiled;		/* WOLFSSL_AESNI in options.h */
	bool aesni_in_use;		/* an AES key set now takes the AES-NI path */
	bool aesni_disabled;		/* switched off by tls_disable_cpu_features */
	bool tls10, tls11, tls12, tls13;	/* compiled in, not necessarily allowed */
};

/*
 * Fills info.  Call it after tls_disable_cpu_features(): the AES-NI check sets
 * an AES key, and wolfSSL 5.5.4 decides on AES-NI once, at the first AES key.
 */
void tls_get_build_info(struct tls_build_info *info);

/*
 * Writes the build info as "wolfssl...: value" lines, one fact per line, for
 * "subtls -V".  Same call-order rule as tls_get_build_info().
 */
void tls_print_build_info(FILE *out);

/*
 * Makes wolfSSL treat the CPU extensions named in names as absent, so the
 * generic C code runs instead of the assembly that needs them.  names is a
 * comma-separated list of aesni, avx1, avx2, bmi1, bmi2, adx, movbe, rdrand,
 * rdseed, or "all"; NULL or "" changes nothing.
 *
 * Call it before tls_library_init() and before any other wolfSSL call:
 * wolfSSL 5.5.4 reads each flag once, when an algorithm first runs.  Returns 0,
 * or -1 and writes "invalid CPU feature name ..." to err (of size errlen) for
 * an unknown name.  With a wolfSSL that has no x86 assembly, or the system's
 * shared library, which does not export the CPUID flags, it changes nothing
 * and returns 0.
 */
int tls_disable_cpu_features(const char *names, char *err, size_t errlen);

#endif
