/*
 * Logging to stderr or syslog.  Each line carries an ident: "subtls" for the
 * process, "subtls/<listener>" for a session, as Postfix does with
 * syslog_name, so both ports log alike and remain distinguishable.
 */
#ifndef PROXY_LOG_H
#define PROXY_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

#define LOG_IDENT_MAX 64

/* Sets where lines go and the lowest level written.  Call before logging. */
void log_setup(enum config_log_target target, enum config_log_level level);

/* Sets the line format: key=value text or JSON (proxy/log_json.h). */
void log_set_format(enum config_log_format format);

/*
 * Connects to syslog now (openlog with LOG_NDELAY) when logging there, so
 * that the connection to /dev/log stays open after a chroot.
 */
void log_open_syslog(void);

/*
 * Marks the end of startup.  Until then every line also goes to stderr when
 * logging to syslog, so that a start that fails is visible even on a machine
 * without a syslog daemon.
 */
void log_startup_done(void);

bool log_enabled(enum config_log_level level);

__attribute__((format(printf, 3, 4)))
void log_message(enum config_log_level level, const char *ident,
    const char *fmt, ...);

/*
 * Copies text a client chose (a sender, a login name) for a log field:
 * control bytes, blanks, '"', '\\' and bytes above 126 become \xNN, so the
 * client can neither split the line nor add fields to it.  Returns out.
 */
const char *log_field(const char *text, char *out, size_t cap);

/* Room log_field() needs for a text of n bytes. */
#define LOG_FIELD_SIZE(n) (4 * (n) + 1)

#define log_error(...) log_message(CONFIG_LOG_ERROR, "subtls", __VA_ARGS__)
#define log_warning(...) log_message(CONFIG_LOG_WARNING, "subtls", __VA_ARGS__)
#define log_info(...) log_message(CONFIG_LOG_INFO, "subtls", __VA_ARGS__)

#endif
