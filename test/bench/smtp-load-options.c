/*
 * The command line of smtp-load: parsing, checks between options, the AUTH
 * PLAIN token and the message that every session sends.
 */
#include "test/bench/smtp-load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SECONDS 86400.0	/* cap of --duration, --hold and --timeout */
#define DEFAULT_RUN_SECONDS 3600.0	/* cap of a run limited by --connections */
#define MAX_SESSIONS 100000
#define MAX_THREADS 64
#define MAX_MESSAGE_SIZE (1L << 30)
#define LINE_LENGTH 76

struct load_options options;

static const char usage_text[] =
"usage: smtp-load --port PORT (--cafile FILE | --insecure)\n"
"                 (--connections N | --duration SECONDS | --idle N) [options]\n"
"\n"
"Connection:\n"
"  --mode implicit|starttls  TLS from the first byte, or after STARTTLS\n"
"                            (default implicit)\n"
"  --host ADDRESS            server IPv4 or IPv6 address (default 127.0.0.1)\n"
"  --port PORT               server port\n"
"  --source-range A-B        bind each connection to the next IPv4 address\n"
"                            from A to B, such as 127.0.0.2-127.0.0.250\n"
"  --sni NAME                server name sent in the ClientHello; with\n"
"                            --cafile also the name the certificate must match\n"
"                            (default: --host)\n"
"  --cafile FILE             verify the server's certificate against the PEM\n"
"                            CA certificates in FILE\n"
"  --insecure                do not verify the server (benchmarks only)\n"
"  --tls-version 1.2|1.3     offer only this version (default: both)\n"
"  --ciphers LIST            wolfSSL cipher suite list, colon-separated\n"
"  --resume yes|no           offer the TLS session of the slot's previous\n"
"                            connection: ticket or session ID (default no)\n"
"\n"
"SMTP:\n"
"  --ehlo NAME               EHLO argument (default smtp-load.example.com)\n"
"  --auth USER:PASS          AUTH PLAIN after EHLO on TLS\n"
"  --from ADDRESS            MAIL FROM (default smtp-load@example.com)\n"
"  --to ADDRESS              RCPT TO (default sink@example.com)\n"
"  --messages M              messages per connection (default 1)\n"
"  --size BYTES              message body size, in lines of 76 characters\n"
"                            and CRLF, after the headers (default 1024)\n"
"\n"
"Load run (stops at whichever limit comes first):\n"
"  --connections TOTAL       connections to make in all\n"
"  --duration SECONDS        stop starting connections after SECONDS\n"
"                            (default and maximum with --connections: 3600)\n"
"  --concurrency N           sessions open at once (default 1)\n"
"  --threads T               libuv loops in T threads, N/T sessions each\n"
"                            (default 1)\n"
"\n"
"Idle run:\n"
"  --idle N                  open N sessions up to EHLO (and AUTH), print\n"
"                            \"ready N\" and hold them\n"
"  --hold SECONDS            then send QUIT after SECONDS, or on SIGINT or\n"
"                            SIGTERM (default 3600)\n"
"\n"
"Both:\n"
"  --rate PER_SECOND         new connections per second (default 500 for\n"
"                            --idle, else no limit)\n"
"  --max-opening N           sessions between connect and set-up at once\n"
"                            (default 100 for --idle, else no limit)\n"
"  --timeout SECONDS         time allowed per step (default 30)\n"
"  --json FILE               write the report (and the idle \"ready\" status)\n"
"                            to FILE as JSON\n"
"\n"
"Exit status: 0 without errors, 1 when any session failed, 2 on invalid\n"
"options or setup failure.\n";

enum option_id {
	OPT_MODE = 256, OPT_HOST, OPT_PORT, OPT_SOURCE_RANGE, OPT_SNI,
	OPT_CAFILE, OPT_INSECURE, OPT_TLS_VERSION, OPT_CIPHERS, OPT_RESUME,
	OPT_EHLO, OPT_AUTH, OPT_FROM, OPT_TO, OPT_MESSAGES, OPT_SIZE,
	OPT_CONNECTIONS, OPT_DURATION, OPT_CONCURRENCY, OPT_THREADS, OPT_IDLE,
	OPT_HOLD, OPT_RATE, OPT_MAX_OPENING, OPT_TIMEOUT, OPT_JSON, OPT_HELP,
};

static const struct option long_options[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "source-range", required_argument, NULL, OPT_SOURCE_RANGE },
	{ "sni", required_argument, NULL, OPT_SNI },
	{ "cafile", required_argument, NULL, OPT_CAFILE },
	{ "insecure", no_argument, NULL, OPT_INSECURE },
	{ "tls-version", required_argument, NULL, OPT_TLS_VERSION },
	{ "ciphers", required_argument, NULL, OPT_CIPHERS },
	{ "resume", required_argument, NULL, OPT_RESUME },
	{ "ehlo", required_argument, NULL, OPT_EHLO },
	{ "auth", required_argument, NULL, OPT_AUTH },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "messages", required_argument, NULL, OPT_MESSAGES },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "connections", required_argument, NULL, OPT_CONNECTIONS },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "hold", required_argument, NULL, OPT_HOLD },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "max-opening", required_argument, NULL, OPT_MAX_OPENING },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

__attribute__((format(printf, 1, 2)))
static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "smtp-load: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(smtp-load --help lists the options)\n");
	return -1;
}

static int
parse_count(const char *name, const char *text, long min, long max, long *out)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < min ||
	    value > max)
		return usage_error("--%s %s: invalid (a whole number from %ld to"
		    " %ld)", name, text, min, max);
	*out = value;
	return 0;
}

static int
parse_seconds(const char *name, const char *text, double max, double *out)
{
	char *end;
	double value;

	errno = 0;
	value = strtod(text, &end);
	if (errno != 0 || end == text || *end != '\0' || !isfinite(value) ||
	    value <= 0 || value > max)
		return usage_error("--%s %s: invalid (seconds, more than 0 and at"
		    " most %g)", name, text, max);
	*out = value;
	return 0;
}

static int
parse_choice(const char *name, const char *text, const char *const *choices,
    int *out)
{
	for (int i = 0; choices[i] != NULL; i++) {
		if (strcmp(text, choices[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return usage_error("--%s %s: invalid (allowed: %s or %s)", name, text,
	    choices[0], choices[1]);
}

static int
parse_source_range(const char *text)
{
	char first[INET_ADDRSTRLEN], last[INET_ADDRSTRLEN];
	struct in_addr a, b;
	const char *dash = strchr(text, '-');

	if (dash == NULL || (size_t)(dash - text) >= sizeof(first) ||
	    strlen(dash + 1) >= sizeof(last))
		return usage_error("--source-range %s: invalid (two IPv4"
		    " addresses: FIRST-LAST)", text);
	memcpy(first, text, (size_t)(dash - text));
	first[dash - text] = '\0';
	strcpy(last, dash + 1);
	if (inet_pton(AF_INET, first, &a) != 1 ||
	    inet_pton(AF_INET, last, &b) != 1 || ntohl(a.s_addr) > ntohl(b.s_addr))
		return usage_error("--source-range %s: invalid (two IPv4"
		    " addresses, the first not above the last)", text);
	options.source_first = ntohl(a.s_addr);
	options.source_count = ntohl(b.s_addr) - ntohl(a.s_addr) + 1;
	return 0;
}

static char *
base64_encode(const unsigned char *data, size_t length)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((length + 2) / 3 * 4 + 1);
	char *p = out;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < length; i += 3) {
		uint32_t group = (uint32_t)data[i] << 16;

		if (i + 1 < length)
			group |= (uint32_t)data[i + 1] << 8;
		if (i + 2 < length)
			group |= data[i + 2];
		*p++ = alphabet[group >> 18 & 63];
		*p++ = alphabet[group >> 12 & 63];
		*p++ = i + 1 < length ? alphabet[group >> 6 & 63] : '=';
		*p++ = i + 2 < length ? alphabet[group & 63] : '=';
	}
	*p = '\0';
	return out;
}

/* Builds the AUTH PLAIN initial response (RFC 4616): "\0USER\0PASS". */
static int
build_auth_plain(void)
{
	const char *colon = strchr(options.auth, ':');
	size_t length = strlen(options.auth) + 1;
	unsigned char *plain;

	if (colon == NULL || colon == options.auth)
		return usage_error("--auth: invalid (USER:PASS)");
	plain = malloc(length);
	if (plain == NULL)
		return usage_error("out of memory");
	plain[0] = '\0';
	memcpy(plain + 1, options.auth, length - 1);
	plain[1 + (colon - options.auth)] = '\0';
	options.auth_plain = base64_encode(plain, length);
	free(plain);
	return options.auth_plain != NULL ? 0 : usage_error("out of memory");
}

/*
 * Builds the DATA content: headers, a blank line, options.size bytes of body
 * in lines of up to 76 letters and CRLF, and the final ".\r\n".  No body line
 * starts with a dot, so no dot-stuffing is needed.
 */
static int
build_message(void)
{
	char date[64], headers[1024];
	time_t now = time(NULL);
	size_t header_length, remaining = (size_t)options.size;
	char *p;
	int n;

	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", gmtime(&now));
	n = snprintf(headers, sizeof(headers),
	    "From: <%s>\r\nTo: <%s>\r\nDate: %s\r\n"
	    "Subject: smtp-load test message\r\n\r\n",
	    options.from, options.to, date);
	if (n < 0 || (size_t)n >= sizeof(headers))
		return usage_error("--from or --to: invalid (the headers exceed"
		    " %zu bytes: use shorter addresses)", sizeof(headers));
	header_length = (size_t)n;

	options.message_length = header_length + remaining + 3;
	options.message = malloc(options.message_length);
	if (options.message == NULL)
		return usage_error("--size %ld: out of memory", options.size);
	memcpy(options.message, headers, header_length);
	p = options.message + header_length;

	for (unsigned line = 0; remaining > 0; line++) {
		size_t letters = remaining - 2 < LINE_LENGTH ? remaining - 2 :
		    LINE_LENGTH;

		/* A lone byte cannot end in CRLF: shorten this line by one. */
		if (remaining - letters - 2 == 1)
			letters--;
		for (size_t i = 0; i < letters; i++)
			*p++ = (char)('a' + (line + i) % 26);
		*p++ = '\r';
		*p++ = '\n';
		remaining -= letters + 2;
	}
	memcpy(p, ".\r\n", 3);
	return 0;
}

static int
resolve_host(void)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&options.server;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&options.server;

	if (uv_ip4_addr(options.host, options.port, v4) == 0)
		return 0;
	if (uv_ip6_addr(options.host, options.port, v6) == 0) {
		if (options.source_count > 0)
			return usage_error("--source-range is IPv4 only, but --host"
			    " %s is IPv6", options.host);
		return 0;
	}
	return usage_error("--host %s: invalid (an IPv4 or IPv6 address, such as"
	    " 127.0.0.1)", options.host);
}

/* Checks the options against each other and fills in the defaults that depend on the run. */
static int
check_options(void)
{
	bool idle = options.idle > 0;

	if (options.port == 0)
		return usage_error("--port is missing");
	if (options.cafile == NULL && !options.insecure)
		return usage_error("give --cafile FILE to verify the server, or"
		    " --insecure for a benchmark without verification");
	if (options.cafile != NULL && options.insecure)
		return usage_error("--cafile and --insecure exclude each other");
	if (idle && (options.connections > 0 || options.duration > 0))
		return usage_error("--idle cannot be combined with --connections"
		    " or --duration");
	if (!idle && options.connections == 0 && options.duration == 0)
		return usage_error("no limit: give --connections, --duration or"
		    " --idle");
	if (!idle && options.duration == 0)
		options.duration = DEFAULT_RUN_SECONDS;
	if (options.size == 1)
		return usage_error("--size 1: invalid (0, or at least 2 because"
		    " the body ends with CRLF)");
	if (idle && options.idle < options.threads)
		return usage_error("--idle %ld is below --threads %d",
		    options.idle, options.threads);
	if (!idle && options.concurrency < options.threads)
		return usage_error("--concurrency %ld is below --threads %d",
		    options.concurrency, options.threads);
	if (options.rate < 0)
		options.rate = idle ? 500 : 0;
	if (options.max_opening < 0)
		options.max_opening = idle ? 100 : 0;
	if (options.auth != NULL && build_auth_plain() != 0)
		return -1;
	if (resolve_host() != 0)
		return -1;
	return build_message();
}

static int
parse_one(int id, const char *arg)
{
	static const char *const modes[] = { "implicit", "starttls", NULL };
	static const char *const versions[] = { "1.2", "1.3", NULL };
	static const char *const yes_no[] = { "no", "yes", NULL };
	long value;
	int choice;

	switch (id) {
	case OPT_MODE:
		if (parse_choice("mode", arg, modes, &choice) != 0)
			return -1;
		options.mode = (enum load_mode)choice;
		return 0;
	case OPT_HOST: options.host = arg; return 0;
	case OPT_PORT:
		if (parse_count("port", arg, 1, 65535, &value) != 0)
			return -1;
		options.port = (int)value;
		return 0;
	case OPT_SOURCE_RANGE: return parse_source_range(arg);
	case OPT_SNI: options.sni = arg; return 0;
	case OPT_CAFILE: options.cafile = arg; return 0;
	case OPT_INSECURE: options.insecure = true; return 0;
	case OPT_TLS_VERSION:
		if (parse_choice("tls-version", arg, versions, &choice) != 0)
			return -1;
		options.tls_version = choice == 0 ? TLS_VERSION_1_2 : TLS_VERSION_1_3;
		return 0;
	case OPT_CIPHERS: options.ciphers = arg; return 0;
	case OPT_RESUME:
		if (parse_choice("resume", arg, yes_no, &choice) != 0)
			return -1;
		options.resume = choice == 1;
		return 0;
	case OPT_EHLO: options.ehlo_name = arg; return 0;
	case OPT_AUTH: options.auth = arg; return 0;
	case OPT_FROM: options.from = arg; return 0;
	case OPT_TO: options.to = arg; return 0;
	case OPT_MESSAGES:
		return parse_count("messages", arg, 0, 1000000, &options.messages);
	case OPT_SIZE:
		return parse_count("size", arg, 0, MAX_MESSAGE_SIZE, &options.size);
	case OPT_CONNECTIONS:
		return parse_count("connections", arg, 1, 1000000000,
		    &options.connections);
	case OPT_DURATION:
		return parse_seconds("duration", arg, MAX_SECONDS, &options.duration);
	case OPT_CONCURRENCY:
		return parse_count("concurrency", arg, 1, MAX_SESSIONS,
		    &options.concurrency);
	case OPT_THREADS:
		if (parse_count("threads", arg, 1, MAX_THREADS, &value) != 0)
			return -1;
		options.threads = (int)value;
		return 0;
	case OPT_IDLE:
		return parse_count("idle", arg, 1, MAX_SESSIONS, &options.idle);
	case OPT_HOLD:
		return parse_seconds("hold", arg, MAX_SECONDS, &options.hold);
	case OPT_RATE:
		return parse_seconds("rate", arg, 1e7, &options.rate);
	case OPT_MAX_OPENING:
		return parse_count("max-opening", arg, 1, MAX_SESSIONS,
		    &options.max_opening);
	case OPT_TIMEOUT:
		return parse_seconds("timeout", arg, MAX_SECONDS, &options.timeout);
	case OPT_JSON: options.json_path = arg; return 0;
	default:
		return usage_error("invalid option");
	}
}

/* Fills `options`; returns 0, 1 after --help, or -1 after an error message. */
int
parse_options(int argc, char **argv)
{
	int id;

	options.mode = MODE_IMPLICIT;
	options.host = "127.0.0.1";
	options.ehlo_name = "smtp-load.example.com";
	options.from = "smtp-load@example.com";
	options.to = "sink@example.com";
	options.messages = 1;
	options.size = 1024;
	options.concurrency = 1;
	options.threads = 1;
	options.hold = DEFAULT_RUN_SECONDS;
	options.rate = -1;
	options.max_opening = -1;
	options.timeout = 30;

	while ((id = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		if (id == OPT_HELP) {
			fputs(usage_text, stdout);
			return 1;
		}
		if (id == '?')
			return usage_error("invalid option");
		if (parse_one(id, optarg) != 0)
			return -1;
	}
	if (optind < argc)
		return usage_error("%s: unexpected argument", argv[optind]);
	return check_options();
}
