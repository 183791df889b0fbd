#!/bin/sh
# Sets the ownership and modes that Postfix expects, because a fresh volume
# over the queue or public/ starts out owned by root.  Then prepares the
# chroot of master.cf's chrooted services as the ExecStartPre of Debian's
# postfix@.service does: configure-instance.sh copies /etc/resolv.conf,
# /etc/services, /etc/hosts and the other files that name lookups need into
# /var/spool/postfix.  Last, runs Postfix in the foreground.
set -eu
postfix set-permissions
/usr/lib/postfix/configure-instance.sh -
exec postfix start-fg
