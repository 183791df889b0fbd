#!/bin/sh
# Sets the ownership and modes that Postfix expects (a fresh volume over
# public/ starts out owned by root) and runs Postfix in the foreground.
set -eu
postfix set-permissions
exec postfix start-fg
