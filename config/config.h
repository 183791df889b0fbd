/*
 * subtls configuration: the INI file read into plain structs.
 *
 * config_load() parses and validates the whole file and reports every error as
 * "file:line: what is wrong (what is allowed)".  Nothing here opens a socket or
 * loads a key; checks that need wolfSSL (a key that matches its certificate,
 * cipher names the linked wolfSSL lacks) are made by tls/ with the positions
 * kept in struct config_position.
 *
 * The file has the sections [global], [tls], [backend] (required), any
 * number of [sni NAME] (NAME: a host name or "*.domain") and one or
 * more [listener NAME] (NAME: 1 to 32 letters, digits, '-', '_', '.'),
 * and an optional [admin] section for the HTTP metrics and health listener.
 * "include = FILE", at the top or in any section, reads FILE in place
 * (config/include.c); positions then name FILE.
 * Section and key names are case-sensitive; an unknown section or key, a
 * section or key given twice and a missing required key are errors.  Lines
 * are "key = value" (':' is no separator), comments start with ';' or '#',
 * and " ;" starts an inline comment.  The list keys (listen, ciphers,
 * ciphersuites, groups, alpn, discard_ehlo_keywords, trusted_proxies) may
 * continue on indented lines; any other indented line is an error.  A line may hold at most 197 characters without its
 * indentation and comment, because Debian's inih r55 reads each line into a
 * 200-byte buffer (ini_reader.h).
 *
 * Values:
 *   durations     "30s", "5m", "1h" or "30" (seconds), 1 s to 24 h
 *   hostname      letters, digits, '-' and '.' in labels of 1 to 63
 *   user, group   existing names (looked up now); group only with user
 *   chroot        an absolute path of an existing directory (checked now)
 *   certificate, key, ocsp_response, client_ca, ticket_key_file  paths of
 *                 readable regular files, opened now, as the user that
 *                 starts subtls (on reload: as the user it runs as);
 *                 relative paths are relative to the working directory.
 *                 certificate may repeat in [tls] and [sni NAME]; each key
 *                 and ocsp_response belongs to the certificate line above it
 *   expiry_warning  a duration as above, also in days ("14d"), 1 s to 3650 d
 *   profile       modern, intermediate or legacy (config/profiles.c)
 *   min_version, max_version  TLS1.0 to TLS1.3 (also TLSv1.2, ...); below
 *                 TLS1.2 only with profile legacy
 *   ciphers, ciphersuites, groups  names from the arrays below, in any case,
 *                 separated by ':', ',' or blanks; aliases (TLS13-AES128-...,
 *                 secp256r1, prime256v1, ...) are stored under the
 *                 canonical name; a name given twice is an error
 *   address       "unix:/absolute/path", "a.b.c.d:port" or "[IPv6]:port",
 *                 numeric, not a wildcard
 *   listen        "a.b.c.d:port" or "[IPv6]:port", numeric, port 1 to 65535,
 *                 separated by ',' or blanks; one address:port may appear
 *                 only once in the file; "*:port" is rejected because
 *                 servers differ on whether it includes IPv6
 *   [admin] listen  one address as for listen; not an address that a
 *                 listener also lists
 *   auth_failures  a whole number from 0 to 100
 *   pretls_bare_lf  accept or reject
 *   max_sessions, max_sessions_per_client, max_handshakes_in_progress
 *                 a whole number up to 60000; only max_sessions cannot be
 *                 0, which turns the others off
 *   connection_rate_per_client  connections a minute, 0 to 1000000
 *   max_errors    a whole number from 1 to 1000
 *   discard_ehlo_keywords  EHLO keywords (RFC 5321 ehlo-keyword, at most 64
 *                 characters) separated by ',' or blanks, in any case; a
 *                 keyword given twice is an error
 *   accept_proxy  no, v1, v2 or any (the PROXY header a listener expects)
 *   trusted_proxies  IPv4 or IPv6 addresses or networks ("10.0.0.0/8",
 *                 "2001:db8::/32", "192.0.2.1"), separated by ',' or
 *                 blanks, without host bits after the prefix length;
 *                 required with accept_proxy other than no, and rejected
 *                 with accept_proxy = no
 * IPv6 zone ids ("[fe80::1%eth0]:25") are not supported.  proxy_tlvs = yes
 * needs identity = proxy-v2, and trace_auth_user = yes needs
 * trace_header = yes.
 */
#ifndef CONFIG_CONFIG_H
#define CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* The position of a setting: its file (owned by the config) and 1-based
 * line. */
struct config_position {
	const char *file;
	unsigned line;		/* 0: not set in the file, a default applies */
};

enum config_log_target { CONFIG_LOG_STDERR, CONFIG_LOG_SYSLOG };

/* Log line format: key=value text, or one JSON object per line. */
enum config_log_format { CONFIG_LOG_TEXT, CONFIG_LOG_JSON };

/* What the pre-TLS dialogue does with a command line that ends in a bare
 * LF. */
enum config_bare_lf {
	CONFIG_BARE_LF_ACCEPT,		/* a line end, as in Postfix */
	CONFIG_BARE_LF_REJECT,		/* 500, counted as an error */
};

enum config_log_level {
	CONFIG_LOG_ERROR,
	CONFIG_LOG_WARNING,
	CONFIG_LOG_INFO,
	CONFIG_LOG_DEBUG,
};

struct config_global {
	char *hostname;			/* default: gethostname() */
	char *user;			/* NULL: keep the starting user */
	char *group;			/* NULL: the user's primary group */
	char *chroot;			/* absolute directory; NULL: none */
	bool allow_root;		/* default no: uid 0 after start-up
					 * is an error */
	uint64_t handshake_timeout_ms;	/* default 30 s */
	uint64_t command_timeout_ms;	/* default 5 min */
	uint64_t idle_timeout_ms;	/* default 10 min */
	uint64_t max_session_time_ms;	/* default 1 h, from accept */
	enum config_bare_lf pretls_bare_lf;	/* default accept */
	uint64_t drain_timeout_ms;	/* default 60 s */
	enum config_log_target log;	/* default stderr */
	enum config_log_level log_level; /* default info */
	enum config_log_format log_format; /* default text */
	unsigned auth_failures;		/* default 5; 0: no throttling */
	uint64_t auth_failure_window_ms; /* default 10 min */
	uint64_t auth_ban_time_ms;	/* default 1 h */
	unsigned max_sessions;		/* default 5000 */
	unsigned max_sessions_per_client; /* default 50; 0: no limit */
	unsigned connection_rate_per_client; /* a minute; default 120; 0: off */
	unsigned max_handshakes_in_progress; /* default 256; 0: no limit */
	unsigned max_errors;		/* default 10, before TLS */
	unsigned workers;		/* event loop threads, default 1;
					 * CONFIG_WORKERS_AUTO: one per CPU */
};

/* Upper bounds of the limits.  max_sessions stays below the entries of the
 * per-client table (proxy/client_limits.h), which must find room for every
 * open session's client. */
#define CONFIG_MAX_SESSIONS_MAX 60000
#define CONFIG_CONNECTION_RATE_MAX 1000000
#define CONFIG_MAX_ERRORS_MAX 1000
#define CONFIG_WORKERS_MAX 64
#define CONFIG_WORKERS_AUTO 0

/* TLS protocol versions as on the wire. */
#define CONFIG_TLS1_0 0x0301
#define CONFIG_TLS1_1 0x0302
#define CONFIG_TLS1_2 0x0303
#define CONFIG_TLS1_3 0x0304

/* One certificate chain with its key and, optionally, its OCSP response.
 * In the file, key and ocsp_response follow their certificate line. */
struct config_certificate {
	char *certificate;		/* PEM chain, leaf first */
	struct config_position certificate_at;
	char *key;			/* PEM private key; NULL: missing */
	struct config_position key_at;
	char *ocsp_response;		/* DER OCSP response, or NULL */
	struct config_position ocsp_response_at;
};

struct config_certificates {
	struct config_certificate *items;	/* in file order */
	size_t count;
};

enum config_verify_client {
	CONFIG_VERIFY_CLIENT_OFF,
	CONFIG_VERIFY_CLIENT_OPTIONAL,
	CONFIG_VERIFY_CLIENT_REQUIRE,
};

/* A [sni NAME] section: the certificates for one server name. */
struct config_sni {
	char *name;			/* lower case; "*.example.org" matches
					 * exactly one label in place of '*' */
	struct config_position at;	/* the section line */
	struct config_certificates certificates;
};

/* The starting points of a TLS policy (config/profiles.c lists them). */
enum config_profile {
	CONFIG_PROFILE_INHERIT,		/* a listener without tls_profile */
	CONFIG_PROFILE_MODERN,
	CONFIG_PROFILE_INTERMEDIATE,
	CONFIG_PROFILE_LEGACY,
};

/*
 * A TLS policy: the profile and the settings that override it.  The [tls]
 * policy applies to every listener without tls_profile, and a listener with
 * tls_profile gets a copy of that profile instead (config/profiles.c).
 * Positions with line 0 mean "from the profile"; profile_at names the line
 * that chose the profile.
 */
struct config_policy {
	enum config_profile profile;	/* default intermediate */
	struct config_position profile_at;
	int min_version;		/* CONFIG_TLS1_0 to CONFIG_TLS1_3 */
	struct config_position min_version_at;
	int max_version;		/* at least min_version */
	struct config_position max_version_at;
	char *ciphers;			/* TLS 1.2 suites, OpenSSL names
					 * joined by ':' */
	struct config_position ciphers_at;
	char *ciphersuites;		/* TLS 1.3 suites, IANA names
					 * (TLS_AES_128_GCM_SHA256) joined by ':' */
	struct config_position ciphersuites_at;
	/* Whether ciphers and ciphersuites come from the profile.  tls/
	 * reorders only those lists by the CPU (tls/suite_order.h), and keeps
	 * a list that the file sets in the order written. */
	bool ciphers_from_profile;
	bool ciphersuites_from_profile;
	char *groups;			/* key exchange groups joined by ':' */
	struct config_position groups_at;
	int prefer_server_ciphers;	/* bool; default 1 (yes) */
	char *alpn;			/* ALPN protocol ids joined by ':' */
	struct config_position alpn_at;
};

struct config_tls {
	/* The default certificates: for clients without SNI or with a name
	 * that no [sni NAME] section lists. */
	struct config_certificates certificates;
	bool strict_sni;		/* reject a name no section lists */
	uint64_t expiry_warning_ms;	/* default 14 days */
	char *client_ca;		/* PEM CA certificates, or NULL */
	struct config_position client_ca_at;
	enum config_verify_client verify_client;	/* default off */
	struct config_position verify_client_at;
	struct config_sni *snis;	/* [sni NAME] sections, in file order */
	size_t sni_count;
	struct config_policy policy;	/* for listeners without tls_profile */
	uint64_t ticket_lifetime_ms;	/* default 12 h */
	char *ticket_key_file;		/* NULL: random keys, rotated */
	struct config_position ticket_key_file_at;
	bool watch_files;		/* reload when a certificate, key, OCSP
					 * response, the client CA or the ticket
					 * key file changes; default no */
};

/* The default policy, profile intermediate: ECDHE with AEAD for TLS 1.2 and
 * the standard TLS 1.3 suites. */
#define CONFIG_DEFAULT_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define CONFIG_DEFAULT_CIPHERSUITES \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256"
#define CONFIG_DEFAULT_GROUPS "X25519:P-256:P-384"
#define CONFIG_DEFAULT_ALPN "smtp"

/* Names the config accepts; tls/ maps them onto wolfSSL.  The legacy names
 * (ECDHE with AES-CBC) are allowed only under profile legacy. */
extern const char *const config_tls12_cipher_names[];	/* NULL-terminated */
extern const char *const config_tls12_legacy_cipher_names[];
extern const char *const config_tls13_suite_names[];
extern const char *const config_group_names[];

enum config_identity {
	CONFIG_IDENTITY_PROXY_V2,
	CONFIG_IDENTITY_PROXY_V1,
	CONFIG_IDENTITY_NONE,
	CONFIG_IDENTITY_XCLIENT,	/* XCLIENT command after TLS */
};

/* One backend address, from one "address" line. */
struct config_backend_address {
	char *text;			/* as written: "unix:/path",
					 * "a.b.c.d:port", "[IPv6]:port" */
	bool is_unix;
	char *unix_path;		/* when is_unix */
	struct sockaddr_storage tcp;	/* otherwise */
	socklen_t tcp_len;
};

struct config_backend {
	struct config_backend_address *addresses; /* in the order tried */
	size_t address_count;
	uint64_t retry_interval_ms;	/* a failed address is skipped and
					 * probed this often; default 30 s */
	enum config_identity identity;	/* default proxy-v2 */
	uint64_t connect_timeout_ms;	/* default 10 s */
	uint64_t reply_timeout_ms;	/* default 10 min, per backend reply */
	bool proxy_tlvs;		/* TLS facts as PROXY v2 TLVs; default
					 * no, only with identity proxy-v2 */
	char **discard_ehlo_keywords;	/* upper case, NULL-terminated, never
					 * NULL after config_load(); STARTTLS,
					 * XCLIENT and XFORWARD are always
					 * removed and not listed here */
	bool trace_header;		/* add a Received: line; default no */
	bool trace_auth_user;		/* name the user in it; default no */
};

enum config_listener_mode { CONFIG_MODE_IMPLICIT, CONFIG_MODE_STARTTLS };

struct config_listen_address {
	char *text;			/* as written: "0.0.0.0:465", "[::]:465" */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	bool ipv6_only;			/* an IPv6 wildcard whose port is also
					 * listed for IPv4 in the same config */
	struct config_position at;	/* the line that lists it, for bind
					 * errors */
};

/* The PROXY header versions that a listener expects (accept_proxy). */
enum config_accept_proxy {
	CONFIG_ACCEPT_PROXY_NO,
	CONFIG_ACCEPT_PROXY_V1,
	CONFIG_ACCEPT_PROXY_V2,
	CONFIG_ACCEPT_PROXY_ANY,
};

/* A network of trusted_proxies: an address with a prefix length. */
struct config_network {
	char *text;			/* as written: "10.0.0.0/8", "::1" */
	int family;			/* AF_INET or AF_INET6 */
	unsigned char address[16];	/* network byte order; AF_INET uses the
					 * first 4 bytes; host bits are 0 */
	unsigned prefix_len;		/* 0 to 32 or 0 to 128 */
};

struct config_listener {
	char *name;			/* from "[listener NAME]" */
	struct config_position at;	/* the section line */
	enum config_listener_mode mode;
	struct config_listen_address *addresses;
	size_t address_count;
	enum config_profile tls_profile;	/* INHERIT: the [tls] policy */
	struct config_position tls_profile_at;
	struct config_policy policy;	/* effective, filled by config_load() */
	bool require_auth;		/* MAIL only after AUTH; default yes */
	enum config_accept_proxy accept_proxy;	/* default no */
	struct config_network *trusted_proxies;	/* needed with accept_proxy */
	size_t trusted_proxy_count;
};

/* The [admin] section: where the HTTP listener for /metrics, /healthz and
 * /readyz listens (proxy/admin.c). */
struct config_admin {
	struct config_listen_address listen;	/* text NULL: no admin
						 * listener */
};

struct config {
	char *path;			/* the file given to config_load() */
	char **includes;		/* paths of the included files, as
					 * positions name them */
	size_t include_count;
	struct config_global global;
	struct config_tls tls;
	struct config_backend backend;
	struct config_listener *listeners;
	size_t listener_count;
	struct config_admin admin;
};

/*
 * Reads and validates path into cfg (which the caller zeroes or leaves
 * uninitialized; it is always initialized here).  Every error is written to
 * errors (when not NULL) as one line "file:line: message (allowed: ...)", or
 * "file: message" for errors that belong to no line (a missing section, a
 * file that cannot be opened).  Errors come in line order, followed by
 * those about missing settings.  Returns the number of errors; cfg must be
 * released with config_free() in every case, and its values are complete
 * only when the count is 0.
 */
unsigned config_load(struct config *cfg, const char *path, FILE *errors);

/*
 * Makes later config_load() calls skip the checks that need files outside a
 * chroot: the user and group lookups and the test that chroot is a
 * directory.  For reloads inside the chroot.  They stay safe because a
 * reload rejects any user, group or chroot other than the running ones
 * (proxy/reload.c), and those were checked at start.
 */
void config_set_chrooted(bool chrooted);

/* Frees everything cfg owns and zeroes it, so a second call is harmless. */
void config_free(struct config *cfg);

/*
 * Writes the effective settings, defaults included, as an INI file that
 * config_load() would accept: canonical names, durations in the largest
 * whole unit, long lists wrapped onto continuation lines.
 */
void config_print(const struct config *cfg, FILE *out);

/* Parses "30s", "5m", "1h" or a bare number of seconds.  Returns false when
 * invalid or out of range (1 s to 24 h). */
bool config_parse_duration(const char *text, uint64_t *ms);

/* Names for printing: "implicit"/"starttls", "proxy-v2"/..., "TLS1.2"/... */
const char *config_mode_name(enum config_listener_mode mode);
const char *config_identity_name(enum config_identity identity);
const char *config_tls_version_name(int version);
const char *config_profile_name(enum config_profile profile);
const char *config_accept_proxy_name(enum config_accept_proxy accept);

/* Returns whether two effective policies build the same TLS context, so
 * that listeners with equal policies can share one. */
bool config_policy_equal(const struct config_policy *a,
    const struct config_policy *b);

#endif
