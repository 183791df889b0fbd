/*
 * The session ticket key ring and wolfSSL's ticket encryption callback.
 *
 * Tickets are sealed with AES-256-GCM from wolfCrypt.  One AEAD call both
 * encrypts and authenticates, with the key name and nonce as additional
 * data.  AES-CBC with HMAC (the example in RFC 5077 section 4) would need
 * two keys and a correct order of MAC and encryption.  The build for subtls
 * also runs AES-GCM with AES-NI.  Each ticket gets a fresh random 96-bit nonce: at
 * the rates of a submission server that stays far below the 2^32 messages
 * per key that NIST SP 800-38D allows for random nonces.
 *
 * Key file format (version 1), one key per line, newest first:
 *
 *   # comment lines start with '#'; blank lines are skipped
 *   <64 base64 characters: 48 random bytes>
 *
 * The 48 bytes are a 16-byte key name, sent in each ticket to find the key,
 * and a 32-byte AES-256 key.  `openssl rand -base64 48` prints one line of
 * exactly this form.  The first key encrypts, all keys decrypt.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tls/internal.h"
#include "tls/tickets.h"

#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/coding.h>

#define KEY_NAME_SIZE WOLFSSL_TICKET_NAME_SZ	/* 16 */
#define AES_KEY_SIZE 32
#define KEY_MATERIAL_SIZE (KEY_NAME_SIZE + AES_KEY_SIZE)
#define NONCE_SIZE 12
#define TAG_SIZE 16
#define MAX_KEYS 8		/* per file; random rings hold at most 2 */
#define KEY_LINE_MAX 256

struct ticket_key {
	unsigned char name[KEY_NAME_SIZE];
	Aes aes;		/* keyed once, at load or generation */
	uint64_t encrypting_until_ms; /* random keys: end of encryption */
};

struct tls_ticket_keys {
	bool from_file;
	char *path;		/* the key file, for -t */
	uint64_t lifetime_ms;
	struct ticket_key keys[MAX_KEYS];	/* [0] encrypts */
	size_t count;
};

static struct tls_ticket_keys *installed;

/* Guards installed and its keys: worker threads seal and open tickets at
 * once, rotation changes the ring, and an Aes object keeps per-call state,
 * so one key must not encrypt in two threads at the same time. */
static pthread_mutex_t installed_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool
random_bytes(unsigned char *out, size_t size)
{
	return getrandom(out, size, 0) == (ssize_t)size;
}

static bool
key_set(struct ticket_key *key, const unsigned char material[KEY_MATERIAL_SIZE])
{
	memcpy(key->name, material, KEY_NAME_SIZE);
	if (wc_AesInit(&key->aes, NULL, INVALID_DEVID) != 0)
		return false;
	if (wc_AesGcmSetKey(&key->aes, material + KEY_NAME_SIZE,
	    AES_KEY_SIZE) != 0) {
		wc_AesFree(&key->aes);
		return false;
	}
	return true;
}

static void
key_wipe(struct ticket_key *key)
{
	wc_AesFree(&key->aes);
	explicit_bzero(key, sizeof(*key));
}

static bool
key_generate(struct ticket_key *key, uint64_t encrypting_until_ms)
{
	unsigned char material[KEY_MATERIAL_SIZE];
	bool ok = random_bytes(material, sizeof(material)) &&
	    key_set(key, material);

	explicit_bzero(material, sizeof(material));
	key->encrypting_until_ms = encrypting_until_ms;
	return ok;
}

/*
 * Starts a new random key once the newest has encrypted for a lifetime and
 * drops keys that stopped encrypting more than a lifetime ago.  Rotation
 * happens here, when a ticket is needed, so no timer is involved.
 */
static void
rotate_if_due(struct tls_ticket_keys *ring)
{
	uint64_t now = monotonic_ms();
	struct ticket_key fresh;

	if (ring->from_file)
		return;
	while (ring->count > 0 && now >= ring->keys[ring->count - 1]
	    .encrypting_until_ms + ring->lifetime_ms)
		key_wipe(&ring->keys[--ring->count]);
	if (ring->count > 0 && now < ring->keys[0].encrypting_until_ms)
		return;

	/* On failure the old key keeps encrypting until the next attempt. */
	if (!key_generate(&fresh, now + ring->lifetime_ms))
		return;
	if (ring->count == 2)
		key_wipe(&ring->keys[--ring->count]);
	memmove(&ring->keys[1], &ring->keys[0],
	    ring->count * sizeof(ring->keys[0]));
	ring->keys[0] = fresh;
	ring->count++;
}

static struct ticket_key *
find_key(struct tls_ticket_keys *ring, const unsigned char *name)
{
	for (size_t i = 0; i < ring->count; i++)
		if (memcmp(ring->keys[i].name, name, KEY_NAME_SIZE) == 0)
			return &ring->keys[i];
	return NULL;
}

/*
 * wolfSSL's SessionTicketEncCb.  The ticket is encrypted in place.  The key
 * name, the nonce (the first 12 bytes of iv) and the policy digest (user)
 * are the additional data, and the GCM tag fills the first 16 bytes of mac.
 */
static int
seal_or_open_locked(unsigned char key_name[KEY_NAME_SIZE],
    unsigned char iv[WOLFSSL_TICKET_IV_SZ],
    unsigned char mac[WOLFSSL_TICKET_MAC_SZ], int enc,
    unsigned char *ticket, int in_len, int *out_len, void *user)
{
	struct tls_ticket_keys *ring = installed;
	unsigned char aad[KEY_NAME_SIZE + WOLFSSL_TICKET_IV_SZ +
	    TLS_POLICY_DIGEST_SIZE];
	struct ticket_key *key;

	if (ring == NULL || in_len < 0 || user == NULL)
		return WOLFSSL_TICKET_RET_REJECT;
	/* The listener's policy digest is part of the additional data, so a
	 * ticket from a listener with weaker suites, or from before a reload
	 * that requires client certificates, fails to open here and the
	 * client gets a full handshake under the current policy. */
	memcpy(aad + KEY_NAME_SIZE + WOLFSSL_TICKET_IV_SZ, user,
	    TLS_POLICY_DIGEST_SIZE);
	rotate_if_due(ring);
	if (ring->count == 0)
		return WOLFSSL_TICKET_RET_REJECT;

	if (enc) {
		key = &ring->keys[0];
		memcpy(key_name, key->name, KEY_NAME_SIZE);
		memset(iv, 0, WOLFSSL_TICKET_IV_SZ);
		if (!random_bytes(iv, NONCE_SIZE))
			return WOLFSSL_TICKET_RET_FATAL;
		memcpy(aad, key_name, KEY_NAME_SIZE);
		memcpy(aad + KEY_NAME_SIZE, iv, WOLFSSL_TICKET_IV_SZ);
		memset(mac, 0, WOLFSSL_TICKET_MAC_SZ);
		if (wc_AesGcmEncrypt(&key->aes, ticket, ticket, (word32)in_len,
		    iv, NONCE_SIZE, mac, TAG_SIZE, aad, sizeof(aad)) != 0)
			return WOLFSSL_TICKET_RET_FATAL;
		*out_len = in_len;
		return WOLFSSL_TICKET_RET_OK;
	}

	/* An unknown name is a ticket from a retired or foreign key: the
	 * client falls back to a full handshake. */
	key = find_key(ring, key_name);
	if (key == NULL)
		return WOLFSSL_TICKET_RET_REJECT;
	memcpy(aad, key_name, KEY_NAME_SIZE);
	memcpy(aad + KEY_NAME_SIZE, iv, WOLFSSL_TICKET_IV_SZ);
	if (wc_AesGcmDecrypt(&key->aes, ticket, ticket, (word32)in_len,
	    iv, NONCE_SIZE, mac, TAG_SIZE, aad, sizeof(aad)) != 0)
		return WOLFSSL_TICKET_RET_REJECT;
	*out_len = in_len;

	/* A ticket under an older key is renewed under the newest one. */
	return key == &ring->keys[0] ? WOLFSSL_TICKET_RET_OK :
	    WOLFSSL_TICKET_RET_CREATE;
}

static int
seal_or_open_ticket(WOLFSSL *ssl, unsigned char key_name[KEY_NAME_SIZE],
    unsigned char iv[WOLFSSL_TICKET_IV_SZ],
    unsigned char mac[WOLFSSL_TICKET_MAC_SZ], int enc,
    unsigned char *ticket, int in_len, int *out_len, void *user)
{
	int result;

	(void)ssl;
	pthread_mutex_lock(&installed_lock);
	result = seal_or_open_locked(key_name, iv, mac, enc, ticket, in_len,
	    out_len, user);
	pthread_mutex_unlock(&installed_lock);
	return result;
}

const unsigned char *
tls_tickets_policy_digest(WOLFSSL *ssl)
{
	WOLFSSL_CTX *ctx = wolfSSL_get_SSL_CTX(ssl);

	return ctx != NULL ? wolfSSL_CTX_get_TicketEncCtx(ctx) : NULL;
}

int
tls_tickets_attach(WOLFSSL_CTX *ctx, const struct config_tls *policy,
    const unsigned char *policy_digest)
{
	unsigned seconds = (unsigned)(policy->ticket_lifetime_ms / 1000);

	if (wolfSSL_CTX_set_TicketEncCb(ctx, seal_or_open_ticket) !=
	    WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_set_TicketEncCtx(ctx, (void *)policy_digest) !=
	    WOLFSSL_SUCCESS ||
	    wolfSSL_CTX_set_TicketHint(ctx, (int)seconds) != WOLFSSL_SUCCESS)
		return -1;

	/* wolfSSL rejects a ticket older than the context's session timeout
	 * (500 s by default), so it follows ticket_lifetime too.  This build
	 * returns the previous timeout, as OpenSSL does, so the result cannot
	 * show success. */
	(void)wolfSSL_CTX_set_timeout(ctx, seconds);
	return 0;
}

__attribute__((format(printf, 4, 5)))
static void
report(FILE *errors, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (file == NULL)
		fputs("ticket keys: ", errors);
	else if (line > 0)
		fprintf(errors, "%s:%u: ", file, line);
	else
		fprintf(errors, "%s: ", file);
	va_start(ap, fmt);
	vfprintf(errors, fmt, ap);
	va_end(ap);
	fputc('\n', errors);
}

/* Removes surrounding blanks and the line end in place. */
static char *
trim(char *text)
{
	size_t length;

	text += strspn(text, " \t");
	length = strlen(text);
	while (length > 0 && strchr(" \t\r\n", text[length - 1]) != NULL)
		text[--length] = '\0';
	return text;
}

/* Opens the key file and refuses one that everybody may read. */
static FILE *
open_key_file(const struct config_tls *policy, FILE *errors,
    unsigned *error_count)
{
	const struct config_position *at = &policy->ticket_key_file_at;
	struct stat st;
	FILE *file;
	int fd;

	fd = open(policy->ticket_key_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		report(errors, at->file, at->line, "ticket_key_file '%s': "
		    "cannot open: %s", policy->ticket_key_file,
		    strerror(errno));
		(*error_count)++;
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & S_IROTH) != 0) {
		report(errors, at->file, at->line, "ticket_key_file '%s': "
		    "not a regular file or readable by every user (allowed: "
		    "a regular file with a mode such as 0640)",
		    policy->ticket_key_file);
		(*error_count)++;
		close(fd);
		return NULL;
	}
	file = fdopen(fd, "r");
	if (file == NULL)
		close(fd);
	return file;
}

static void
read_key_file(struct tls_ticket_keys *ring, const struct config_tls *policy,
    FILE *errors, unsigned *error_count)
{
	const char *path = policy->ticket_key_file;
	unsigned char material[KEY_MATERIAL_SIZE + 4];
	char buffer[KEY_LINE_MAX];
	unsigned line = 0, before = *error_count;
	FILE *file = open_key_file(policy, errors, error_count);

	if (file == NULL)
		return;
	while (fgets(buffer, sizeof(buffer), file) != NULL) {
		char *text = trim(buffer);
		word32 size = sizeof(material);

		line++;
		if (*text == '\0' || *text == '#')
			continue;
		if (strlen(text) != 64 || Base64_Decode((const byte *)text,
		    64, material, &size) != 0 || size != KEY_MATERIAL_SIZE) {
			/* The line is a secret: it is never echoed. */
			report(errors, path, line, "invalid ticket key (allowed: "
			    "64 base64 characters encoding 48 random bytes, as "
			    "`openssl rand -base64 48` prints)");
			(*error_count)++;
		} else if (ring->count == MAX_KEYS) {
			report(errors, path, line, "more than %d ticket keys "
			    "(allowed: remove keys older than two "
			    "ticket_lifetime periods)", MAX_KEYS);
			(*error_count)++;
		} else if (find_key(ring, material) != NULL) {
			report(errors, path, line, "a ticket key with the same "
			    "name (first 16 bytes) is listed earlier (allowed: "
			    "a new random key)");
			(*error_count)++;
		} else if (!key_set(&ring->keys[ring->count++], material)) {
			report(errors, path, line, "wolfCrypt cannot set up "
			    "this AES-256-GCM key");
			(*error_count)++;
		}
	}
	explicit_bzero(material, sizeof(material));
	explicit_bzero(buffer, sizeof(buffer));
	if (ferror(file)) {
		report(errors, path, 0, "read failed: %s", strerror(errno));
		(*error_count)++;
	}
	fclose(file);
	if (ring->count == 0 && *error_count == before) {
		report(errors, path, 0, "no ticket key in the file (allowed: "
		    "one or more lines of `openssl rand -base64 48`)");
		(*error_count)++;
	}
}

struct tls_ticket_keys *
tls_ticket_keys_load(const struct config_tls *policy, FILE *errors,
    unsigned *error_count)
{
	struct tls_ticket_keys *ring = calloc(1, sizeof(*ring));
	unsigned before = *error_count;

	if (ring == NULL) {
		report(errors, policy->ticket_key_file_at.file, 0,
		    "ticket keys: out of memory");
		(*error_count)++;
		return NULL;
	}
	ring->lifetime_ms = policy->ticket_lifetime_ms;
	if (policy->ticket_key_file != NULL) {
		ring->from_file = true;
		ring->path = strdup(policy->ticket_key_file);
		read_key_file(ring, policy, errors, error_count);
	} else if (key_generate(&ring->keys[0],
	    monotonic_ms() + ring->lifetime_ms)) {
		ring->count = 1;
	} else {
		report(errors, policy->ticket_key_file_at.file, 0,
		    "cannot generate a random ticket key");
		(*error_count)++;
	}
	if (*error_count != before) {
		tls_ticket_keys_free(ring);
		return NULL;
	}
	return ring;
}

void
tls_ticket_keys_free(struct tls_ticket_keys *ring)
{
	if (ring == NULL)
		return;
	for (size_t i = 0; i < ring->count; i++)
		key_wipe(&ring->keys[i]);
	free(ring->path);
	free(ring);
}

void
tls_ticket_keys_install(struct tls_ticket_keys *ring)
{
	struct tls_ticket_keys *old;

	pthread_mutex_lock(&installed_lock);
	old = installed;
	/* Keep the random keys across a reload, so tickets stay valid;
	 * the new lifetime applies from the next rotation. */
	if (old != NULL && !old->from_file && !ring->from_file) {
		old->lifetime_ms = ring->lifetime_ms;
		pthread_mutex_unlock(&installed_lock);
		tls_ticket_keys_free(ring);
		return;
	}
	installed = ring;
	pthread_mutex_unlock(&installed_lock);
	tls_ticket_keys_free(old);
}

void
tls_ticket_keys_cleanup(void)
{
	tls_ticket_keys_free(installed);
	installed = NULL;
}

void
tls_ticket_keys_print(FILE *out)
{
	const struct tls_ticket_keys *ring = installed;

	if (ring == NULL)
		return;
	fprintf(out, "; session tickets: TLS 1.2 and 1.3, AES-256-GCM, "
	    "valid %llu s\n", (unsigned long long)(ring->lifetime_ms / 1000));
	if (ring->from_file)
		fprintf(out, "; ticket keys: %zu from %s, the first encrypts\n",
		    ring->count, ring->path);
	else
		fprintf(out, "; ticket keys: random, rotated every %llu s, "
		    "kept one more period to decrypt\n",
		    (unsigned long long)(ring->lifetime_ms / 1000));
}
