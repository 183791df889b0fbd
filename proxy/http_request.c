/*
 * The admin listener's request parser and response head (see
 * http_request.h).  The whole head must be in the buffer before it is
 * parsed, which the 4 KiB limit makes cheap: the caller re-parses from the
 * start after each read.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "proxy/http_request.h"

/* A tchar of RFC 9110 section 5.6.2, the characters of a method token and
 * a field name. */
static bool
is_token_char(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Returns the length of the line at data (without its CRLF or LF) and sets
 * *next past its end, or returns -1 when no LF is within len. */
static long
line_length(const char *data, size_t len, size_t *next)
{
	const char *lf = memchr(data, '\n', len);
	size_t length;

	if (lf == NULL)
		return -1;
	length = (size_t)(lf - data);
	*next = length + 1;
	if (length > 0 && data[length - 1] == '\r')
		length--;
	return (long)length;
}

/* Returns the offset just past the empty line that ends the head, or 0
 * when it is not in data yet. */
static size_t
head_end(const char *data, size_t len)
{
	size_t offset = 0, next;
	long length;

	while ((length = line_length(data + offset, len - offset, &next)) >= 0) {
		offset += next;
		if (length == 0)
			return offset;
	}
	return 0;
}

static enum http_parse_result
parse_method(const char *line, size_t length, size_t *used,
    struct http_request *request)
{
	size_t n = 0;

	while (n < length && is_token_char((unsigned char)line[n]))
		n++;
	if (n == 0 || n == length || line[n] != ' ')
		return HTTP_PARSE_INVALID;
	/* Methods are case-sensitive (RFC 9110 section 9.1). */
	if (n == 3 && memcmp(line, "GET", 3) == 0)
		request->method = HTTP_METHOD_GET;
	else if (n == 4 && memcmp(line, "HEAD", 4) == 0)
		request->method = HTTP_METHOD_HEAD;
	else
		request->method = HTTP_METHOD_OTHER;
	*used = n + 1;
	return HTTP_PARSE_COMPLETE;
}

/* Parses the origin-form target (RFC 9112 section 3.2.1) and keeps its path
 * without the query. */
static enum http_parse_result
parse_target(const char *line, size_t length, size_t *used,
    struct http_request *request)
{
	size_t n = 0, path_length;

	while (n < length && line[n] > ' ' && line[n] < 0x7f)
		n++;
	if (n == 0 || n == length || line[n] != ' ' || line[0] != '/')
		return HTTP_PARSE_INVALID;
	path_length = strcspn(line, "? ");
	if (path_length > HTTP_REQUEST_PATH_MAX)
		return HTTP_PARSE_URI_TOO_LONG;
	memcpy(request->path, line, path_length);
	request->path[path_length] = '\0';
	*used = n + 1;
	return HTTP_PARSE_COMPLETE;
}

static enum http_parse_result
parse_version(const char *text, size_t length)
{
	if (length != 8 || memcmp(text, "HTTP/", 5) != 0 ||
	    text[5] < '0' || text[5] > '9' || text[6] != '.' ||
	    text[7] < '0' || text[7] > '9')
		return HTTP_PARSE_INVALID;
	if (text[5] != '1' || (text[7] != '0' && text[7] != '1'))
		return HTTP_PARSE_VERSION;
	return HTTP_PARSE_COMPLETE;
}

static enum http_parse_result
parse_request_line(const char *line, size_t length,
    struct http_request *request)
{
	enum http_parse_result result;
	size_t used = 0, offset = 0;

	result = parse_method(line, length, &used, request);
	if (result != HTTP_PARSE_COMPLETE)
		return result;
	offset += used;
	result = parse_target(line + offset, length - offset, &used, request);
	if (result != HTTP_PARSE_COMPLETE)
		return result;
	offset += used;
	return parse_version(line + offset, length - offset);
}

/* A field line is "name:" and a value.  A line that starts with a blank
 * continues the one before (obs-fold), which RFC 9112 section 5.2 lets a
 * server reject with 400. */
static bool
is_field_line(const char *line, size_t length)
{
	size_t n = 0;

	while (n < length && is_token_char((unsigned char)line[n]))
		n++;
	if (n == 0 || n == length || line[n] != ':')
		return false;
	for (; n < length; n++) {
		unsigned char c = (unsigned char)line[n];

		if ((c < ' ' && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/*
 * Returns whether data, the first len bytes of a request line before its
 * LF, can still start an HTTP/1.x request line.  A control byte other than
 * CR and HT rules it out, and so does a byte before the first space that
 * no method token contains.  So binary data gets 400 at once, not 408.
 */
static bool
is_possible_request_line(const char *data, size_t len)
{
	bool in_method = true;

	for (size_t n = 0; n < len; n++) {
		unsigned char c = (unsigned char)data[n];

		if ((c < ' ' && c != '\r' && c != '\t') || c == 0x7f)
			return false;
		if (c == ' ')
			in_method = false;
		else if (in_method && !is_token_char(c))
			return false;
	}
	return true;
}

enum http_parse_result
http_request_parse(const char *data, size_t len, struct http_request *request)
{
	size_t limit = len < HTTP_REQUEST_HEAD_MAX ? len : HTTP_REQUEST_HEAD_MAX;
	size_t end, offset, next = 0;
	enum http_parse_result result;
	long length;

	/* The request line is judged as soon as it is complete, so that an
	 * HTTP/0.9 request ("GET /metrics" and CRLF, no header fields and no
	 * empty line) gets its 400 at once. */
	length = line_length(data, limit, &next);
	if (!is_possible_request_line(data, length >= 0 ? (size_t)length :
	    limit))
		return HTTP_PARSE_INVALID;
	if (length >= 0) {
		result = parse_request_line(data, (size_t)length, request);
		if (result != HTTP_PARSE_COMPLETE)
			return result;
	}

	end = head_end(data, limit);
	if (end == 0)
		return len >= HTTP_REQUEST_HEAD_MAX ? HTTP_PARSE_TOO_LARGE :
		    HTTP_PARSE_INCOMPLETE;

	for (offset = next; offset < end; offset += next) {
		length = line_length(data + offset, end - offset, &next);
		if (length == 0)
			break;
		if (!is_field_line(data + offset, (size_t)length))
			return HTTP_PARSE_INVALID;
	}
	return HTTP_PARSE_COMPLETE;
}

int
http_parse_status(enum http_parse_result result)
{
	switch (result) {
	case HTTP_PARSE_TOO_LARGE:
		return 431;
	case HTTP_PARSE_URI_TOO_LONG:
		return 414;
	case HTTP_PARSE_VERSION:
		return 505;
	case HTTP_PARSE_INVALID:
	case HTTP_PARSE_INCOMPLETE:
	case HTTP_PARSE_COMPLETE:
		break;
	}
	return 400;
}

const char *
http_status_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

size_t
http_response_head(char *out, size_t cap, int status,
    const char *content_type, size_t body_length)
{
	int n;

	/* RFC 9110 section 15.5.6: a 405 lists the methods allowed. */
	n = snprintf(out, cap, "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "%s"
	    "Cache-Control: no-store\r\n"
	    "Connection: close\r\n"
	    "\r\n", status, http_status_reason(status), content_type,
	    body_length, status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}
