#!/bin/bash
# Requests PATH from subtls's admin listener and exits 0 on an HTTP 200
# reply, 1 otherwise: the container's HEALTHCHECK and the Kubernetes exec
# probes.  The image has no HTTP client, so this script speaks HTTP/1.0
# through bash's /dev/tcp.
#
#   subtls-probe PATH            for example /healthz or /readyz
#
# SUBTLS_ADMIN_ADDRESS (default 127.0.0.1:9465) is the admin listener's
# IPv4 address and port, as in "[admin] listen".
set -u

path=${1:?usage: subtls-probe PATH}
address=${SUBTLS_ADMIN_ADDRESS:-127.0.0.1:9465}
host=${address%:*}
port=${address##*:}

# A connect to a loopback port where nothing listens fails at once.  The
# read has its own limit, so a listener that accepts and never replies does
# not hang the probe.
if ! exec 3<>"/dev/tcp/$host/$port"; then
	echo "subtls-probe: connection to $address failed" >&2
	exit 1
fi
printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$address" >&3
if ! IFS= read -r -t 5 status_line <&3; then
	echo "subtls-probe: no status line from $address: the connection closed or 5 s passed" >&2
	exit 1
fi
status_line=${status_line%$'\r'}
# Read the rest of the reply, so that the server's last write does not meet
# a closed socket.
while IFS= read -r -t 5 _ <&3; do :; done
case $status_line in
'HTTP/1.'[01]' 200 '* | 'HTTP/1.'[01]' 200')
	exit 0
	;;
*)
	echo "subtls-probe: GET $path on $address: $status_line" >&2
	exit 1
	;;
esac
