/*
 * Leaving root after binding (see privileges.h).
 *
 * Inside a chroot, subtls opens these files after start-up, each at the
 * same path inside the directory: /dev/urandom, the backend's unix socket,
 * and on SIGHUP or a watch_files reload the config file and the TLS files.
 * wolfSSL reads /dev/urandom for every new TLS session, so enter_chroot()
 * makes a missing one an error.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proxy/log.h"
#include "proxy/privileges.h"

/* The uid and gid of [global] user and group, looked up before chroot. */
struct target_ids {
	uid_t uid;
	gid_t gid;
};

int
privileges_check_start(const struct config_global *global)
{
	if (global->chroot != NULL && geteuid() != 0) {
		log_error("chroot = %s needs subtls to start as root (it runs "
		    "as uid %u); start it as root with user set, or remove "
		    "chroot", global->chroot, (unsigned)geteuid());
		return -1;
	}
	return 0;
}

static int
lookup_ids(const struct config_global *g, struct target_ids *ids)
{
	struct passwd *pw;
	struct group *gr;

	pw = getpwnam(g->user);
	if (pw == NULL) {
		log_error("user '%s' not found", g->user);
		return -1;
	}
	ids->uid = pw->pw_uid;
	ids->gid = pw->pw_gid;
	if (g->group != NULL) {
		gr = getgrnam(g->group);
		if (gr == NULL) {
			log_error("group '%s' not found", g->group);
			return -1;
		}
		ids->gid = gr->gr_gid;
	}
	return 0;
}

/* wolfSSL 5.5.4 as built for subtls seeds each session's random number
 * generator from /dev/urandom, opened anew each time. */
static int
enter_chroot(const char *directory, const char *config_path)
{
	if (chroot(directory) != 0 || chdir("/") != 0) {
		log_error("chroot %s failed: %s", directory, strerror(errno));
		return -1;
	}
	if (access("/dev/urandom", R_OK) != 0) {
		log_error("chroot %s: %s/dev/urandom: %s; wolfSSL needs it for "
		    "every TLS session (create it with: mkdir -p %s/dev && "
		    "mknod -m 666 %s/dev/urandom c 1 9)", directory, directory,
		    strerror(errno), directory, directory);
		return -1;
	}
	log_info("entered chroot %s", directory);
	config_set_chrooted(true);
	if (config_path[0] != '/' || access(config_path, R_OK) != 0)
		log_warning("chroot %s: %s is not readable inside it at that "
		    "path, so a reload (SIGHUP or watch_files) will fail; "
		    "copy or bind-mount it to %s%s", directory, config_path,
		    directory, config_path);
	return 0;
}

/* Whether the process's gid or one of its supplementary groups is gid. */
static bool
has_group(gid_t gid)
{
	gid_t *groups;
	int count;
	bool found = false;

	if (getgid() == gid || getegid() == gid)
		return true;
	count = getgroups(0, NULL);
	if (count <= 0)
		return false;
	groups = calloc((size_t)count, sizeof(*groups));
	if (groups == NULL)
		return false;
	count = getgroups(count, groups);
	for (int i = 0; i < count; i++) {
		if (groups[i] == gid)
			found = true;
	}
	free(groups);
	return found;
}

/*
 * Checks user and group for a process that did not start as root, such as
 * one started by a systemd unit with User=.  It cannot switch ids, so the
 * start is fine only when it already runs as user (and, if group is set,
 * has that group).
 */
static int
check_unprivileged_ids(const struct config_global *g,
    const struct target_ids *ids)
{
	bool user_matches = getuid() == ids->uid && geteuid() == ids->uid;
	bool group_matches = g->group == NULL || has_group(ids->gid);

	if (!user_matches || !group_matches) {
		log_error("cannot switch to user '%s'%s%s%s: subtls was not "
		    "started as root (it runs as uid %u, gid %u), so it cannot "
		    "switch users; remove user and group from [global], or "
		    "start subtls as root", g->user,
		    g->group != NULL ? " and group '" : "",
		    g->group != NULL ? g->group : "",
		    g->group != NULL ? "'" : "",
		    (unsigned)getuid(), (unsigned)getgid());
		return -1;
	}
	log_info("already running as user %s (uid %u, gid %u), so no switch "
	    "is needed", g->user, (unsigned)getuid(), (unsigned)getgid());
	return 0;
}

static int
switch_ids(const struct config_global *g, const struct target_ids *ids)
{
	if (setgroups(1, &ids->gid) != 0 || setgid(ids->gid) != 0 ||
	    setuid(ids->uid) != 0) {
		log_error("cannot switch to user '%s': %s", g->user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		log_error("privileges were not dropped: setuid(0) still works");
		return -1;
	}
	log_info("running as user %s (uid %u, gid %u)", g->user,
	    (unsigned)ids->uid, (unsigned)ids->gid);
	return 0;
}

int
privileges_drop(const struct config_global *global, const char *config_path)
{
	struct target_ids ids = { 0 };

	if (global->user != NULL && lookup_ids(global, &ids) != 0)
		return -1;

	if (global->chroot != NULL) {
		/* syslog() stamps its lines in local time: load the zone
		 * while /etc/localtime is still reachable. */
		tzset();
		log_open_syslog();
		if (enter_chroot(global->chroot, config_path) != 0)
			return -1;
	}

	if (global->user != NULL) {
		int status = geteuid() == 0 ? switch_ids(global, &ids) :
		    check_unprivileged_ids(global, &ids);

		if (status != 0)
			return -1;
	}

	if ((getuid() == 0 || geteuid() == 0) && !global->allow_root) {
		log_error("refusing to run as root: set user in [global] to "
		    "the account subtls should run as (it binds its ports "
		    "first), or set allow_root = yes");
		return -1;
	}
	if (getuid() == 0 || geteuid() == 0)
		log_warning("running as root because allow_root = yes: a flaw "
		    "in subtls or wolfSSL would give an attacker root; set user "
		    "in [global] to run as an unprivileged account");
	return 0;
}
