/*
 * smtp-load: a load client for SMTP submission over TLS, used to benchmark
 * subtls and other TLS fronts.  This header contains the types that the
 * option parser, the workers, the sessions and the report share.
 *
 * Each worker thread runs one libuv loop with a fixed array of session
 * slots.  A slot runs one connection at a time: connect, TLS (implicit or
 * after STARTTLS), EHLO, AUTH, messages, QUIT.  Workers count into their own
 * struct load_stats, which the main thread merges after they have finished.
 */
#ifndef SMTP_LOAD_H
#define SMTP_LOAD_H

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#define REPLY_LINE_SIZE 1024	/* RFC 5321 section 4.5.3.1.5 allows 512 */
#define ERROR_TEXT_SIZE 300

enum load_mode { MODE_IMPLICIT, MODE_STARTTLS };
enum tls_version_choice { TLS_VERSION_ANY, TLS_VERSION_1_2, TLS_VERSION_1_3 };

enum error_kind {
	ERROR_NONE = -1,
	ERROR_CONNECT,		/* TCP connect failed */
	ERROR_TLS,		/* handshake or record layer failed */
	ERROR_SMTP,		/* a reply with a code other than expected */
	ERROR_TIMEOUT,		/* a step took longer than --timeout */
	ERROR_CLOSED,		/* the server closed or reset the connection early */
	ERROR_KINDS
};

/* The command line, read-only once parse_options() has returned. */
struct load_options {
	enum load_mode mode;
	struct sockaddr_storage server;
	const char *host;
	int port;
	const char *sni;
	const char *cafile;
	bool insecure;
	const char *auth;		/* USER:PASS, or NULL */
	char *auth_plain;		/* base64 of "\0USER\0PASS" */
	const char *from, *to, *ehlo_name;
	long messages;			/* per connection */
	long size;			/* body bytes per message */
	bool resume;
	enum tls_version_choice tls_version;
	const char *ciphers;
	long connections;		/* 0: limited by duration only */
	double duration;		/* seconds; 3600 when only connections is set */
	long concurrency;
	int threads;
	const char *json_path;
	long idle;			/* 0: load run; else sessions to hold */
	double hold;			/* seconds to hold idle sessions */
	double rate;			/* connections per second, 0: unlimited */
	long max_opening;		/* sessions in setup at once, 0: no limit */
	double timeout;			/* seconds per step */
	uint32_t source_first;		/* IPv4 source range, host byte order */
	uint32_t source_count;		/* 0: let the kernel choose */
	char *message;			/* DATA content, ending with ".\r\n" */
	size_t message_length;
};

extern struct load_options options;

/*
 * A log-linear histogram of microseconds: values below 128 are exact, larger
 * ones fall into 64 buckets per power of two, and a percentile read from it is
 * the middle of its bucket, within 1% of the true sample.  Its size is fixed
 * whatever the run length.
 */
#define HISTOGRAM_EXACT 128
#define HISTOGRAM_SUBBUCKETS 64
#define HISTOGRAM_MAX_SHIFT 34
#define HISTOGRAM_BUCKETS \
	(HISTOGRAM_EXACT + HISTOGRAM_MAX_SHIFT * HISTOGRAM_SUBBUCKETS)

struct histogram {
	uint64_t counts[HISTOGRAM_BUCKETS];
	uint64_t total;
	uint64_t max_micros;
};

void histogram_add(struct histogram *h, uint64_t micros);
void histogram_merge(struct histogram *into, const struct histogram *from);
/* Returns the p-th quantile (0 < p <= 1) in milliseconds, or -1 when empty. */
double histogram_quantile_ms(const struct histogram *h, double p);

struct load_stats {
	uint64_t connections_started;
	uint64_t connections_completed;	/* ended with 221 after QUIT */
	uint64_t handshakes;
	uint64_t resumed;
	uint64_t messages;		/* accepted with 250 after the data */
	uint64_t idle_established;
	uint64_t errors[ERROR_KINDS];
	struct histogram message_latency;	/* MAIL sent to 250 after data */
	struct histogram setup_latency;	/* connect to EHLO reply on TLS */
	char first_error[ERROR_TEXT_SIZE];
	/* Cipher suite and key exchange group of the first handshake: what the
	 * handshake figures measure. */
	char cipher[64];
	char group[32];
};

/* Where a session is.  Every change goes through session_set_state(). */
enum session_state {
	SESSION_FREE,		/* the slot contains no connection */
	SESSION_CONNECTING,
	SESSION_GREETING,	/* waiting for 220 */
	SESSION_EHLO,		/* waiting for the EHLO reply */
	SESSION_STARTTLS,	/* waiting for 220 to STARTTLS */
	SESSION_HANDSHAKE,
	SESSION_AUTH,		/* waiting for 235 */
	SESSION_MAIL,
	SESSION_RCPT,
	SESSION_DATA,		/* waiting for 354 */
	SESSION_BODY,		/* sending the message */
	SESSION_DATA_END,	/* waiting for 250 after the message */
	SESSION_HOLD,		/* idle run: set up and held open */
	SESSION_QUIT,		/* waiting for 221 */
	SESSION_CLOSING,	/* uv_close() called, waiting for its callback */
};

struct worker;

struct session {
	enum session_state state;
	struct worker *worker;
	uint64_t number;		/* connection number within the worker */
	uv_tcp_t tcp;
	uv_connect_t connect_request;
	WOLFSSL *ssl;
	WOLFSSL_SESSION *saved;		/* for resumption on the next connection */
	const char *input;		/* ciphertext offered to wolfSSL */
	size_t input_length;
	bool tls;			/* bytes on the socket are TLS records */
	bool write_failed;
	bool opening;			/* counted in worker->opening */
	uint64_t deadline_ns;		/* 0: no step deadline */
	uint64_t connect_ns;
	uint64_t mail_ns;
	size_t queued;			/* bytes in pending uv_write requests */
	size_t body_offset;
	long messages_done;
	size_t line_length;
	char line[REPLY_LINE_SIZE];
};

struct worker {
	int index;
	pthread_t thread;
	uv_loop_t loop;
	uv_async_t stop_async;
	uv_timer_t tick;
	WOLFSSL_CTX *ctx;
	struct session *sessions;
	long slots;
	long *free_slots;		/* stack of free slot indexes */
	long free_count;
	long budget;			/* connections this worker may still start */
	long active;			/* slots not SESSION_FREE */
	long opening;			/* sessions between connect and set-up */
	long max_opening;		/* 0: no limit */
	double rate;			/* per second, 0: no limit */
	double tokens;
	uint64_t last_tick_ns;
	uint64_t started_ns;
	uint64_t stop_ns;		/* 0 until the worker is stopping */
	uint64_t finished_ns;		/* when its loop ended */
	bool stopping;
	bool ready;			/* idle run: every session set up or failed */
	unsigned ticks;
	struct load_stats stats;
	char read_buffer[65536];
	char plaintext[16384];
};

/* Counters that the main thread reads while the workers run. */
extern atomic_int workers_ready;
extern atomic_int workers_done;
extern atomic_long idle_established_total;
extern atomic_uint source_next;

int parse_options(int argc, char **argv);
WOLFSSL_CTX *tls_client_context(void);

/* Starts sessions while the worker's budget, rate and limits allow it. */
void worker_launch(struct worker *w);
/* Stops starting sessions and sends QUIT on held ones.  Runs on the loop. */
void worker_stop(struct worker *w);
void worker_finish_if_done(struct worker *w);
void worker_mark_ready_if_done(struct worker *w);

void session_start(struct worker *w, struct session *s);
void session_check_deadline(struct session *s, uint64_t now);
/* Ends the session: kind ERROR_NONE for a normal end, else counts an error. */
__attribute__((format(printf, 3, 4)))
void session_close(struct session *s, enum error_kind kind, const char *fmt,
    ...);
void session_quit(struct session *s);
const char *session_state_name(enum session_state state);

void report_text(const struct load_stats *stats, double elapsed);
int report_json(const char *path, const struct load_stats *stats,
    double elapsed, const char *state);
const char *error_kind_name(enum error_kind kind);

#endif
