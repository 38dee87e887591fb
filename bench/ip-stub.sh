#!/bin/sh
# A recording stand-in for iproute2's `ip`, first on PATH when the benchmark runs aws-vpc-move-ip: it
# logs every command to $BENCH_IP_LOG and keeps the addresses the agent adds in $BENCH_IP_STATE, so the
# host's interfaces are never touched. It answers the commands the agent runs:
#   ip -br link show dev <if>        -> "<if> UP <mac> <flags>", the MAC of the node's ENI ($BENCH_IP_MAC)
#   ip addr show to <ip> up          -> the address line when it was added
#   ip addr add|delete <ip>/32 dev <if>
#   ip route show ...                -> nothing
echo "ip $*" >> "$BENCH_IP_LOG"
case "$*" in
  "-br link show dev "*)
    echo "$5             UP             $BENCH_IP_MAC <BROADCAST,MULTICAST,UP,LOWER_UP>" ;;
  "addr show to "*)
    if [ -f "$BENCH_IP_STATE" ] && grep -qx "$4" "$BENCH_IP_STATE"; then
      echo "2: vipbench0    inet $4/32 scope global vipbench0"
    fi ;;
  "addr add "*)
    echo "${3%/32}" >> "$BENCH_IP_STATE" ;;
  "addr delete "*)
    if [ -f "$BENCH_IP_STATE" ] && grep -qx "${3%/32}" "$BENCH_IP_STATE"; then
      grep -vx "${3%/32}" "$BENCH_IP_STATE" > "$BENCH_IP_STATE.new"; mv "$BENCH_IP_STATE.new" "$BENCH_IP_STATE"
    else
      echo "RTNETLINK answers: Cannot assign requested address" >&2; exit 2
    fi ;;
  "route "*) ;;
  *) echo "ip stub: unexpected command: $*" >&2; exit 1 ;;
esac
