#!/usr/bin/env bash
# Builds the wolfSSL that subtls links by default and installs it, as a static
# library with its headers and pkg-config file, into <repo>/.deps/wolfssl/.
#
# Debian 12's libwolfssl (5.5.4) is built without AES-NI or assembly, without
# TLS 1.0, and with a 37.5 KB session object per connection.  This build uses
# the same source and patches, with the options in tls/wolfssl-options.txt.
#
# The source is Debian's source package, fetched with "apt-get source" through a
# private source list made from the machine's own apt sources (the machine's apt
# configuration is only read), or a release tarball named by
# SUBTLS_WOLFSSL_TARBALL.  Everything is kept under .deps/, and wolfSSL is
# rebuilt only when the source, the options, CC/CFLAGS or the compiler version
# change.
set -euo pipefail

refresh=

# Bump when the build steps below change, so existing builds are redone.
readonly recipe_version=1

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly top
readonly deps=$top/.deps
readonly prefix=$deps/wolfssl
readonly stamp=$prefix/subtls-build.stamp
readonly options_file=$top/tls/wolfssl-options.txt
readonly work=$deps/build
readonly log=$deps/wolfssl-build.log

usage() {
	cat <<'USAGE'
usage: tls/wolfssl-build.sh [--force] [--refresh]
Builds wolfSSL for subtls into .deps/wolfssl/ unless that build is up to date.
  --force    rebuild even if the source, options and compiler are unchanged
  --refresh  ask Debian's archive again for the newest wolfssl source package
             (by default a source package fetched earlier is reused)
Environment:
  SUBTLS_WOLFSSL_TARBALL  path of a wolfSSL release tarball to build instead of
                          Debian's source package
  SUBTLS_WOLFSSL_JOBS     parallel make jobs (default: the number of CPUs)
USAGE
}

die() {
	echo "wolfssl-build: $*" >&2
	exit 1
}

note() {
	echo "wolfssl-build: $*" >&2
}

# Reads the options file into configure_args, cppflags and cflags, reporting
# every invalid line before giving up.
configure_args=()
cppflags=
cflags=
read_options() {
	local line text number=0 errors=0

	[ -r "$options_file" ] || die "$options_file: not found"
	while IFS= read -r line || [ -n "$line" ]; do
		number=$((number + 1))
		text=${line%%#*}
		text=$(printf '%s' "$text" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
		case $text in
		'') ;;
		--prefix* | --host* | --build*)
			echo "$options_file:$number: '$text' is set by the build script (remove the line)" >&2
			errors=$((errors + 1))
			;;
		--*) configure_args+=("$text") ;;
		-D*) cppflags="${cppflags:+$cppflags }$text" ;;
		-*) cflags="${cflags:+$cflags }$text" ;;
		*)
			echo "$options_file:$number: invalid line '$text' (expected a configure option starting with --, a definition starting with -D, or a compiler flag starting with -)" >&2
			errors=$((errors + 1))
			;;
		esac
	done <"$options_file"
	[ "$errors" = 0 ] || die "$errors invalid line(s) in $options_file"
}

# Installs the packages the build needs, the way ./run installs its own.
ensure_packages() {
	local missing=() p

	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || missing+=("$p")
	done
	[ "${#missing[@]}" = 0 ] && return 0
	[ "$(id -u)" = 0 ] ||
		die "missing packages: ${missing[*]} (install them, or run as root)"
	note "installing ${missing[*]}"
	{ apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}"; } >&2 ||
		die "apt-get install ${missing[*]} failed"
}

# Writes deb822 stanzas of type deb-src for every enabled "deb" source of the
# machine, keeping their URIs, suites, components and keys.
write_source_list() {
	local out=$1 file

	: >"$out"
	for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$file" ] || continue
		# One-line format: "deb [options] URI suite component...".
		awk '
			$1 != "deb" { next }
			{
				options = ""; i = 2
				if ($2 ~ /^\[/) {
					while (i <= NF) {
						options = options " " $i
						if ($i ~ /\]$/) { i++; break }
						i++
					}
				}
				uri = $i; suite = $(i + 1); components = ""
				for (j = i + 2; j <= NF; j++) components = components " " $j
				print "Types: deb-src"
				print "URIs: " uri
				print "Suites: " suite
				if (components != "") print "Components:" components
				if (match(options, /signed-by=[^] ]+/))
					print "Signed-By: " substr(options, RSTART + 10, RLENGTH - 10)
				print ""
			}' "$file" >>"$out"
	done
	for file in /etc/apt/sources.list.d/*.sources; do
		[ -f "$file" ] || continue
		# deb822 format: copy each enabled stanza that has type deb, with
		# its continuation lines (an inline Signed-By key spans several).
		awk '
			function flush() {
				if (stanza != "" && has_deb && !disabled)
					printf "Types: deb-src\n%s\n", stanza
				stanza = ""; has_deb = 0; disabled = 0
			}
			/^#/ { next }
			/^[[:space:]]*$/ { flush(); next }
			/^Types:/ {
				for (i = 2; i <= NF; i++) if ($i == "deb") has_deb = 1
				next
			}
			/^Enabled:[[:space:]]*[Nn]o/ { disabled = 1; next }
			{ stanza = stanza $0 "\n" }
			END { flush() }' "$file" >>"$out"
	done
	[ -s "$out" ] || die "no deb sources found in /etc/apt to derive deb-src sources from"
}

# Fetches Debian's wolfssl source package into $deps/sources/debian/ unless it
# is there already.  With --refresh it requests the newest one again.
fetch_debian_source() {
	local cache=$deps/sources/debian apt_dir=$deps/apt download
	local apt_options

	if [ -z "$refresh" ] && compgen -G "$cache/wolfssl_*.dsc" >/dev/null; then
		return 0
	fi
	ensure_packages dpkg-dev

	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	write_source_list "$apt_dir/sources.sources"
	apt_options=(-o "Dir::Etc::SourceList=$apt_dir/sources.sources"
		-o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$apt_dir/lists"
		-o "Dir::Cache=$apt_dir/cache")
	note "reading the source package index with a private apt source list"
	apt-get "${apt_options[@]}" update -qq >&2 ||
		die "apt-get update with the private source list $apt_dir/sources.sources failed"

	download=$(mktemp -d "$deps/download.XXXXXX")
	# apt downloads as user _apt when it can; let it write here.
	if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$download"
	fi
	(cd "$download" && apt-get "${apt_options[@]}" -qq source --download-only wolfssl) >&2 || {
		rm -rf "$download"
		die "apt-get source --download-only wolfssl failed; set SUBTLS_WOLFSSL_TARBALL to a wolfSSL release tarball instead"
	}
	rm -rf "$cache"
	mkdir -p "$(dirname "$cache")"
	mv "$download" "$cache"
	chown -R "$(id -u):$(id -g)" "$cache"
	# The package indexes (about 20 MB) are only needed for a fetch.
	rm -rf "$apt_dir"
	note "fetched $(basename "$cache"/wolfssl_*.dsc .dsc)"
}

# Sets source_files (what identifies the source) and source_name.
source_files=()
source_name=
locate_source() {
	if [ -n "${SUBTLS_WOLFSSL_TARBALL:-}" ]; then
		[ -f "$SUBTLS_WOLFSSL_TARBALL" ] ||
			die "SUBTLS_WOLFSSL_TARBALL: $SUBTLS_WOLFSSL_TARBALL: not found"
		source_files=("$(realpath "$SUBTLS_WOLFSSL_TARBALL")")
		source_name=$(basename "$SUBTLS_WOLFSSL_TARBALL")
		return 0
	fi
	fetch_debian_source
	local dsc
	# A fetch replaces the whole directory, so it contains one .dsc.
	dsc=$(compgen -G "$deps/sources/debian/wolfssl_*.dsc" | sort -V | tail -n 1)
	# The .dsc lists the checksums of the tarballs it unpacks, so it
	# identifies the whole source package.
	source_files=("$dsc")
	source_name=$(basename "$dsc" .dsc)
}

# Unpacks the source into $1, with Debian's patches applied.
unpack_source() {
	local dest=$1 inner

	if [ -n "${SUBTLS_WOLFSSL_TARBALL:-}" ]; then
		mkdir -p "$dest.unpack"
		tar -xf "${source_files[0]}" -C "$dest.unpack"
		inner=$(find "$dest.unpack" -mindepth 1 -maxdepth 1)
		if [ "$(printf '%s\n' "$inner" | wc -l)" != 1 ] || [ ! -d "$inner" ]; then
			die "$SUBTLS_WOLFSSL_TARBALL: expected one top-level directory"
		fi
		mv "$inner" "$dest"
		rmdir "$dest.unpack"
	else
		ensure_packages dpkg-dev
		dpkg-source --no-copy -x "${source_files[0]}" "$dest" >>"$log" 2>&1 ||
			die "dpkg-source -x ${source_files[0]} failed (see $log)"
	fi
	[ -f "$dest/configure.ac" ] || [ -f "$dest/configure" ] ||
		die "$source_name: no configure script or configure.ac; is this a wolfSSL source?"
}

# Prints a hash of everything that shapes the library: when it changes, the
# installed build is out of date.
build_hash() {
	{
		echo "recipe $recipe_version"
		sha256sum "${source_files[@]}" | cut -d' ' -f1
		printf 'option %s\n' "${configure_args[@]}"
		echo "cppflags $cppflags"
		echo "cflags $cflags ${CFLAGS:-}"
		"${CC:-gcc}" --version | head -n 1
	} | sha256sum | cut -d' ' -f1
}

# Lets static links through pkg-config pick up the libraries that libtool
# recorded; wolfSSL 5.5.4's wolfssl.pc omits them.
add_private_libs() {
	local libdir=$1 libs

	libs=$(sed -n "s/^dependency_libs='\(.*\)'/\1/p" "$libdir/libwolfssl.la" | xargs)
	rm -f "$libdir/libwolfssl.la"
	[ -n "$libs" ] && ! grep -q '^Libs.private:' "$libdir/pkgconfig/wolfssl.pc" &&
		echo "Libs.private: $libs" >>"$libdir/pkgconfig/wolfssl.pc"
	return 0
}

# Checks that every definition from the options file reached options.h, the
# header subtls includes before any other wolfSSL header.
check_options_header() {
	local header=$1 definition name missing=()

	for definition in $cppflags; do
		name=${definition#-D}
		name=${name%%=*}
		grep -q "^#define $name\b" "$header" || missing+=("$name")
	done
	[ "${#missing[@]}" = 0 ] ||
		die "$header lacks ${missing[*]} from $options_file"
}

build() {
	local hash=$1 tree=$work/wolfssl stage=$work/stage jobs

	jobs=${SUBTLS_WOLFSSL_JOBS:-$(nproc)}
	rm -rf "$work"
	mkdir -p "$work"
	: >"$log"
	note "building $source_name (log: $log)"
	unpack_source "$tree"

	# Each step is chained with &&: set -e does not apply inside a
	# command whose failure is handled with ||.
	(
		cd "$tree" &&
			{ [ -x configure ] || ./autogen.sh; } &&
			# A misspelled option fails here instead of being
			# ignored with a warning.
			./configure --enable-option-checking=fatal \
				--prefix="$prefix" "${configure_args[@]}" \
				"CPPFLAGS=$cppflags" \
				"CFLAGS=${CFLAGS:+$CFLAGS }$cflags" &&
			make -j"$jobs" &&
			make install DESTDIR="$stage"
	) >>"$log" 2>&1 || {
		tail -n 20 "$log" >&2
		die "building wolfSSL failed (full log: $log)"
	}

	check_options_header "$stage$prefix/include/wolfssl/options.h"
	add_private_libs "$stage$prefix/lib"
	{
		echo "$hash"
		echo "source $source_name"
		printf 'configure %s\n' "${configure_args[*]}"
		echo "cppflags $cppflags"
		echo "cflags ${CFLAGS:+$CFLAGS }$cflags"
	} >"$stage$prefix/subtls-build.stamp"

	# The old install is replaced only now that the new one is complete, so a
	# failed build leaves it in place.
	rm -rf "$prefix.old"
	[ ! -e "$prefix" ] || mv "$prefix" "$prefix.old"
	mv "$stage$prefix" "$prefix"
	rm -rf "$prefix.old" "$work"
}

main() {
	local force='' hash started

	while [ $# -gt 0 ]; do
		case $1 in
		--force) force=1 ;;
		--refresh) refresh=1 ;;
		-h | --help)
			usage
			return 0
			;;
		*)
			usage >&2
			return 2
			;;
		esac
		shift
	done

	mkdir -p "$deps"
	# One build at a time: a second run waits, then finds the build done.
	exec 9>"$deps/wolfssl-build.lock"
	flock 9

	read_options
	ensure_packages gcc make autoconf automake libtool
	locate_source
	hash=$(build_hash)
	if [ -z "$force" ] && [ -f "$prefix/lib/libwolfssl.a" ] &&
		[ "$(head -n 1 "$stamp" 2>/dev/null)" = "$hash" ]; then
		note "$prefix is up to date ($source_name)"
		return 0
	fi

	started=$(date +%s)
	build "$hash"
	note "installed $source_name into $prefix in $(($(date +%s) - started)) s"
}

main "$@"
