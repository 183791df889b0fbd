/*
 * The admin listener's request parser: the method and path of a complete
 * head, "read more" for a partial one, and the status of each bad one,
 * which a bad request line gets before the head is complete.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/http_request.h"
#include "test/unit/check.h"

struct parse_case {
	const char *name;
	const char *head;
	enum http_parse_result result;
	enum http_method method;	/* when COMPLETE */
	const char *path;		/* when COMPLETE */
};

static const struct parse_case cases[] = {
	{ "GET with CRLF", "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
	  HTTP_PARSE_COMPLETE, HTTP_METHOD_GET, "/metrics" },
	{ "HEAD with bare LF", "HEAD /healthz HTTP/1.0\n\n",
	  HTTP_PARSE_COMPLETE, HTTP_METHOD_HEAD, "/healthz" },
	{ "query dropped from path", "GET /readyz?verbose=1 HTTP/1.1\r\n\r\n",
	  HTTP_PARSE_COMPLETE, HTTP_METHOD_GET, "/readyz" },
	{ "POST is a valid other method",
	  "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\n",
	  HTTP_PARSE_COMPLETE, HTTP_METHOD_OTHER, "/metrics" },
	{ "lower-case get is another method", "get / HTTP/1.1\r\n\r\n",
	  HTTP_PARSE_COMPLETE, HTTP_METHOD_OTHER, "/" },
	{ "request line only", "GET /metrics HTTP/1.1\r\n",
	  HTTP_PARSE_INCOMPLETE, 0, NULL },
	{ "header without end", "GET / HTTP/1.1\r\nHost: a\r\n",
	  HTTP_PARSE_INCOMPLETE, 0, NULL },
	{ "empty input", "", HTTP_PARSE_INCOMPLETE, 0, NULL },
	{ "SMTP command", "EHLO client.test\r\n\r\n",
	  HTTP_PARSE_INVALID, 0, NULL },
	{ "absolute-form target", "GET http://a/metrics HTTP/1.1\r\n\r\n",
	  HTTP_PARSE_INVALID, 0, NULL },
	{ "two spaces", "GET  /metrics HTTP/1.1\r\n\r\n",
	  HTTP_PARSE_INVALID, 0, NULL },
	{ "missing version", "GET /metrics\r\n\r\n",
	  HTTP_PARSE_INVALID, 0, NULL },
	{ "HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", HTTP_PARSE_VERSION, 0, NULL },
	{ "HTTP/1.2", "GET / HTTP/1.2\r\n\r\n", HTTP_PARSE_VERSION, 0, NULL },
	{ "header without colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n",
	  HTTP_PARSE_INVALID, 0, NULL },
	{ "folded header line", "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n",
	  HTTP_PARSE_INVALID, 0, NULL },
	{ "control byte in header", "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n",
	  HTTP_PARSE_INVALID, 0, NULL },
	{ "TLS record bytes", "\x16\x03\x01\x02\x05hello\r\n\r\n",
	  HTTP_PARSE_INVALID, 0, NULL },
	/* A request line is judged when its LF arrives, and some bytes
	 * rule a request out before that. */
	{ "HTTP/0.9 request line", "GET /metrics\r\n",
	  HTTP_PARSE_INVALID, 0, NULL },
	{ "HTTP/2.0 request line alone", "GET / HTTP/2.0\r\n",
	  HTTP_PARSE_VERSION, 0, NULL },
	{ "control byte before any LF", "\x16\x03\x01",
	  HTTP_PARSE_INVALID, 0, NULL },
	{ "DEL byte in target", "GET /a\x7f",
	  HTTP_PARSE_INVALID, 0, NULL },
	{ "non-ASCII byte in method", "G\xc3\xa9T",
	  HTTP_PARSE_INVALID, 0, NULL },
	{ "slash in method", "/metrics", HTTP_PARSE_INVALID, 0, NULL },
	{ "start of method", "GE", HTTP_PARSE_INCOMPLETE, 0, NULL },
	{ "start of target", "GET /met", HTTP_PARSE_INCOMPLETE, 0, NULL },
	{ "start of version", "GET /metrics HTTP/1",
	  HTTP_PARSE_INCOMPLETE, 0, NULL },
	{ "CR before its LF", "GET /metrics HTTP/1.1\r",
	  HTTP_PARSE_INCOMPLETE, 0, NULL },
};

static void
test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		struct http_request request;
		enum http_parse_result result;

		memset(&request, 0, sizeof(request));
		result = http_request_parse(c->head, strlen(c->head), &request);
		CHECK(result == c->result, "%s: result %d (got %d)", c->name,
		    c->result, result);
		if (c->result != HTTP_PARSE_COMPLETE || result != c->result)
			continue;
		CHECK(request.method == c->method, "%s: method %d (got %d)",
		    c->name, c->method, request.method);
		CHECK(strcmp(request.path, c->path) == 0, "%s: path %s (got %s)",
		    c->name, c->path, request.path);
	}
}

/* A head that reaches the limit without its empty line is too large, and
 * one whose empty line comes just before the limit is complete. */
static void
test_size_limit(void)
{
	char *head = malloc(HTTP_REQUEST_HEAD_MAX + 64);
	const char *start = "GET / HTTP/1.1\r\nX-Filler: ";
	struct http_request request;
	size_t length;

	strcpy(head, start);
	length = strlen(start);
	memset(head + length, 'a', HTTP_REQUEST_HEAD_MAX - length);
	length = HTTP_REQUEST_HEAD_MAX;
	CHECK(http_request_parse(head, length - 1, &request) ==
	    HTTP_PARSE_INCOMPLETE, "one byte under the limit: read more");
	CHECK(http_request_parse(head, length, &request) == HTTP_PARSE_TOO_LARGE,
	    "at the limit without an end: too large");
	CHECK(http_parse_status(HTTP_PARSE_TOO_LARGE) == 431,
	    "too large is 431");

	memcpy(head + HTTP_REQUEST_HEAD_MAX - 4, "\r\n\r\n", 4);
	CHECK(http_request_parse(head, length, &request) == HTTP_PARSE_COMPLETE,
	    "head ending at the limit: complete");

	memcpy(head + HTTP_REQUEST_HEAD_MAX - 4, "aaaa", 4);
	memcpy(head + HTTP_REQUEST_HEAD_MAX, "\r\n\r\n", 4);
	CHECK(http_request_parse(head, length + 4, &request) ==
	    HTTP_PARSE_TOO_LARGE, "head ending past the limit: too large");
	free(head);
}

static void
test_long_path(void)
{
	char head[HTTP_REQUEST_PATH_MAX + 64];
	struct http_request request;
	size_t length;

	head[0] = '\0';
	strcat(head, "GET /");
	length = strlen(head);
	memset(head + length, 'p', HTTP_REQUEST_PATH_MAX);
	strcpy(head + length + HTTP_REQUEST_PATH_MAX, " HTTP/1.1\r\n\r\n");
	CHECK(http_request_parse(head, strlen(head), &request) ==
	    HTTP_PARSE_URI_TOO_LONG, "path over the maximum: 414");
	CHECK(http_parse_status(HTTP_PARSE_URI_TOO_LONG) == 414,
	    "URI too long is 414");

	strcpy(head + length + HTTP_REQUEST_PATH_MAX - 1, " HTTP/1.1\r\n\r\n");
	CHECK(http_request_parse(head, strlen(head), &request) ==
	    HTTP_PARSE_COMPLETE, "path at the maximum: complete");
	CHECK(strlen(request.path) == HTTP_REQUEST_PATH_MAX,
	    "path at the maximum kept whole");
}

static void
test_response_head(void)
{
	char out[512];
	const char *expected =
	    "HTTP/1.1 405 Method Not Allowed\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 12\r\n"
	    "Allow: GET, HEAD\r\n"
	    "Cache-Control: no-store\r\n"
	    "Connection: close\r\n"
	    "\r\n";
	size_t n = http_response_head(out, sizeof(out), 405, "text/plain", 12);

	CHECK_BYTES(out, n, expected, strlen(expected), "405 response head");
	n = http_response_head(out, sizeof(out), 200, "text/plain", 3);
	CHECK(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0, "200 status line");
	CHECK(strstr(out, "Allow:") == NULL, "no Allow field on a 200");
	CHECK(http_response_head(out, 20, 200, "text/plain", 3) == 0,
	    "too small a buffer: 0");
}

int
main(void)
{
	test_cases();
	test_size_limit();
	test_long_path();
	test_response_head();
	return check_done();
}
