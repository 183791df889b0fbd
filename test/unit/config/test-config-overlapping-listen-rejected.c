/*
 * A wildcard and a specific address of the same family on one port cannot
 * both be bound, so the config check rejects them instead of the start.
 */
#include "test/unit/config/config_test.h"

#define HEAD CONFIG_TEST_TLS CONFIG_TEST_BACKEND	/* lines 1 to 5 */
#define OVERLAP_ALLOWED \
	"(allowed: the wildcard or specific addresses, not both)\n"

int
main(void)
{
	config_test_setup();

	config_test_expect_errors("IPv4 wildcard after a specific address",
	    HEAD "[listener a]\nmode = implicit\nlisten = 127.0.0.1:465\n"
	    "[listener b]\nmode = starttls\nlisten = 0.0.0.0:465\n",
	    "@FILE@:11: listen addresses 0.0.0.0:465 and 127.0.0.1:465 "
	    "(line 8) overlap: a wildcard takes the port on every address "
	    OVERLAP_ALLOWED);
	config_test_expect_errors("IPv6 wildcard before a specific address",
	    HEAD "[listener a]\nmode = implicit\nlisten = [::]:465,\n"
	    "  [::1]:465\n",
	    "@FILE@:9: listen addresses [::1]:465 and [::]:465 (line 8) "
	    "overlap: a wildcard takes the port on every address "
	    OVERLAP_ALLOWED);
	config_test_expect_errors("wildcards of both families are fine",
	    HEAD "[listener a]\nmode = implicit\n"
	    "listen = 0.0.0.0:465, [::]:465\n", "");
	config_test_expect_errors("specific addresses on one port are fine",
	    HEAD "[listener a]\nmode = implicit\n"
	    "listen = 127.0.0.1:465, 127.0.0.2:465\n", "");
	config_test_expect_errors("wildcard on another port is fine",
	    HEAD "[listener a]\nmode = implicit\n"
	    "listen = 0.0.0.0:465, 127.0.0.1:587\n", "");

	return check_done();
}
