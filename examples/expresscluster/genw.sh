#! /bin/sh
#***************************************************************
#* genw.sh - EXPRESSCLUSTER custom monitor: do the VIP routes
#*           reach this server?
#***************************************************************
# Custom monitor resource (genw), Monitor Type "Synchronous", Monitor Timing "Active",
# Target Resource: the EXEC resource that runs start.sh. See README.md for intervals and timeouts.
#
# `vipctl check --active self` reads the routes with read-only EC2 calls and traces them, and checks
# that every VIP is an address of this server (the AWS Virtual IP resource adds it; set
# VIPCTL_HOST_CHECK=0 when something else owns the address):
#   0 converged          -> normal
#   1 not converged      -> error: EXPRESSCLUSTER runs the recovery action (restart the EXEC
#                           resource, i.e. start.sh re-runs the failover), unless VIPCTL_REPAIR=1
#                           lets vipctl repair it in place first
#   4 AWS unreachable    -> the state is unknown, not wrong: a warning, reported as normal, so an
#                           AWS API outage never triggers a failover (set VIPCTL_UNREACHABLE_IS_ERROR=1
#                           to change that)
#   2 configuration error-> error
# The check is ended after VIPCTL_CHECK_TIMEOUT seconds (default 25, below the monitor's 30 s timeout)
# and then counts as AWS unreachable: a monitor timeout would be an error and trigger recovery.
# A repair waits for its failover at most VIPCTL_CHECK_TIMEOUT less 10 s: with VIPCTL_REPAIR=1, set
# the monitor's timeout to 180 s and VIPCTL_CHECK_TIMEOUT=170.

VIPCTL="${VIPCTL:-/usr/local/bin/vipctl}"
VIPCTL_CONFIG="${VIPCTL_CONFIG:-/opt/nec/clusterpro/scripts/vipctl/cluster.yaml}"
VIPCTL_CHECK_TIMEOUT="${VIPCTL_CHECK_TIMEOUT:-25}"

log() {
    if command -v clplogcmd >/dev/null 2>&1; then
        clplogcmd -m "vipctl: $2" -l "$1"
    fi
    echo "vipctl: $2"
}

set -- check --active self
if [ "${VIPCTL_HOST_CHECK:-1}" = "0" ]; then
    set -- "$@" --no-host-check
fi
if [ "${VIPCTL_REPAIR:-0}" = "1" ]; then
    wait=$((VIPCTL_CHECK_TIMEOUT - 10))
    [ "$wait" -lt 5 ] && wait=5
    set -- "$@" --repair --timeout "$wait"
fi
if command -v timeout >/dev/null 2>&1; then
    timeout "$VIPCTL_CHECK_TIMEOUT" "$VIPCTL" --config "$VIPCTL_CONFIG" "$@"
else
    "$VIPCTL" --config "$VIPCTL_CONFIG" "$@"
fi
rc=$?
case $rc in
    0) exit 0 ;;
    3) log WARN "repair ended DEGRADED: another region is still unreachable"; exit 0 ;;
    4|124)
       if [ $rc = 124 ]; then what="no answer within ${VIPCTL_CHECK_TIMEOUT}s"; else what="exit 4"; fi
       if [ "${VIPCTL_UNREACHABLE_IS_ERROR:-0}" = "1" ]; then
           log ERR "AWS API unreachable ($what): VIP routes could not be checked"; exit 1
       fi
       log WARN "AWS API unreachable ($what): VIP routes could not be checked"; exit 0 ;;
    *) log ERR "VIP routes do not reach this server, or the VIP is not on it (exit $rc)"; exit 1 ;;
esac
