#!/usr/bin/env bash
# System packages that some tests need (npm run setup:system). Without them, `npm test` skips those
# tests and names what is missing; under CI=true their absence is a failure, so .ci/run runs this first.
#
#   test/e2e/ocf.test.ts           ocf-tester, ocf-shellfuncs (resource-agents), xmllint (libxml2-utils)
#   test/data-plane/*.test.ts      root, ip netns (iproute2), python3, ping (iputils-ping)
#   test/lab/*.test.ts             the above, corosync, pacemaker (pacemakerd, crm_mon, cibadmin, crm_resource), unshare,
#                                  aws (awscli, for ClusterLabs' aws-vpc-move-ip)
#
# As root with apt-get, installs what is missing; otherwise prints the command to run and exits 1.
set -uo pipefail
missing=()
have() { command -v "$1" >/dev/null 2>&1; }
[ -x /usr/sbin/ocf-tester ] && [ -f /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs ] || missing+=(resource-agents)
have xmllint || missing+=(libxml2-utils)
have ip || missing+=(iproute2)
have python3 || missing+=(python3)
have ping || missing+=(iputils-ping)
have corosync || missing+=(corosync)
have pacemakerd && have crm_mon && have cibadmin && have crm_resource || missing+=(pacemaker pacemaker-cli-utils)
have unshare || missing+=(util-linux)
have aws || missing+=(awscli)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && have apt-get; then
  echo "setup:system: installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit $?
fi
echo "setup:system: missing ${missing[*]}; run as root: apt-get install -y --no-install-recommends ${missing[*]}" >&2
exit 1
