/*
 * Leaving root after the listeners are bound: [global] chroot, user and
 * group, and the refusal to keep running as root unless allow_root = yes.
 */
#ifndef PROXY_PRIVILEGES_H
#define PROXY_PRIVILEGES_H

#include "config/config.h"

/*
 * Checks before anything is bound that the settings can be carried out:
 * chroot needs subtls to start as root.  Returns 0, or -1 after logging an
 * error that names the fix.
 */
int privileges_check_start(const struct config_global *global);

/*
 * Enters the chroot directory, then switches to the configured user and
 * group, then checks that neither the real nor the effective uid is 0
 * unless allow_root = yes.  The user and group are looked up, the time
 * zone is loaded and syslog is connected before the chroot, because none
 * of their files are inside it.  A warning is logged when config_path is
 * not readable inside the chroot, because SIGHUP reads it there.
 * Returns 0, or -1 after logging the error.
 */
int privileges_drop(const struct config_global *global,
    const char *config_path);

#endif
