/*
 * Encodes a log line as one JSON object.  See log_json.h for the members.
 * Pure string code, so that the unit tests can call it without libuv.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "proxy/log_json.h"

/* At most this many members are written; a message has far fewer fields. */
#define MEMBERS_MAX 48

/* An output buffer that keeps room for the closing "}" and NUL. */
struct json_out {
	char *buf;
	size_t cap;
	size_t len;
	bool full;		/* a member did not fit; write no more */
	const char *keys[MEMBERS_MAX];
	size_t key_lengths[MEMBERS_MAX];
	size_t key_count;
};

static void
put_bytes(struct json_out *o, const char *bytes, size_t n)
{
	if (o->full || o->len + n + 2 > o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, bytes, n);
	o->len += n;
}

static void
put_char(struct json_out *o, char c)
{
	put_bytes(o, &c, 1);
}

/*
 * Returns the length of the valid UTF-8 sequence at s (at most n bytes), or
 * 0 when the bytes there are not one.  Overlong forms, surrogates and code
 * points above U+10FFFF are invalid (RFC 3629, section 4).
 */
static size_t
utf8_sequence_length(const unsigned char *s, size_t n)
{
	size_t length;
	unsigned char low = 0x80, high = 0xbf;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		length = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		length = 3;
		if (s[0] == 0xe0)
			low = 0xa0;
		else if (s[0] == 0xed)
			high = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		length = 4;
		if (s[0] == 0xf0)
			low = 0x90;
		else if (s[0] == 0xf4)
			high = 0x8f;
	} else
		return 0;
	if (length > n || s[1] < low || s[1] > high)
		return 0;
	for (size_t i = 2; i < length; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return length;
}

/* Writes the n bytes at text as the inside of a JSON string. */
static void
put_escaped(struct json_out *o, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	char escape[8];
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t sequence;

		if (c == '"' || c == '\\') {
			escape[0] = '\\';
			escape[1] = (char)c;
			put_bytes(o, escape, 2);
		} else if (c == '\n')
			put_bytes(o, "\\n", 2);
		else if (c == '\r')
			put_bytes(o, "\\r", 2);
		else if (c == '\t')
			put_bytes(o, "\\t", 2);
		else if (c < 0x20 || c == 0x7f) {
			snprintf(escape, sizeof(escape), "\\u%04x", c);
			put_bytes(o, escape, 6);
		} else if (c < 0x80)
			put_char(o, (char)c);
		else if ((sequence = utf8_sequence_length(s + i, n - i)) > 0) {
			put_bytes(o, text + i, sequence);
			i += sequence;
			continue;
		} else {
			/* The JSON text \\xNN is the string \xNN. */
			snprintf(escape, sizeof(escape), "\\\\x%02x", c);
			put_bytes(o, escape, 5);
		}
		i++;
	}
}

static bool
key_written(const struct json_out *o, const char *key, size_t n)
{
	for (size_t i = 0; i < o->key_count; i++)
		if (o->key_lengths[i] == n && memcmp(o->keys[i], key, n) == 0)
			return true;
	return false;
}

/* Writes ,"key":"value" unless key is already a member; a member that does
 * not fit is removed again, so the object stays valid. */
static void
put_member(struct json_out *o, const char *key, size_t key_length,
    const char *value, size_t value_length)
{
	size_t start = o->len;

	if (o->full || o->key_count == MEMBERS_MAX ||
	    key_written(o, key, key_length))
		return;
	if (o->len > 1)
		put_char(o, ',');
	put_char(o, '"');
	put_escaped(o, key, key_length);
	put_bytes(o, "\":\"", 3);
	put_escaped(o, value, value_length);
	put_char(o, '"');
	if (o->full) {
		o->len = start;
		return;
	}
	o->keys[o->key_count] = key;
	o->key_lengths[o->key_count] = key_length;
	o->key_count++;
}

static void
put_text_member(struct json_out *o, const char *key, const char *value)
{
	put_member(o, key, strlen(key), value, strlen(value));
}

/* Returns the length of the key of a key=value word, or 0 if word is not
 * one. */
static size_t
field_key_length(const char *word, size_t n)
{
	size_t i = 0;

	if (n == 0 || word[0] < 'a' || word[0] > 'z')
		return 0;
	while (i < n && ((word[i] >= 'a' && word[i] <= 'z') ||
	    (word[i] >= '0' && word[i] <= '9') || word[i] == '_'))
		i++;
	if (i == n || word[i] != '=' || i + 1 == n)
		return 0;
	return i;
}

/*
 * Returns the length of the word at text: up to the next space, except that
 * a field's quoted value (detail="closed before its greeting") runs to its
 * closing quote.  Client text in a value never contains '"', because
 * log_field() writes it as \x22.
 */
static size_t
word_length(const char *text)
{
	size_t n = strcspn(text, " ");
	size_t key_length = field_key_length(text, n);
	const char *close;

	if (key_length == 0 || text[key_length + 1] != '"')
		return n;
	close = strchr(text + key_length + 2, '"');
	if (close == NULL)
		return n;
	return (size_t)(close - text) + 1;
}

/* Copies the words of message that are not fields into text, joined by
 * single spaces. */
static void
collect_free_text(const char *message, char *text, size_t cap)
{
	size_t len = 0;
	const char *word = message;

	text[0] = '\0';
	while (*word != '\0') {
		size_t n = word_length(word);

		if (n > 0 && field_key_length(word, n) == 0 &&
		    len + n + 2 <= cap) {
			if (len > 0)
				text[len++] = ' ';
			memcpy(text + len, word, n);
			len += n;
			text[len] = '\0';
		}
		word += n;
		word += strspn(word, " ");
	}
}

static void
put_fields(struct json_out *o, const char *message)
{
	const char *word = message;

	while (*word != '\0') {
		size_t n = word_length(word);
		size_t key_length = field_key_length(word, n);

		if (key_length > 0) {
			const char *value = word + key_length + 1;
			size_t value_length = n - key_length - 1;

			if (value_length > 1 && value[value_length - 1] == ':')
				value_length--;
			if (value_length >= 2 && value[0] == '"' &&
			    value[value_length - 1] == '"') {
				value++;
				value_length -= 2;
			}
			if (key_length == 1 && word[0] == 's')
				put_member(o, "session", 7, value,
				    value_length);
			else
				put_member(o, word, key_length, value,
				    value_length);
		}
		word += n;
		word += strspn(word, " ");
	}
}

size_t
log_json_format(char *out, size_t cap, const char *time, const char *level,
    const char *ident, const char *message)
{
	struct json_out o = { .buf = out, .cap = cap };
	char text[LOG_JSON_LINE_MAX / 4];
	const char *listener = strchr(ident, '/');

	put_char(&o, '{');
	put_text_member(&o, "time", time);
	put_text_member(&o, "level", level);
	put_text_member(&o, "ident", ident);
	if (listener != NULL)
		put_text_member(&o, "listener", listener + 1);
	collect_free_text(message, text, sizeof(text));
	put_text_member(&o, "msg", text);
	put_fields(&o, message);

	out[o.len++] = '}';
	out[o.len] = '\0';
	return o.len;
}
