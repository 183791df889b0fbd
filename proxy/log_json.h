/*
 * The JSON form of a log line (log_format = json): one object per line,
 * built from the same message text as the key=value form, so that no call
 * site needs to know which format is in use.
 */
#ifndef PROXY_LOG_JSON_H
#define PROXY_LOG_JSON_H

#include <stddef.h>

/* Room for the JSON form of a message of up to 1023 bytes: every byte may
 * become a six-byte \u00XX escape, plus the fixed members. */
#define LOG_JSON_LINE_MAX 8192

/*
 * Writes one JSON object (RFC 8259), without a line end, into out and
 * returns its length.  The members are, in order: time, level, ident,
 * listener (the part of ident after '/', when there is one), msg, then one
 * member per key=value word of message, in the order of the message.
 *
 * message is split at spaces.  A word "key=value" becomes the member "key"
 * with the string value "value" when the key is a lowercase letter followed
 * by lowercase letters, digits or '_'.  The key "s" becomes "session".  A
 * quoted value (detail="drain timeout") may contain spaces and loses its
 * quotes.  One trailing ':' of a value is dropped, because free text puts
 * one there ("backend=unix:/x: the socket does not exist").  Every other word goes
 * into msg, joined by single spaces.  A key that is already a member keeps
 * its first value.  All values are strings, escaped as JSON requires;
 * bytes that are not valid UTF-8 are written as the text \xNN, as the
 * key=value format does.  When cap is too small for a member, that member
 * and the rest are left out and the object is still closed; cap must be
 * at least 3.
 */
size_t log_json_format(char *out, size_t cap, const char *time,
    const char *level, const char *ident, const char *message);

#endif
