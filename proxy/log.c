/*
 * Log lines: "<UTC time> <ident>[<pid>]: <level>: <message>" on stderr
 * (without the time when stderr is the systemd journal), or the message alone through syslog (facility mail), whose priority carries
 * the level and whose header adds the ident and pid.  With log_format =
 * json, the JSON object of log_json.h replaces the whole stderr line, and
 * the message in syslog.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "proxy/log.h"
#include "proxy/log_json.h"

/* Atomic, because a reload on the main thread sets them while the other
 * workers log. */
static _Atomic(enum config_log_target) log_target = CONFIG_LOG_STDERR;
static _Atomic(enum config_log_level) log_level = CONFIG_LOG_INFO;
static _Atomic(enum config_log_format) log_format = CONFIG_LOG_TEXT;
static atomic_bool log_starting = true;

/*
 * openlog() keeps one ident per process, and syslog has no per-call ident, so
 * the ident is switched when it changes.  With worker threads, syslog_lock
 * keeps each switch and the syslog() call after it together, so a line never
 * goes out under another listener's ident.
 */
static char syslog_ident[LOG_IDENT_MAX];
static pthread_mutex_t syslog_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {
	[CONFIG_LOG_ERROR] = "error",
	[CONFIG_LOG_WARNING] = "warning",
	[CONFIG_LOG_INFO] = "info",
	[CONFIG_LOG_DEBUG] = "debug",
};

static const int syslog_priorities[] = {
	[CONFIG_LOG_ERROR] = LOG_ERR,
	[CONFIG_LOG_WARNING] = LOG_WARNING,
	[CONFIG_LOG_INFO] = LOG_INFO,
	[CONFIG_LOG_DEBUG] = LOG_DEBUG,
};

void
log_setup(enum config_log_target target, enum config_log_level level)
{
	log_target = target;
	log_level = level;
}

void
log_set_format(enum config_log_format format)
{
	log_format = format;
}

void
log_open_syslog(void)
{
	if (log_target != CONFIG_LOG_SYSLOG)
		return;
	pthread_mutex_lock(&syslog_lock);
	if (syslog_ident[0] == '\0') {
		snprintf(syslog_ident, sizeof(syslog_ident), "subtls");
		openlog(syslog_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	}
	pthread_mutex_unlock(&syslog_lock);
}

void
log_startup_done(void)
{
	log_starting = false;
}

bool
log_enabled(enum config_log_level level)
{
	return level <= log_level;
}

/* Writes the current time as RFC 3339 UTC with milliseconds. */
static void
format_time(char *out, size_t cap)
{
	struct timeval now;
	struct tm tm;
	char seconds[24];

	gettimeofday(&now, NULL);
	gmtime_r(&now.tv_sec, &tm);
	strftime(seconds, sizeof(seconds), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, cap, "%s.%03uZ", seconds,
	    (unsigned)(now.tv_usec / 1000) % 1000);
}

/*
 * Returns whether stderr is a stream to the systemd journal: systemd sets
 * JOURNAL_STREAM to "<device>:<inode>" of that stream (systemd.exec(5)), and
 * the variable is inherited, so the numbers must match stderr itself.
 */
static bool
stderr_is_journal(void)
{
	static int cached = -1;
	const char *stream;
	char *end;
	unsigned long long device, inode;
	struct stat st;

	if (cached >= 0)
		return cached == 1;
	cached = 0;
	stream = getenv("JOURNAL_STREAM");
	if (stream == NULL || fstat(STDERR_FILENO, &st) != 0)
		return false;
	errno = 0;
	device = strtoull(stream, &end, 10);
	if (errno != 0 || end == stream || *end != ':')
		return false;
	stream = end + 1;
	inode = strtoull(stream, &end, 10);
	if (errno != 0 || end == stream || *end != '\0')
		return false;
	if ((unsigned long long)st.st_dev == device &&
	    (unsigned long long)st.st_ino == inode)
		cached = 1;
	return cached == 1;
}

static void
write_stderr(enum config_log_level level, const char *ident, const char *msg)
{
	char stamp[48];

	/* The journal stores its own time stamp for each line. */
	if (stderr_is_journal()) {
		fprintf(stderr, "%s[%ld]: %s: %s\n", ident, (long)getpid(),
		    level_names[level], msg);
		return;
	}
	format_time(stamp, sizeof(stamp));
	fprintf(stderr, "%s %s[%ld]: %s: %s\n", stamp, ident, (long)getpid(),
	    level_names[level], msg);
}

/* The JSON object goes to stderr as it is: a collector reads one object
 * per line. */
static void
write_stderr_json(const char *json)
{
	fprintf(stderr, "%s\n", json);
}

static void
write_syslog(enum config_log_level level, const char *ident, const char *msg)
{
	pthread_mutex_lock(&syslog_lock);
	if (strcmp(syslog_ident, ident) != 0) {
		snprintf(syslog_ident, sizeof(syslog_ident), "%s", ident);
		openlog(syslog_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	}
	/* The priority carries the level, so the text does not repeat it. */
	syslog(syslog_priorities[level], "%s", msg);
	pthread_mutex_unlock(&syslog_lock);
}

static void
log_json(enum config_log_level level, const char *ident, const char *msg)
{
	char stamp[48];
	char json[LOG_JSON_LINE_MAX];

	format_time(stamp, sizeof(stamp));
	log_json_format(json, sizeof(json), stamp, level_names[level], ident,
	    msg);
	if (log_target == CONFIG_LOG_SYSLOG) {
		write_syslog(level, ident, json);
		if (log_starting || level == CONFIG_LOG_ERROR)
			write_stderr_json(json);
	} else
		write_stderr_json(json);
}

void
log_message(enum config_log_level level, const char *ident, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (log_format == CONFIG_LOG_JSON) {
		log_json(level, ident, msg);
		return;
	}
	if (log_target == CONFIG_LOG_SYSLOG) {
		write_syslog(level, ident, msg);
		/* Errors also reach stderr: syslog may have no daemon. */
		if (log_starting || level == CONFIG_LOG_ERROR)
			write_stderr(level, ident, msg);
	} else
		write_stderr(level, ident, msg);
}

const char *
log_field(const char *text, char *out, size_t cap)
{
	size_t n = 0;

	for (; *text != '\0' && n + 5 < cap; text++) {
		unsigned char c = (unsigned char)*text;

		if (c > ' ' && c < 127 && c != '"' && c != '\\')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
	}
	out[n] = '\0';
	return out;
}
