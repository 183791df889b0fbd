/*
 * The results of smtp-load: latency histograms, the text report on stdout
 * and the same figures as JSON.
 */
#include "test/bench/smtp-load.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static unsigned
histogram_index(uint64_t micros)
{
	unsigned shift;

	if (micros < HISTOGRAM_EXACT)
		return (unsigned)micros;
	shift = (unsigned)(63 - __builtin_clzll(micros)) - 6;
	if (shift > HISTOGRAM_MAX_SHIFT)
		return HISTOGRAM_BUCKETS - 1;
	return HISTOGRAM_EXACT + (shift - 1) * HISTOGRAM_SUBBUCKETS +
	    (unsigned)((micros >> shift) - HISTOGRAM_SUBBUCKETS);
}

/* Returns the middle of the bucket's range, in microseconds. */
static double
histogram_value(unsigned index)
{
	unsigned shift, sub;
	double low;

	if (index < HISTOGRAM_EXACT)
		return index;
	shift = (index - HISTOGRAM_EXACT) / HISTOGRAM_SUBBUCKETS + 1;
	sub = (index - HISTOGRAM_EXACT) % HISTOGRAM_SUBBUCKETS;
	low = (double)((uint64_t)(HISTOGRAM_SUBBUCKETS + sub) << shift);
	return low + (double)((uint64_t)1 << shift) / 2;
}

void
histogram_add(struct histogram *h, uint64_t micros)
{
	h->counts[histogram_index(micros)]++;
	h->total++;
	if (micros > h->max_micros)
		h->max_micros = micros;
}

void
histogram_merge(struct histogram *into, const struct histogram *from)
{
	for (unsigned i = 0; i < HISTOGRAM_BUCKETS; i++)
		into->counts[i] += from->counts[i];
	into->total += from->total;
	if (from->max_micros > into->max_micros)
		into->max_micros = from->max_micros;
}

double
histogram_quantile_ms(const struct histogram *h, double p)
{
	uint64_t rank, seen = 0;

	if (h->total == 0)
		return -1;
	rank = (uint64_t)(p * (double)h->total + 0.999999);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < HISTOGRAM_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			double value = histogram_value(i);

			/* The bucket's middle can lie above the largest sample. */
			if (value > (double)h->max_micros)
				value = (double)h->max_micros;
			return value / 1000.0;
		}
	}
	return (double)h->max_micros / 1000.0;
}

const char *
error_kind_name(enum error_kind kind)
{
	static const char *const names[ERROR_KINDS] = {
		[ERROR_CONNECT] = "connect",
		[ERROR_TLS] = "tls",
		[ERROR_SMTP] = "smtp",
		[ERROR_TIMEOUT] = "timeout",
		[ERROR_CLOSED] = "closed",
	};

	return names[kind];
}

static uint64_t
error_total(const struct load_stats *stats)
{
	uint64_t total = 0;

	for (int kind = 0; kind < ERROR_KINDS; kind++)
		total += stats->errors[kind];
	return total;
}

static double
per_second(uint64_t count, double elapsed)
{
	return elapsed > 0 ? (double)count / elapsed : 0;
}

static const char *
mode_name(void)
{
	return options.mode == MODE_IMPLICIT ? "implicit" : "starttls";
}

static const char *
tls_version_name(void)
{
	static const char *const names[] = {
		[TLS_VERSION_ANY] = "any", [TLS_VERSION_1_2] = "1.2",
		[TLS_VERSION_1_3] = "1.3",
	};

	return names[options.tls_version];
}

static void
print_quantiles(const char *title, const struct histogram *h,
    const double *quantiles, const char *const *labels, int count)
{
	printf("%s:", title);
	if (h->total == 0) {
		printf(" no samples\n");
		return;
	}
	for (int i = 0; i < count; i++)
		printf(" %s %.2f", labels[i], histogram_quantile_ms(h, quantiles[i]));
	printf(" (ms, %llu samples)\n", (unsigned long long)h->total);
}

void
report_text(const struct load_stats *stats, double elapsed)
{
	static const double message_quantiles[] = { 0.5, 0.9, 0.99 };
	static const char *const message_labels[] = { "p50", "p90", "p99" };
	static const double setup_quantiles[] = { 0.5, 0.99 };
	static const char *const setup_labels[] = { "p50", "p99" };

	printf("mode %s, TLS %s, resume %s, %d thread(s), concurrency %ld\n",
	    mode_name(), tls_version_name(), options.resume ? "yes" : "no",
	    options.threads, options.idle > 0 ? options.idle : options.concurrency);
	printf("elapsed: %.3f s\n", elapsed);
	printf("connections: %llu started, %llu completed, %.1f/s\n",
	    (unsigned long long)stats->connections_started,
	    (unsigned long long)stats->connections_completed,
	    per_second(stats->connections_started, elapsed));
	printf("handshakes: %llu, %.1f/s, %llu resumed\n",
	    (unsigned long long)stats->handshakes,
	    per_second(stats->handshakes, elapsed),
	    (unsigned long long)stats->resumed);
	if (stats->cipher[0] != '\0')
		printf("negotiated: %s, key exchange %s\n", stats->cipher,
		    stats->group);
	printf("messages: %llu accepted, %.1f/s\n",
	    (unsigned long long)stats->messages,
	    per_second(stats->messages, elapsed));
	print_quantiles("message latency", &stats->message_latency,
	    message_quantiles, message_labels, 3);
	print_quantiles("connection setup", &stats->setup_latency,
	    setup_quantiles, setup_labels, 2);
	if (options.idle > 0)
		printf("idle: %ld requested, %llu established, %llu failed\n",
		    options.idle, (unsigned long long)stats->idle_established,
		    (unsigned long long)(options.idle - (long)stats->idle_established));
	printf("errors: %llu (", (unsigned long long)error_total(stats));
	for (int kind = 0; kind < ERROR_KINDS; kind++)
		printf("%s%s %llu", kind > 0 ? ", " : "", error_kind_name(kind),
		    (unsigned long long)stats->errors[kind]);
	printf(")\n");
	if (stats->first_error[0] != '\0')
		printf("first error: %s\n", stats->first_error);
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
json_quantile(FILE *f, const char *name, const struct histogram *h, double p,
    bool last)
{
	if (h->total == 0)
		fprintf(f, "\"%s\": null%s", name, last ? "" : ", ");
	else
		fprintf(f, "\"%s\": %.3f%s", name, histogram_quantile_ms(h, p),
		    last ? "" : ", ");
}

static void
json_body(FILE *f, const struct load_stats *stats, double elapsed,
    const char *state)
{
	fprintf(f, "{\n  \"state\": ");
	json_string(f, state);
	fprintf(f, ",\n  \"mode\": \"%s\", \"tls_version\": \"%s\", "
	    "\"resume\": %s, \"threads\": %d, \"concurrency\": %ld,\n",
	    mode_name(), tls_version_name(), options.resume ? "true" : "false",
	    options.threads,
	    options.idle > 0 ? options.idle : options.concurrency);
	fprintf(f, "  \"messages_per_connection\": %ld, \"size\": %ld,"
	    " \"elapsed_seconds\": %.3f,\n",
	    options.messages, options.size, elapsed);
	fprintf(f, "  \"connections\": {\"started\": %llu, \"completed\": %llu,"
	    " \"per_second\": %.2f},\n",
	    (unsigned long long)stats->connections_started,
	    (unsigned long long)stats->connections_completed,
	    per_second(stats->connections_started, elapsed));
	fprintf(f, "  \"handshakes\": {\"completed\": %llu, \"resumed\": %llu,"
	    " \"per_second\": %.2f},\n",
	    (unsigned long long)stats->handshakes,
	    (unsigned long long)stats->resumed,
	    per_second(stats->handshakes, elapsed));
	fprintf(f, "  \"negotiated\": {\"cipher\": ");
	json_string(f, stats->cipher);
	fprintf(f, ", \"group\": ");
	json_string(f, stats->group);
	fprintf(f, "},\n");
	fprintf(f, "  \"messages\": {\"accepted\": %llu, \"per_second\": %.2f},\n",
	    (unsigned long long)stats->messages,
	    per_second(stats->messages, elapsed));
	fprintf(f, "  \"message_latency_ms\": {");
	json_quantile(f, "p50", &stats->message_latency, 0.5, false);
	json_quantile(f, "p90", &stats->message_latency, 0.9, false);
	json_quantile(f, "p99", &stats->message_latency, 0.99, true);
	fprintf(f, "},\n  \"setup_latency_ms\": {");
	json_quantile(f, "p50", &stats->setup_latency, 0.5, false);
	json_quantile(f, "p99", &stats->setup_latency, 0.99, true);
	fprintf(f, "},\n  \"idle\": {\"requested\": %ld, \"established\": %llu,"
	    " \"failed\": %lld},\n", options.idle,
	    (unsigned long long)stats->idle_established,
	    options.idle > 0 ?
	    (long long)options.idle - (long long)stats->idle_established : 0);
	fprintf(f, "  \"errors\": {\"total\": %llu",
	    (unsigned long long)error_total(stats));
	for (int kind = 0; kind < ERROR_KINDS; kind++)
		fprintf(f, ", \"%s\": %llu", error_kind_name(kind),
		    (unsigned long long)stats->errors[kind]);
	fprintf(f, "},\n  \"first_error\": ");
	if (stats->first_error[0] != '\0')
		json_string(f, stats->first_error);
	else
		fprintf(f, "null");
	fprintf(f, "\n}\n");
}

/*
 * Writes the report to path through a temporary file and rename(), so a
 * reader never sees half a file.  Returns 0, or -1 after an error message.
 */
int
report_json(const char *path, const struct load_stats *stats, double elapsed,
    const char *state)
{
	char temporary[4096];
	FILE *f;

	if ((size_t)snprintf(temporary, sizeof(temporary), "%s.tmp", path) >=
	    sizeof(temporary)) {
		fprintf(stderr, "smtp-load: --json %s: path too long\n", path);
		return -1;
	}
	f = fopen(temporary, "w");
	if (f == NULL) {
		fprintf(stderr, "smtp-load: --json %s: cannot create %s: %s\n",
		    path, temporary, strerror(errno));
		return -1;
	}
	json_body(f, stats, elapsed, state);
	if (fclose(f) != 0 || rename(temporary, path) != 0) {
		fprintf(stderr, "smtp-load: --json %s: write failed: %s\n", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}
