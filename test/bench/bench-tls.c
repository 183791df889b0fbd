/*
 * Measures the linked wolfSSL the way subtls uses it: server handshakes,
 * resumption by session ticket, bulk throughput per AEAD suite, and the heap
 * in use by one idle server session.
 *
 * Client and server run in this one thread and talk through in-memory pipes,
 * so the figures are CPU cost without network or kernel time.  Every loop stops
 * at a count or a time limit, whichever comes first.  The certificates are made
 * by the openssl command in a temporary directory (or read from --certs DIR),
 * so the same program runs against any wolfSSL build.
 *
 * Not part of the test suite: run it directly, or through compare-wolfssl.sh to
 * see the system package and the build for subtls side by side.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/memory.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tls/build_info.h"

#define RECORD_SIZE 16384	/* one full TLS record of application data */
#define IDLE_SESSIONS 32	/* sessions held open for the heap figure */
#define MAX_HANDSHAKES 20000
#define MAX_BULK_BYTES (4ull << 30)

static double time_limit = 1.0;	/* seconds per measurement */
static bool tsv;

__attribute__((noreturn, format(printf, 1, 2)))
static void
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench-tls: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Counting allocator.  Each block carries a header with its size and the side
 * (client or server) that was calling wolfSSL when it was allocated, so the
 * server's share of the heap can be read at any time.  wolfSSL needs 16-byte
 * aligned blocks.  glibc's malloc returns them on x86_64, and the header is a
 * multiple of 16 bytes, so the block after it stays aligned.
 */
enum side { CLIENT, SERVER };

union block_header {
	struct {
		size_t size;
		enum side side;
	} h;
	max_align_t align;
};
_Static_assert(sizeof(union block_header) % 16 == 0,
    "the header must keep 16-byte alignment");

static enum side calling_side = CLIENT;
static size_t heap_in_use[2];

static void *
counted_malloc(size_t size)
{
	union block_header *b = malloc(sizeof(*b) + size);

	if (b == NULL)
		return NULL;
	if ((uintptr_t)b % 16 != 0)
		fail("malloc returned a block that is not 16-byte aligned");
	b->h.size = size;
	b->h.side = calling_side;
	heap_in_use[calling_side] += size;
	return b + 1;
}

static void
counted_free(void *p)
{
	union block_header *b;

	if (p == NULL)
		return;
	b = (union block_header *)p - 1;
	heap_in_use[b->h.side] -= b->h.size;
	free(b);
}

static void *
counted_realloc(void *p, size_t size)
{
	union block_header *b, *grown;
	size_t old_size;
	enum side old_side;

	if (p == NULL)
		return counted_malloc(size);
	b = (union block_header *)p - 1;
	old_size = b->h.size;
	old_side = b->h.side;
	grown = realloc(b, sizeof(*grown) + size);
	if (grown == NULL)
		return NULL;
	heap_in_use[old_side] -= old_size;
	grown->h.size = size;
	grown->h.side = calling_side;
	heap_in_use[calling_side] += size;
	return grown + 1;
}

/* One direction of an in-memory connection. */
struct pipe {
	unsigned char *data;
	size_t len, off, cap;
};

static int
pipe_receive(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct pipe *p = arg;
	size_t n = p->len - p->off;

	(void)ssl;
	if (n == 0)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	if (n > (size_t)sz)
		n = (size_t)sz;
	memcpy(buf, p->data + p->off, n);
	p->off += n;
	if (p->off == p->len)
		p->off = p->len = 0;
	return (int)n;
}

static int
pipe_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct pipe *p = arg;

	(void)ssl;
	if (p->len + (size_t)sz > p->cap) {
		size_t cap = p->cap == 0 ? 65536 : p->cap;

		while (cap < p->len + (size_t)sz)
			cap *= 2;
		p->data = realloc(p->data, cap);
		if (p->data == NULL)
			fail("out of memory for an in-memory pipe");
		p->cap = cap;
	}
	memcpy(p->data + p->len, buf, (size_t)sz);
	p->len += (size_t)sz;
	return sz;
}

struct connection {
	WOLFSSL *client, *server;
	struct pipe to_server, to_client;
	double server_seconds;	/* time spent inside server calls */
};

static void
connection_open(struct connection *c, WOLFSSL_CTX *client_ctx,
    WOLFSSL_CTX *server_ctx)
{
	memset(c, 0, sizeof(*c));
	calling_side = CLIENT;
	c->client = wolfSSL_new(client_ctx);
	calling_side = SERVER;
	c->server = wolfSSL_new(server_ctx);
	calling_side = CLIENT;
	if (c->client == NULL || c->server == NULL)
		fail("wolfSSL_new failed: out of memory");

	wolfSSL_SSLSetIORecv(c->client, pipe_receive);
	wolfSSL_SSLSetIOSend(c->client, pipe_send);
	wolfSSL_SetIOReadCtx(c->client, &c->to_client);
	wolfSSL_SetIOWriteCtx(c->client, &c->to_server);
	wolfSSL_SSLSetIORecv(c->server, pipe_receive);
	wolfSSL_SSLSetIOSend(c->server, pipe_send);
	wolfSSL_SetIOReadCtx(c->server, &c->to_server);
	wolfSSL_SetIOWriteCtx(c->server, &c->to_client);
}

static void
connection_close(struct connection *c)
{
	wolfSSL_free(c->client);
	calling_side = SERVER;
	wolfSSL_free(c->server);
	calling_side = CLIENT;
	free(c->to_server.data);
	free(c->to_client.data);
}

static const char *
error_text(WOLFSSL *ssl, int rc, char *buf)
{
	int code = wolfSSL_get_error(ssl, rc);

	wolfSSL_ERR_error_string_n((unsigned long)code, buf, WOLFSSL_MAX_ERROR_SZ);
	return buf;
}

/* Runs one side's handshake step; returns true once that side is done. */
static bool
handshake_step(struct connection *c, enum side side)
{
	WOLFSSL *ssl = side == SERVER ? c->server : c->client;
	char text[WOLFSSL_MAX_ERROR_SZ];
	double start = now();
	int rc;

	calling_side = side;
	rc = side == SERVER ? wolfSSL_accept(ssl) : wolfSSL_connect(ssl);
	calling_side = CLIENT;
	if (side == SERVER)
		c->server_seconds += now() - start;
	if (rc == WOLFSSL_SUCCESS)
		return true;
	if (wolfSSL_get_error(ssl, rc) != WOLFSSL_ERROR_WANT_READ)
		fail("%s handshake failed: %s", side == SERVER ? "server" :
		    "client", error_text(ssl, rc, text));
	return false;
}

static void
handshake(struct connection *c)
{
	bool client_done = false, server_done = false;

	/* A TLS 1.3 or 1.2 handshake needs at most a few flights each way. */
	for (int round = 0; round < 8 && !(client_done && server_done); round++) {
		if (!client_done)
			client_done = handshake_step(c, CLIENT);
		if (!server_done)
			server_done = handshake_step(c, SERVER);
	}
	if (!(client_done && server_done))
		fail("the handshake did not finish within 8 rounds");
}

/*
 * Lets the client process what the server sent after its Finished, such as the
 * TLS 1.3 NewSessionTicket.  There is no application data, so the read ends
 * with WANT_READ.
 */
static void
client_read_pending(struct connection *c)
{
	char buf[64], text[WOLFSSL_MAX_ERROR_SZ];
	int rc = wolfSSL_read(c->client, buf, sizeof(buf));

	if (rc < 0 && wolfSSL_get_error(c->client, rc) != WOLFSSL_ERROR_WANT_READ)
		fail("client read after the handshake failed: %s",
		    error_text(c->client, rc, text));
}

static WOLFSSL_CTX *
server_context(const char *cert, const char *key)
{
	WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());

	if (ctx == NULL)
		fail("wolfSSL_CTX_new failed for the server");
	if (wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS)
		fail("cannot set TLS 1.2 as the minimum version");
	if (wolfSSL_CTX_set_cipher_list(ctx, "TLS13-AES128-GCM-SHA256:"
	    "TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256:"
	    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")
	    != WOLFSSL_SUCCESS)
		fail("the server rejected the cipher list");
	if (wolfSSL_CTX_use_certificate_chain_file(ctx, cert) != WOLFSSL_SUCCESS)
		fail("cannot load the certificate %s", cert);
	if (wolfSSL_CTX_use_PrivateKey_file(ctx, key, WOLFSSL_FILETYPE_PEM)
	    != WOLFSSL_SUCCESS)
		fail("cannot load the private key %s", key);
	return ctx;
}

static WOLFSSL_CTX *
client_context(WOLFSSL_METHOD *method)
{
	WOLFSSL_CTX *ctx = wolfSSL_CTX_new(method);

	if (ctx == NULL)
		fail("wolfSSL_CTX_new failed for the client");
	/* The benchmark measures the server, so the client skips chain checks. */
	wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
	return ctx;
}

static void
report(const char *label, double value, const char *unit, bool higher_better)
{
	if (tsv)
		printf("%s\t%.3f\t%s\t%s\n", label, value, unit,
		    higher_better ? "higher" : "lower");
	else
		printf("%-50s %12.3f %s\n", label, value, unit);
}

/* Group 0 keeps the client's default groups: wolfSSL_set_groups() fails
 * on a TLS 1.2 client. */
static void
client_use_group(WOLFSSL *client, int group)
{
	if (group == 0)
		return;
	if (wolfSSL_set_groups(client, &group, 1) != WOLFSSL_SUCCESS)
		fail("the client cannot offer key share group %d", group);
}

/*
 * Runs full handshakes until the count or time limit.  Returns the session of
 * the first one, with its ticket, for the caller to free.
 */
static WOLFSSL_SESSION *
bench_full_handshakes(const char *name, WOLFSSL_CTX *server_ctx,
    WOLFSSL_CTX *client_ctx, int group)
{
	WOLFSSL_SESSION *session = NULL;
	double start = now(), server_seconds = 0;
	char label[128];
	int count = 0;

	while (count < MAX_HANDSHAKES && (count == 0 || now() - start < time_limit)) {
		struct connection c;

		connection_open(&c, client_ctx, server_ctx);
		client_use_group(c.client, group);
		handshake(&c);
		client_read_pending(&c);
		server_seconds += c.server_seconds;
		count++;
		if (session == NULL)
			session = wolfSSL_get1_session(c.client);
		connection_close(&c);
	}
	snprintf(label, sizeof(label), "full handshake, %s", name);
	report(label, count / (now() - start), "handshakes/s", true);
	snprintf(label, sizeof(label), "  server time, %s", name);
	report(label, server_seconds * 1e3 / count, "ms/handshake", false);
	return session;
}

/*
 * Runs handshakes that resume session by its ticket, until the count or time
 * limit.  The same ticket is offered every time, and wolfSSL 5.5.4 accepts a
 * TLS 1.3 ticket more than once.
 */
static void
bench_resumed_handshakes(const char *name, WOLFSSL_CTX *server_ctx,
    WOLFSSL_CTX *client_ctx, int group, WOLFSSL_SESSION *session)
{
	double start = now(), server_seconds = 0;
	char label[128];
	int count = 0;

	if (session == NULL)
		fail("the client kept no session after a full handshake (%s)", name);
	if (!wolfSSL_SESSION_has_ticket(session))
		fail("the session has no ticket, so resuming would measure the "
		    "session-ID cache instead (%s)", name);
	while (count < MAX_HANDSHAKES && (count == 0 || now() - start < time_limit)) {
		struct connection c;

		connection_open(&c, client_ctx, server_ctx);
		client_use_group(c.client, group);
		if (wolfSSL_set_session(c.client, session) != WOLFSSL_SUCCESS)
			fail("the client cannot use the saved session (%s)", name);
		handshake(&c);
		if (!wolfSSL_session_reused(c.server))
			fail("the server did a full handshake instead of resuming "
			    "with the ticket (%s)", name);
		client_read_pending(&c);
		server_seconds += c.server_seconds;
		connection_close(&c);
		count++;
	}
	snprintf(label, sizeof(label), "resumed handshake (ticket), %s", name);
	report(label, count / (now() - start), "handshakes/s", true);
	snprintf(label, sizeof(label), "  server time, resumed, %s", name);
	report(label, server_seconds * 1e3 / count, "ms/handshake", false);
}

static void
bench_handshakes(const char *name, WOLFSSL_CTX *server_ctx,
    WOLFSSL_CTX *client_ctx, int group, bool resume)
{
	WOLFSSL_SESSION *session;

	session = bench_full_handshakes(name, server_ctx, client_ctx, group);
	if (resume)
		bench_resumed_handshakes(name, server_ctx, client_ctx, group,
		    session);
	wolfSSL_SESSION_free(session);
}

/*
 * Moves one record of application data from one side to the other, adding
 * the time spent encrypting and decrypting to *seal_seconds and *open_seconds.
 */
static void
transfer_record(struct connection *c, enum side from, const char *out,
    char *in, double *seal_seconds, double *open_seconds)
{
	WOLFSSL *writer = from == SERVER ? c->server : c->client;
	WOLFSSL *reader = from == SERVER ? c->client : c->server;
	char text[WOLFSSL_MAX_ERROR_SZ];
	double start = now();
	int rc, got = 0;

	calling_side = from;
	rc = wolfSSL_write(writer, out, RECORD_SIZE);
	calling_side = CLIENT;
	if (rc != RECORD_SIZE)
		fail("write failed: %s", error_text(writer, rc, text));
	*seal_seconds += now() - start;

	start = now();
	calling_side = from == SERVER ? CLIENT : SERVER;
	while (got < RECORD_SIZE) {
		rc = wolfSSL_read(reader, in + got, RECORD_SIZE - got);
		if (rc <= 0)
			fail("read failed: %s", error_text(reader, rc, text));
		got += rc;
	}
	calling_side = CLIENT;
	*open_seconds += now() - start;
}

static void
bench_bulk(const char *name, const char *suite, WOLFSSL_CTX *server_ctx,
    WOLFSSL_CTX *client_ctx)
{
	static char out[RECORD_SIZE], in[RECORD_SIZE];
	double seal_seconds = 0, open_seconds = 0, start;
	unsigned long long bytes = 0;
	unsigned char suite0, suite1;
	struct connection c;
	char label[128];
	int flags = 0;

	connection_open(&c, client_ctx, server_ctx);
	if (wolfSSL_set_cipher_list(c.client, suite) != WOLFSSL_SUCCESS)
		fail("the client rejected the suite %s", suite);
	handshake(&c);
	client_read_pending(&c);
	/* Compared by number: builds differ in which name they return. */
	if (wolfSSL_get_cipher_suite_from_name(suite, &suite0, &suite1,
	    &flags) != 0)
		fail("the linked wolfSSL does not know the suite %s", suite);
	if (wolfSSL_get_current_cipher_suite(c.server) != (suite0 << 8 | suite1))
		fail("negotiated %s instead of %s", wolfSSL_get_cipher(c.server),
		    suite);

	memset(out, 'x', sizeof(out));
	start = now();
	while (bytes < MAX_BULK_BYTES && (bytes == 0 || now() - start < time_limit)) {
		transfer_record(&c, SERVER, out, in, &seal_seconds, &open_seconds);
		bytes += RECORD_SIZE;
	}
	connection_close(&c);

	snprintf(label, sizeof(label), "bulk %s, write+read", name);
	report(label, (double)bytes / 1e6 / (seal_seconds + open_seconds),
	    "MB/s", true);
	snprintf(label, sizeof(label), "  encrypt (server write), %s", name);
	report(label, (double)bytes / 1e6 / seal_seconds, "MB/s", true);
	snprintf(label, sizeof(label), "  decrypt (client read), %s", name);
	report(label, (double)bytes / 1e6 / open_seconds, "MB/s", true);
}

/*
 * Measures the server's heap per idle session, right after the handshake and
 * again after one full record each way (a buffer grown for a record might
 * stay).  IDLE_SESSIONS sessions are opened and kept, and the growth of the
 * server's heap is divided among them.  Process-wide caches, such as the
 * fixed-point ECC cache of Debian's build, grow during the earlier measurements
 * and the warm-up handshakes here.  A cache that still grew would add to the
 * figure.
 */
static void
bench_idle_heap(const char *name, WOLFSSL_CTX *server_ctx,
    WOLFSSL_CTX *client_ctx)
{
	static struct connection held[IDLE_SESSIONS];
	static char out[RECORD_SIZE], in[RECORD_SIZE];
	double ignored = 0;
	size_t before;
	char label[128];

	for (int i = 0; i < 8; i++) {
		connection_open(&held[0], client_ctx, server_ctx);
		handshake(&held[0]);
		connection_close(&held[0]);
	}

	before = heap_in_use[SERVER];
	for (int i = 0; i < IDLE_SESSIONS; i++) {
		connection_open(&held[i], client_ctx, server_ctx);
		handshake(&held[i]);
		client_read_pending(&held[i]);
	}
	snprintf(label, sizeof(label), "heap per idle server session, %s", name);
	report(label, (double)(heap_in_use[SERVER] - before) / IDLE_SESSIONS,
	    "bytes", false);

	for (int i = 0; i < IDLE_SESSIONS; i++) {
		transfer_record(&held[i], CLIENT, out, in, &ignored, &ignored);
		transfer_record(&held[i], SERVER, out, in, &ignored, &ignored);
	}
	snprintf(label, sizeof(label), "  after 16 KB each way, %s", name);
	report(label, (double)(heap_in_use[SERVER] - before) / IDLE_SESSIONS,
	    "bytes", false);

	for (int i = 0; i < IDLE_SESSIONS; i++)
		connection_close(&held[i]);
}

static void
make_certificates(const char *dir)
{
	char command[1024];
	static const char *const keys[][2] = {
		{ "ecdsa", "-newkey ec -pkeyopt ec_paramgen_curve:P-256" },
		{ "rsa", "-newkey rsa:2048" },
	};

	for (size_t i = 0; i < 2; i++) {
		snprintf(command, sizeof(command), "openssl req -x509 %s -nodes "
		    "-keyout '%s/%s-key.pem' -out '%s/%s-cert.pem' -days 2 "
		    "-subj /CN=bench.invalid 2>/dev/null", keys[i][1], dir,
		    keys[i][0], dir, keys[i][0]);
		if (system(command) != 0)
			fail("openssl could not make the %s certificate in %s "
			    "(is the openssl command installed?)", keys[i][0], dir);
	}
}

static void
remove_certificates(const char *dir)
{
	static const char *const files[] = { "ecdsa-key.pem", "ecdsa-cert.pem",
	    "rsa-key.pem", "rsa-cert.pem" };
	char path[512];

	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: bench-tls [--seconds S] [--tsv] [--certs DIR] "
	    "[--disable-cpu LIST]\n"
	    "  --seconds S        time limit per measurement in seconds "
	    "(default 1)\n"
	    "  --tsv              print label, value, unit and which direction "
	    "is better, tab-separated\n"
	    "  --certs DIR        read {ecdsa,rsa}-{cert,key}.pem from DIR "
	    "instead of making them with openssl\n"
	    "  --disable-cpu LIST make wolfSSL ignore these CPU features "
	    "(aesni,avx1,avx2,bmi1,bmi2,adx,... or all)\n");
}

static void
print_build_info(void)
{
	struct tls_build_info info;

	if (!tsv) {
		tls_print_build_info(stdout);
		return;
	}
	tls_get_build_info(&info);
	printf("info\twolfSSL\t%s\n", info.library_version);
	printf("info\tbuild\t%s\n", info.built_for_subtls ? "for subtls" :
	    "system");
	printf("info\tAES-NI\t%s\n", !info.aesni_compiled ? "not compiled" :
	    info.aesni_in_use ? "in use" : "compiled, off");
}

int
main(int argc, char **argv)
{
	char temp[] = "/tmp/bench-tls.XXXXXX", path[2][512], err[256];
	const char *certs = NULL, *disable = NULL;
	WOLFSSL_CTX *ecdsa, *rsa, *client, *client12, *client12_tickets;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tsv") == 0)
			tsv = true;
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			time_limit = strtod(argv[++i], NULL);
		else if (strcmp(argv[i], "--certs") == 0 && i + 1 < argc)
			certs = argv[++i];
		else if (strcmp(argv[i], "--disable-cpu") == 0 && i + 1 < argc)
			disable = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!(time_limit > 0 && time_limit <= 600))
		fail("invalid --seconds (expected more than 0, at most 600)");

	/* Before any other wolfSSL call: every block must pass the counter. */
	if (wolfSSL_SetAllocators(counted_malloc, counted_free,
	    counted_realloc) != 0)
		fail("wolfSSL_SetAllocators failed");
	if (tls_disable_cpu_features(disable, err, sizeof(err)) != 0)
		fail("--disable-cpu: %s", err);
	if (wolfSSL_Init() != WOLFSSL_SUCCESS)
		fail("wolfSSL_Init failed");
	print_build_info();

	if (certs == NULL) {
		if (mkdtemp(temp) == NULL)
			fail("cannot make a temporary directory: %s", strerror(errno));
		make_certificates(temp);
	}
	snprintf(path[0], sizeof(path[0]), "%s/ecdsa-cert.pem", certs ? certs : temp);
	snprintf(path[1], sizeof(path[1]), "%s/ecdsa-key.pem", certs ? certs : temp);
	ecdsa = server_context(path[0], path[1]);
	snprintf(path[0], sizeof(path[0]), "%s/rsa-cert.pem", certs ? certs : temp);
	snprintf(path[1], sizeof(path[1]), "%s/rsa-key.pem", certs ? certs : temp);
	rsa = server_context(path[0], path[1]);
	client = client_context(wolfTLSv1_3_client_method());
	client12 = client_context(wolfTLSv1_2_client_method());
	/* A TLS 1.2 client requests tickets only when enabled.  A separate
	 * context keeps the TLS 1.2 idle heap figure comparable with earlier
	 * runs. */
	client12_tickets = client_context(wolfTLSv1_2_client_method());
	if (wolfSSL_CTX_UseSessionTicket(client12_tickets) != WOLFSSL_SUCCESS)
		fail("the TLS 1.2 client cannot ask for session tickets");
	if (certs == NULL)
		remove_certificates(temp);

	bench_handshakes("TLS 1.3, ECDSA P-256, X25519", ecdsa, client,
	    WOLFSSL_ECC_X25519, true);
	/* smtp-load sends a P-256 key share, so subtls negotiates P-256 with it. */
	bench_handshakes("TLS 1.3, ECDSA P-256, P-256", ecdsa, client,
	    WOLFSSL_ECC_SECP256R1, true);
	bench_handshakes("TLS 1.3, RSA-2048, X25519", rsa, client,
	    WOLFSSL_ECC_X25519, true);
	bench_handshakes("TLS 1.3, RSA-2048, P-256", rsa, client,
	    WOLFSSL_ECC_SECP256R1, true);
	bench_handshakes("TLS 1.2, ECDSA P-256, default ECDHE", ecdsa,
	    client12_tickets, 0, true);
	bench_handshakes("TLS 1.2, RSA-2048, default ECDHE", rsa,
	    client12_tickets, 0, true);

	bench_bulk("AES-128-GCM", "TLS13-AES128-GCM-SHA256", ecdsa, client);
	bench_bulk("AES-256-GCM", "TLS13-AES256-GCM-SHA384", ecdsa, client);
	bench_bulk("ChaCha20-Poly1305", "TLS13-CHACHA20-POLY1305-SHA256", ecdsa,
	    client);

	bench_idle_heap("TLS 1.3, ECDSA P-256", ecdsa, client);
	bench_idle_heap("TLS 1.3, RSA-2048", rsa, client);
	bench_idle_heap("TLS 1.2, ECDSA P-256", ecdsa, client12);

	wolfSSL_CTX_free(client12_tickets);
	wolfSSL_CTX_free(client12);
	wolfSSL_CTX_free(client);
	wolfSSL_CTX_free(rsa);
	wolfSSL_CTX_free(ecdsa);
	wolfSSL_Cleanup();
	return 0;
}
