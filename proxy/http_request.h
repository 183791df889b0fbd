/*
 * The request head of the admin listener's HTTP/1.0 and HTTP/1.1 clients
 * (RFC 9112), and the head of its responses.  Pure: bytes in, a decision
 * out, no sockets and no libuv, so that every case is a unit test.
 *
 * Only what a GET-only responder needs is parsed: the method, the path and
 * the version of the request line.  Header fields are checked for the
 * "name: value" form and otherwise ignored, and a request body is never
 * read, because GET and HEAD requests carry none.
 */
#ifndef PROXY_HTTP_REQUEST_H
#define PROXY_HTTP_REQUEST_H

#include <stddef.h>

/* The largest request head accepted, request line and header fields
 * included. */
#define HTTP_REQUEST_HEAD_MAX 4096

/* The longest path kept, without the query; a longer target gets 414. */
#define HTTP_REQUEST_PATH_MAX 256

enum http_method {
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_OTHER,	/* a valid token such as POST: 405 */
};

enum http_parse_result {
	HTTP_PARSE_INCOMPLETE,		/* no empty line yet: read more */
	HTTP_PARSE_COMPLETE,		/* *request is filled in */
	HTTP_PARSE_INVALID,		/* 400 Bad Request */
	HTTP_PARSE_TOO_LARGE,		/* over HTTP_REQUEST_HEAD_MAX: 431 */
	HTTP_PARSE_URI_TOO_LONG,	/* 414 */
	HTTP_PARSE_VERSION,		/* not HTTP/1.0 or 1.1: 505 */
};

struct http_request {
	enum http_method method;
	char path[HTTP_REQUEST_PATH_MAX + 1];	/* "/metrics", no query */
};

/*
 * Parses the request head at the start of data, the len bytes received so
 * far.  The head ends with an empty line; lines end with CRLF or a bare LF
 * (RFC 9112 section 2.2 lets a server accept the latter).  Returns
 * HTTP_PARSE_INCOMPLETE while that line is missing and len is below
 * HTTP_REQUEST_HEAD_MAX.  A request line is judged as soon as its LF
 * arrives, and bytes that no HTTP/1.x request line contains (control bytes
 * other than CR and HT, or a non-token byte in the method) give
 * HTTP_PARSE_INVALID at once.
 */
enum http_parse_result http_request_parse(const char *data, size_t len,
    struct http_request *request);

/* Returns the status code for a parse result other than COMPLETE and
 * INCOMPLETE: 400, 431, 414 or 505. */
int http_parse_status(enum http_parse_result result);

/* Returns the reason phrase of status ("Not Found"), or "Error". */
const char *http_status_reason(int status);

/*
 * Writes the response head of status with a body of body_length bytes of
 * content_type, with "Connection: close", into out.  Returns its length,
 * or 0 when cap is too small.
 */
size_t http_response_head(char *out, size_t cap, int status,
    const char *content_type, size_t body_length);

#endif
