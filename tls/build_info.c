/*
 * Reports how the linked wolfSSL was built, and lets a test switch off the CPU
 * extensions that its assembly uses.
 *
 * Compile-time facts come from wolfssl/options.h, the header that also fixes
 * the library's struct layouts, so they describe the wolfSSL this file was
 * compiled against.  Whether AES-NI is in use is asked of wolfSSL itself, by
 * setting an AES key and reading which code path it chose.
 */
#include <string.h>

#include "tls/build_info.h"
#include "tls/internal.h"

#include <wolfssl/version.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/cpuid.h>

/*
 * wolfSSL 5.5.4 keeps its CPUID flags behind cpuid_get_flags(), which a shared
 * libwolfssl does not export.  The build for subtls is static only, so there
 * it links.
 */
#if defined(SUBTLS_WOLFSSL_BUILT) && defined(HAVE_CPUID_INTEL)
#define HAVE_CPU_FEATURE_FLAGS 1
#endif

/* The names tls_disable_cpu_features() accepts, besides "all". */
static const char *const cpu_feature_names[] = {
	"aesni", "avx1", "avx2", "bmi1", "bmi2", "adx", "movbe", "rdrand",
	"rdseed",
};
#define CPU_FEATURE_COUNT (sizeof(cpu_feature_names) / sizeof(cpu_feature_names[0]))

#ifdef HAVE_CPU_FEATURE_FLAGS
/* wolfSSL's flag for each entry of cpu_feature_names, in the same order. */
static const word32 cpu_feature_flags[CPU_FEATURE_COUNT] = {
	CPUID_AESNI, CPUID_AVX1, CPUID_AVX2, CPUID_BMI1, CPUID_BMI2, CPUID_ADX,
	CPUID_MOVBE, CPUID_RDRAND, CPUID_RDSEED,
};
#endif

/* Bit i set: cpu_feature_names[i] was switched off. */
static unsigned disabled_features;
#define AESNI_BIT 1u	/* "aesni" is cpu_feature_names[0] */

/* Sets an AES-GCM key and reports whether wolfSSL chose its AES-NI code. */
static bool
aesni_in_use(void)
{
#ifdef WOLFSSL_AESNI
	static const byte key[16];
	Aes aes;
	bool in_use = false;

	if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0)
		return false;
	if (wc_AesGcmSetKey(&aes, key, sizeof(key)) == 0)
		in_use = aes.use_aesni != 0;
	wc_AesFree(&aes);
	return in_use;
#else
	return false;
#endif
}

void
tls_get_build_info(struct tls_build_info *info)
{
	memset(info, 0, sizeof(*info));
	info->library_version = wolfSSL_lib_version();
	info->header_version = LIBWOLFSSL_VERSION_STRING;
#ifdef SUBTLS_WOLFSSL_BUILT
	info->built_for_subtls = true;
#endif
#ifdef WOLFSSL_AESNI
	info->aesni_compiled = true;
#endif
	info->aesni_in_use = aesni_in_use();
	info->aesni_disabled = (disabled_features & AESNI_BIT) != 0;

	/* The guards that wolfSSL 5.5.4's ssl.h puts around each version's methods. */
#ifdef WOLFSSL_TLS13
	info->tls13 = true;
#endif
#ifndef WOLFSSL_NO_TLS12
	info->tls12 = true;
#endif
#ifndef NO_OLD_TLS
	info->tls11 = true;
#ifdef WOLFSSL_ALLOW_TLSV10
	info->tls10 = true;
#endif
#endif
}

static const char *
aesni_state(const struct tls_build_info *info)
{
	if (!info->aesni_compiled)
		return "not compiled in";
	if (info->aesni_in_use)
		return "compiled in, used on this CPU";
	if (info->aesni_disabled)
		return "compiled in, switched off by tls_disable_cpu_features";
	return "compiled in, not used: this CPU has no AES-NI";
}

/* Writes the CPUID flags by which wolfSSL's assembly chooses its code paths. */
static void
print_cpu_features(FILE *out)
{
#ifdef HAVE_CPU_FEATURE_FLAGS
	word32 flags = cpuid_get_flags();
	bool any = false;

	fprintf(out, "wolfssl cpuid flags:");
	for (size_t i = 0; i < CPU_FEATURE_COUNT; i++) {
		if (flags & cpu_feature_flags[i]) {
			fprintf(out, " %s", cpu_feature_names[i]);
			any = true;
		}
	}
	fprintf(out, "%s\n", any ? "" : " none");
#else
	fprintf(out, "wolfssl cpuid flags: not readable from a shared library\n");
#endif
}

void
tls_print_build_info(FILE *out)
{
	struct tls_build_info info;

	tls_get_build_info(&info);
	fprintf(out, "wolfssl: %s, %s\n", info.library_version,
	    info.built_for_subtls ? "built for subtls by tls/wolfssl-build.sh" :
	    "system package");
	if (strcmp(info.library_version, info.header_version) != 0)
		fprintf(out, "wolfssl warning: compiled against the headers of %s "
		    "but running library %s; struct layouts may differ\n",
		    info.header_version, info.library_version);
	fprintf(out, "wolfssl aes-ni: %s\n", aesni_state(&info));
	print_cpu_features(out);
	fprintf(out, "wolfssl protocols compiled in:%s%s%s%s\n",
	    info.tls13 ? " TLSv1.3" : "", info.tls12 ? " TLSv1.2" : "",
	    info.tls11 ? " TLSv1.1" : "", info.tls10 ? " TLSv1.0" : "");
}

/* Returns the bits (see disabled_features) that one list item names, or 0. */
static unsigned
feature_bits(const char *name, size_t len)
{
	if (len == 3 && strncmp(name, "all", 3) == 0)
		return (1u << CPU_FEATURE_COUNT) - 1;
	for (size_t i = 0; i < CPU_FEATURE_COUNT; i++)
		if (strlen(cpu_feature_names[i]) == len &&
		    strncmp(cpu_feature_names[i], name, len) == 0)
			return 1u << i;
	return 0;
}

int
tls_disable_cpu_features(const char *names, char *err, size_t errlen)
{
	unsigned bits = 0;

	for (const char *p = names; p != NULL && *p != '\0'; ) {
		size_t len = strcspn(p, ",");
		unsigned item = feature_bits(p, len);

		if (item == 0) {
			snprintf(err, errlen, "invalid CPU feature name '%.*s' "
			    "(expected a comma-separated list of aesni, avx1, "
			    "avx2, bmi1, bmi2, adx, movbe, rdrand, rdseed, or all)",
			    (int)len, p);
			return -1;
		}
		bits |= item;
		p += len;
		if (*p == ',')
			p++;
	}

#ifdef HAVE_CPU_FEATURE_FLAGS
	word32 clear = 0;

	for (size_t i = 0; i < CPU_FEATURE_COUNT; i++)
		if (bits & (1u << i))
			clear |= cpu_feature_flags[i];
	/*
	 * cpuid_get_flags() first: in 5.5.4 its first call reads CPUID and ORs
	 * the result into the flags, which would undo a clear made before it.
	 */
	(void)cpuid_get_flags();
	cpuid_clear_flag(clear);
	disabled_features |= bits;
#endif
	return 0;
}
