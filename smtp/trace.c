/*
 * The Received: trace header.  It is built word by word: a word is never
 * split, and a space between two words becomes a fold (CRLF and a tab) when
 * the line would pass 78 characters.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp/address.h"
#include "smtp/trace.h"

/* RFC 5322 section 2.1.1: lines SHOULD stay within 78 characters. */
#define TRACE_LINE_SOFT_MAX 78

/* RFC 5322 section 2.1.1: lines MUST stay within 998 characters. */
#define TRACE_LINE_MAX 998

/* Maximum length of a domain name (RFC 5321 section 4.5.3.1.2). */
#define TRACE_DOMAIN_MAX 255

/* Maximum length of one label of a domain name (RFC 1035 section 2.3.4). */
#define TRACE_LABEL_MAX 63

/* Maximum length of a word: "(listener " and "," around an escaped field. */
#define TRACE_WORD_MAX (2 * SMTP_TRACE_FIELD_MAX + 11)

/* "Wed, 31 Dec 9999 23:59:59 +0000" */
#define TRACE_DATE_MAX 31

_Static_assert(1 + TRACE_WORD_MAX <= TRACE_LINE_MAX,
    "a line of one word stays within 998 characters");

/*
 * The longest header.  Every field is at its maximum and escaped to twice its
 * length, "unknown" comes with the HELO in the comment, and the IPv6 address
 * has INET6_ADDRSTRLEN - 1 characters.  A fold, 2 bytes more than a space,
 * is counted before each of the 12 words after "Received: from HELO".
 */
#define TRACE_WORST_CASE (						\
	sizeof("Received: from unknown ([IPv6:") - 1 +			\
	INET6_ADDRSTRLEN - 1 + sizeof("] port 65535, helo ") - 1 +	\
	2 * SMTP_TRACE_FIELD_MAX + sizeof(") by ") - 1 +		\
	TRACE_DOMAIN_MAX + sizeof(" (subtls) with ESMTPSA id ") - 1 +	\
	SMTP_TRACE_ID_MAX + sizeof(" (listener ") - 1 +			\
	2 * SMTP_TRACE_FIELD_MAX + sizeof(", ") - 1 +			\
	2 * SMTP_TRACE_FIELD_MAX + sizeof(" cipher ") - 1 +		\
	2 * SMTP_TRACE_FIELD_MAX + sizeof(", sni ") - 1 +		\
	2 * SMTP_TRACE_FIELD_MAX + sizeof(", user ") - 1 +		\
	2 * SMTP_TRACE_FIELD_MAX + sizeof("); ") - 1 +			\
	TRACE_DATE_MAX + sizeof("\r\n") - 1 +				\
	12 * 2 + 1)

_Static_assert(TRACE_WORST_CASE <= SMTP_TRACE_HEADER_MAX,
    "SMTP_TRACE_HEADER_MAX fits the longest header");

static const char *const day_names[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* One unbreakable word of the header. */
struct word {
	char text[TRACE_WORD_MAX];
	size_t len;
};

/* The output buffer, and the length of its last line so far. */
struct writer {
	char *out;
	size_t cap;
	size_t len;
	size_t line_len;
	bool full;		/* something did not fit: the result is 0 */
};

static void
word_add(struct word *w, const char *s)
{
	size_t n = strlen(s);

	/* Only the fixed texts and checked fields get here: they fit. */
	if (n > sizeof(w->text) - w->len)
		n = sizeof(w->text) - w->len;
	memcpy(w->text + w->len, s, n);
	w->len += n;
}

static void
word_set(struct word *w, const char *s)
{
	w->len = 0;
	word_add(w, s);
}

/*
 * Appends the first SMTP_TRACE_FIELD_MAX bytes of s for use in a comment:
 * '(' ')' '\' escaped (RFC 5322 section 3.2.1), and control characters,
 * spaces and bytes of 127 and above replaced by '?'.  A space would let a
 * value pass for the next item of the comment.
 */
static void
word_add_comment_text(struct word *w, const char *s)
{
	for (size_t i = 0; i < SMTP_TRACE_FIELD_MAX && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '(' || c == ')' || c == '\\') {
			w->text[w->len++] = '\\';
			w->text[w->len++] = (char)c;
		} else if (c <= ' ' || c >= 127) {
			w->text[w->len++] = '?';
		} else {
			w->text[w->len++] = (char)c;
		}
	}
}

static void
writer_put(struct writer *wr, const char *s, size_t n)
{
	if (wr->full || n >= wr->cap - wr->len) {
		wr->full = true;
		return;
	}
	memcpy(wr->out + wr->len, s, n);
	wr->len += n;
	wr->line_len += n;
}

static void
writer_fold(struct writer *wr)
{
	writer_put(wr, "\r\n\t", 3);
	wr->line_len = 1;
}

/* Writes a space or a fold, then the word. */
static void
writer_word(struct writer *wr, const struct word *w, bool new_line)
{
	if (new_line || wr->line_len + 1 + w->len > TRACE_LINE_SOFT_MAX)
		writer_fold(wr);
	else
		writer_put(wr, " ", 1);
	writer_put(wr, w->text, w->len);
}

static bool
is_let_dig(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/*
 * RFC 5321 section 4.1.2: Domain = sub-domain *("." sub-domain), where a
 * sub-domain is letters, digits and '-' that neither starts nor ends with
 * '-'.  A trailing dot is not allowed.
 */
static bool
is_domain(const char *s)
{
	size_t len = strlen(s);
	size_t label_len = 0;

	if (len == 0 || len > TRACE_DOMAIN_MAX)
		return false;

	for (size_t i = 0; i <= len; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (label_len == 0 || s[i - 1] == '-')
				return false;
			label_len = 0;
		} else if (is_let_dig(s[i]) || (s[i] == '-' && label_len > 0)) {
			if (++label_len > TRACE_LABEL_MAX)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/*
 * RFC 5321 section 4.1.3: "[192.0.2.1]" or "[IPv6:2001:db8::1]".  The
 * General-address-literal form is not accepted, because nothing names its
 * tags in practice.
 */
static bool
is_address_literal(const char *s)
{
	size_t len = strlen(s);
	char text[INET6_ADDRSTRLEN];
	unsigned char address[16];
	int family = AF_INET;

	if (len < 2 || s[0] != '[' || s[len - 1] != ']')
		return false;
	s++;
	len -= 2;
	if (len > 5 && strncasecmp(s, "IPv6:", 5) == 0) {
		family = AF_INET6;
		s += 5;
		len -= 5;
	}
	if (len >= sizeof(text))
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	return inet_pton(family, text, address) == 1;
}

/* RFC 5322 section 3.2.3: atext, the characters of an atom. */
static bool
is_atom(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_let_dig(s[i]) && strchr("!#$%&'*+-/=?^_`{|}~", s[i]) ==
		    NULL)
			return false;
	}
	return true;
}

static bool
is_given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* Writes "Received: from HELO ([address] port N)". */
static void
write_from(struct writer *wr, const struct smtp_trace *t,
    const struct smtp_address *address)
{
	struct word w;
	char port[sizeof(" port 65535")];
	bool helo_bare = is_given(t->helo) &&
	    (is_domain(t->helo) || is_address_literal(t->helo));

	/* "from" stays on the first line, which would be empty otherwise. */
	word_set(&w, "Received: from ");
	word_add(&w, helo_bare ? t->helo : "unknown");
	writer_put(wr, w.text, w.len);

	word_set(&w, address->family == AF_INET6 ? "([IPv6:" : "([");
	word_add(&w, address->text);
	snprintf(port, sizeof(port), " port %u", address->port);
	word_add(&w, "]");
	word_add(&w, port);
	word_add(&w, is_given(t->helo) && !helo_bare ? "," : ")");
	writer_word(wr, &w, false);

	if (is_given(t->helo) && !helo_bare) {
		word_set(&w, "helo ");
		word_add_comment_text(&w, t->helo);
		word_add(&w, ")");
		writer_word(wr, &w, false);
	}
}

/* The optional items of the comment after the id, in their order. */
enum comment_item {
	ITEM_LISTENER,
	ITEM_TLS_VERSION,
	ITEM_CIPHER,
	ITEM_SNI,
	ITEM_USER,
	ITEM_COUNT,
};

static const char *const item_labels[ITEM_COUNT] = {
	"listener ", "", "cipher ", "sni ", "user ",
};

/*
 * Writes "by HOST (subtls) with ESMTPSA id ID (listener ..., user U);".  The
 * ";" that ends the stamp goes after the comment, or after the id when no
 * item is given.  Items are separated by commas, except that the cipher
 * follows the TLS version it belongs to after a space only.
 */
static void
write_by(struct writer *wr, const struct smtp_trace *t)
{
	const char *values[ITEM_COUNT] = {
		t->listener, t->tls_version, t->cipher, t->sni, t->user,
	};
	size_t last = ITEM_COUNT;
	bool first = true;
	struct word w;

	word_set(&w, "by ");
	word_add(&w, t->by);
	writer_word(wr, &w, true);
	word_set(&w, "(subtls)");
	writer_word(wr, &w, false);
	word_set(&w, t->authenticated ? "with ESMTPSA" : "with ESMTPS");
	writer_word(wr, &w, false);

	for (size_t i = 0; i < ITEM_COUNT; i++) {
		if (is_given(values[i]))
			last = i;
	}
	word_set(&w, "id ");
	word_add(&w, t->id);
	if (last == ITEM_COUNT)
		word_add(&w, ";");
	writer_word(wr, &w, false);

	for (size_t i = 0; i < ITEM_COUNT; i++) {
		if (!is_given(values[i]))
			continue;

		word_set(&w, first ? "(" : "");
		word_add(&w, item_labels[i]);
		word_add_comment_text(&w, values[i]);
		if (i == last)
			word_add(&w, ");");
		else if (i != ITEM_TLS_VERSION ||
		    !is_given(values[ITEM_CIPHER]))
			word_add(&w, ",");
		writer_word(wr, &w, first);
		first = false;
	}
}

/* Writes the date-time of RFC 5322 section 3.3 on its own line, in UTC. */
static bool
write_date(struct writer *wr, time_t when)
{
	struct tm tm;
	struct word w;
	int n;

	if (gmtime_r(&when, &tm) == NULL)
		return false;
	if (tm.tm_year + 1900 < 1900 || tm.tm_year + 1900 > 9999)
		return false;

	n = snprintf(w.text, sizeof(w.text),
	    "%s, %d %s %04d %02d:%02d:%02d +0000", day_names[tm.tm_wday], tm.tm_mday, month_names[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n > TRACE_DATE_MAX)
		return false;
	w.len = (size_t)n;
	writer_word(wr, &w, true);
	return true;
}

size_t
smtp_trace_header(char *out, size_t cap, const struct smtp_trace *t)
{
	struct writer wr = { .out = out, .cap = cap };
	struct smtp_address address;

	if (!smtp_address_from_sockaddr(&address, t->client))
		return 0;
	if (!is_domain(t->by) || !is_atom(t->id, SMTP_TRACE_ID_MAX))
		return 0;

	write_from(&wr, t, &address);
	write_by(&wr, t);
	if (!write_date(&wr, t->when))
		return 0;
	writer_put(&wr, "\r\n", 2);
	if (wr.full)
		return 0;

	out[wr.len] = '\0';
	return wr.len;
}
