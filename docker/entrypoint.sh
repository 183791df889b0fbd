#!/bin/sh
# The container's entrypoint: checks the configuration with "subtls -t",
# then replaces itself with subtls, so that subtls is PID 1 and receives
# SIGTERM and SIGHUP directly.
#
#   (no arguments)   check $SUBTLS_CONFIG, then run subtls -c $SUBTLS_CONFIG
#   -OPTION ...      run subtls with these options (for example -V)
#   COMMAND ...      run COMMAND (for example bash)
#
# SUBTLS_CONFIG defaults to /etc/subtls/subtls.ini.  The check prints the
# effective settings and each certificate's subject and expiry to stdout, so
# the container log records what every start loaded.  subtls would also
# reject a bad file by itself, but the check adds a line that names the
# file as the reason the container stopped.
set -eu

config=${SUBTLS_CONFIG:-/etc/subtls/subtls.ini}

case ${1:-} in
'') ;;
-*) exec subtls "$@" ;;
*) exec "$@" ;;
esac

if ! subtls -t -c "$config"; then
	echo "subtls-entrypoint: $config has errors (listed above as file:line); not starting" >&2
	exit 1
fi
exec subtls -c "$config"
