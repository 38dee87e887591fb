#!/usr/bin/env bash
# Bench set-up: the baselines need the AWS CLI (baselines 1 and 2) and ClusterLabs' resource agents
# (baseline 2, aws-vpc-move-ip). Installs the Debian packages that are missing when run as root with
# apt-get; otherwise says what is missing and goes on: the benchmark then reports those baselines as
# not run, with the reason, and never stands anything in for them.
set -uo pipefail
missing=()
command -v aws >/dev/null 2>&1 || missing+=(awscli)
[ -x /usr/lib/ocf/resource.d/heartbeat/aws-vpc-move-ip ] || missing+=(resource-agents)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "bench set-up: installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || echo "bench set-up: could not install ${missing[*]}; the baselines that need them will not run" >&2
else
  echo "bench set-up: missing ${missing[*]} (install the Debian packages as root); the baselines that need them will not run" >&2
fi
exit 0
