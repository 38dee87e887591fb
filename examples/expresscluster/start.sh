#! /bin/sh
#***************************************************************
#* start.sh - EXPRESSCLUSTER EXEC resource: move the VIP routes
#*            to this server when the failover group starts here.
#***************************************************************
# Runs `vipctl failover --to self`: the Step Functions workflow re-points every VIP route (this
# server's VPC route tables, every Transit Gateway route table, every other VPC's route tables,
# in all regions), verifies the path hop by hop, and keeps the run for audit and rollback.
#
# Exit codes of vipctl: 0 converged, 3 DEGRADED (this region converged, another region unreachable),
# 1 failed, 2 configuration error, 4 AWS unreachable. EXPRESSCLUSTER treats a non-zero exit of the
# start script as an activation failure, so DEGRADED is accepted here (the service is reachable
# from this region) and logged as a warning; the monitor's --repair converges the rest later.
#
# --direct-when-unavailable: when Step Functions cannot start the run in any cluster region (network
# error, 5xx or throttling everywhere), this server runs the same tasks itself, calling only EC2: the
# same plan, update order and verification, recorded in /var/lib/tgw-vip-failover/runs (VIPCTL_JOURNAL)
# and listed by `vipctl runs`. Its instance role needs the statement of `vipctl policy --node --direct`.

VIPCTL="${VIPCTL:-/usr/local/bin/vipctl}"
VIPCTL_CONFIG="${VIPCTL_CONFIG:-/opt/nec/clusterpro/scripts/vipctl/cluster.yaml}"
VIPCTL_TIMEOUT="${VIPCTL_TIMEOUT:-150}"

log() {
    if command -v clplogcmd >/dev/null 2>&1; then
        clplogcmd -m "vipctl: $2" -l "$1"
    fi
    echo "vipctl: $2"
}

case "${CLP_EVENT:-START}" in
    START|FAILOVER|RECOVER) ;;
    *) exit 0 ;;
esac

"$VIPCTL" --config "$VIPCTL_CONFIG" failover --to self --timeout "$VIPCTL_TIMEOUT" \
    --direct-when-unavailable --reason "EXPRESSCLUSTER ${CLP_EVENT:-START} of ${CLP_GROUPNAME:-group} on ${CLP_SERVER:-HOME}"
rc=$?
case $rc in
    0) log INFO "VIP routes now reach this server"; exit 0 ;;
    3) log WARN "VIP routes DEGRADED: this region converged, another region unreachable; the monitor will repair"; exit 0 ;;
    2) log ERR "configuration error (check $VIPCTL_CONFIG)"; exit 1 ;;
    4) log ERR "AWS API unreachable; routes not moved"; exit 1 ;;
    *) log ERR "failover failed (exit $rc); see 'vipctl show --last'"; exit 1 ;;
esac
