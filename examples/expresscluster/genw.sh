#! /bin/sh
#***************************************************************
#* genw.sh - EXPRESSCLUSTER custom monitor: do the VIP routes
#*           reach this server?
#***************************************************************
# Custom monitor resource (genw), Monitor Type "Synchronous", Monitor Timing "Active",
# Target Resource: the EXEC resource that runs start.sh. See README.md for intervals and timeouts.
#
# `vipctl check --active self` reads the routes with read-only EC2 calls and traces them:
#   0 converged          -> normal
#   1 not converged      -> error: EXPRESSCLUSTER runs the recovery action (restart the EXEC
#                           resource, i.e. start.sh re-runs the failover), unless VIPCTL_REPAIR=1
#                           lets vipctl repair it in place first
#   4 AWS unreachable    -> the state is unknown, not wrong: a warning, reported as normal, so an
#                           AWS API outage never triggers a failover (set VIPCTL_UNREACHABLE_IS_ERROR=1
#                           to change that)
#   2 configuration error-> error

VIPCTL="${VIPCTL:-/usr/local/bin/vipctl}"
VIPCTL_CONFIG="${VIPCTL_CONFIG:-/opt/nec/clusterpro/scripts/vipctl/cluster.yaml}"

log() {
    if command -v clplogcmd >/dev/null 2>&1; then
        clplogcmd -m "vipctl: $2" -l "$1"
    fi
    echo "vipctl: $2"
}

if [ "${VIPCTL_REPAIR:-0}" = "1" ]; then
    "$VIPCTL" --config "$VIPCTL_CONFIG" check --active self --repair
else
    "$VIPCTL" --config "$VIPCTL_CONFIG" check --active self
fi
rc=$?
case $rc in
    0) exit 0 ;;
    3) log WARN "repair ended DEGRADED: another region is still unreachable"; exit 0 ;;
    4) if [ "${VIPCTL_UNREACHABLE_IS_ERROR:-0}" = "1" ]; then exit 1; fi
       log WARN "AWS API unreachable: VIP routes could not be checked"; exit 0 ;;
    *) log ERR "VIP routes do not reach this server (exit $rc)"; exit 1 ;;
esac
