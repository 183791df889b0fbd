#!/usr/bin/env bash
# Builds test/bench/bench-tls.c against the system wolfSSL (libwolfssl-dev) and
# against the build for subtls in .deps/wolfssl/, runs both on the same
# certificates, and prints the figures side by side.  A third column runs the
# build for subtls with its CPU extensions switched off, as on a CPU without
# AES-NI or AVX.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seconds=1

usage() {
	cat <<'USAGE'
usage: test/bench/compare-wolfssl.sh [--seconds S]
  --seconds S  time limit per measurement in seconds (default 1); each of
               the three columns makes 8 timed measurements
Needs libwolfssl-dev, gcc, pkg-config and openssl; builds .deps/wolfssl/ with
tls/wolfssl-build.sh first if it is missing or out of date.
USAGE
}

die() {
	echo "compare-wolfssl: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--seconds)
		[ $# -ge 2 ] || die "--seconds: missing value (expected seconds, e.g. 2)"
		seconds=$2
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 2
		;;
	esac
	shift
done

for tool in gcc pkg-config openssl; do
	command -v "$tool" >/dev/null || die "$tool not found (install it with apt-get)"
done
pkg-config --exists wolfssl ||
	die "the system wolfSSL is missing (apt-get install libwolfssl-dev)"
"$top/tls/wolfssl-build.sh"

work=$(mktemp -d /tmp/compare-wolfssl.XXXXXX)
trap 'rm -rf "$work"' EXIT

cflags=(-std=gnu11 -O2 -D_GNU_SOURCE -I"$top")
sources=("$top/test/bench/bench-tls.c" "$top/tls/build_info.c")
# PKG_CONFIG_LIBDIR, unlike PKG_CONFIG_PATH, hides the system's wolfssl.pc.
# shellcheck disable=SC2046  # pkg-config output is a list of flags
gcc "${cflags[@]}" -o "$work/bench-system" "${sources[@]}" \
	$(pkg-config --cflags --libs wolfssl)
# shellcheck disable=SC2046
gcc "${cflags[@]}" -o "$work/bench-built" "${sources[@]}" \
	$(PKG_CONFIG_LIBDIR="$top/.deps/wolfssl/lib/pkgconfig" \
		pkg-config --static --cflags --libs wolfssl)

mkdir "$work/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$work/certs/ecdsa-key.pem" -out "$work/certs/ecdsa-cert.pem" \
	-days 2 -subj /CN=bench.invalid 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes \
	-keyout "$work/certs/rsa-key.pem" -out "$work/certs/rsa-cert.pem" \
	-days 2 -subj /CN=bench.invalid 2>/dev/null

run=(--tsv --seconds "$seconds" --certs "$work/certs")
echo "compare-wolfssl: running the system wolfSSL" >&2
"$work/bench-system" "${run[@]}" >"$work/system.tsv"
echo "compare-wolfssl: running the build for subtls" >&2
"$work/bench-built" "${run[@]}" >"$work/built.tsv"
echo "compare-wolfssl: running the build for subtls with CPU extensions off" >&2
"$work/bench-built" "${run[@]}" --disable-cpu all >"$work/generic.tsv"

# Joins the three runs by label.  "gain" is how many times better the build
# for subtls is than the system package: a higher rate, or a lower time or heap.
awk -F '\t' '
	FNR == 1 { run++ }
	$1 == "info" {
		key = $2
		if (!(key in seen)) { seen[key] = 1; order[++n] = key; kind[key] = "info" }
		value[key, run] = $3
		next
	}
	{
		key = $1
		if (!(key in seen)) { seen[key] = 1; order[++n] = key; kind[key] = $4 }
		value[key, run] = $2
		unit[key] = $3
	}
	END {
		printf "%-52s %14s %14s %14s %8s\n", "", "system", "built", "built, no ext", "gain"
		for (i = 1; i <= n; i++) {
			k = order[i]
			if (kind[k] == "info") {
				printf "%-52s %14s %14s %14s\n", k, value[k, 1], value[k, 2], value[k, 3]
				continue
			}
			s = value[k, 1]; b = value[k, 2]; g = value[k, 3]
			gain = ""
			if (s > 0 && b > 0)
				gain = sprintf("x%.2f", kind[k] == "higher" ? b / s : s / b)
			printf "%-52s %14.3f %14.3f %14.3f %8s  %s\n", k, s, b, g, gain, unit[k]
		}
	}' "$work/system.tsv" "$work/built.tsv" "$work/generic.tsv"
