#!/bin/sh
# install.sh - installs vipctl on a cluster node from the unpacked artifact. Running it again
# (the same or a newer artifact) replaces the files and links; nothing else changes.
#
#   ./install.sh [--prefix DIR] [--bin-dir DIR] [--ocf]
#
#   --prefix DIR    where the files go (default /opt/tgw-vip-failover)
#   --bin-dir DIR   where the `vipctl` link goes (default /usr/local/bin)
#   --ocf           also install the Pacemaker agent as ocf:tgw-vip-failover:vipctl
#                   (under OCF_ROOT, default /usr/lib/ocf)
#
# Needs Node.js 20 or later on PATH. The topology file is not installed: put it where the cluster
# scripts expect it (see expresscluster/README.md and pacemaker/vipctl).
set -eu

prefix=/opt/tgw-vip-failover
bin_dir=/usr/local/bin
ocf=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        --bin-dir) bin_dir="${2:?--bin-dir needs a directory}"; shift 2 ;;
        --bin-dir=*) bin_dir="${1#--bin-dir=}"; shift ;;
        --ocf) ocf=1; shift ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

here=$(cd "$(dirname "$0")" && pwd)

if ! command -v node >/dev/null 2>&1; then
    echo "install.sh: Node.js 20 or later is needed on PATH (e.g. dnf install nodejs:20)" >&2
    exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
    echo "install.sh: Node.js $(node --version) is too old; vipctl needs 20 or later" >&2
    exit 1
fi

mkdir -p "$prefix/lib/chunks" "$prefix/bin" "$prefix/expresscluster" "$prefix/pacemaker" "$prefix/examples" "$bin_dir"
# The chunks are named by their content hash: a chunk already there is the same file and is left
# alone, and a new one is written beside the chunks of the installed version, which a vipctl started
# earlier may still load.
for chunk in "$here"/lib/chunks/*; do
    name=$(basename "$chunk")
    [ -e "$prefix/lib/chunks/$name" ] && continue
    cp -f "$chunk" "$prefix/lib/chunks/.$name.new"
    mv -f "$prefix/lib/chunks/.$name.new" "$prefix/lib/chunks/$name"
done
cp -f "$here/lib/vipctl.mjs" "$prefix/lib/vipctl.mjs.new"
chmod 755 "$prefix/lib/vipctl.mjs.new"
# Then the entry, replaced in one step, so that a monitor starting vipctl meanwhile never reads half
# a file nor an entry whose chunks are missing.
mv -f "$prefix/lib/vipctl.mjs.new" "$prefix/lib/vipctl.mjs"
for extra in "$here"/lib/*.LEGAL.txt; do
    [ -e "$extra" ] && cp -f "$extra" "$prefix/lib/"
done
ln -sfn ../lib/vipctl.mjs "$prefix/bin/vipctl"
cp -f "$here"/expresscluster/* "$prefix/expresscluster/"
cp -f "$here/pacemaker/vipctl" "$prefix/pacemaker/vipctl"
cp -f "$here"/examples/*.yaml "$prefix/examples/"
cp -f "$here/VERSION" "$prefix/VERSION"
ln -sfn "$prefix/bin/vipctl" "$bin_dir/vipctl"

if [ "$ocf" = 1 ]; then
    agent_dir="${OCF_ROOT:-/usr/lib/ocf}/resource.d/tgw-vip-failover"
    mkdir -p "$agent_dir"
    cp -f "$here/pacemaker/vipctl" "$agent_dir/vipctl"
    chmod 755 "$agent_dir/vipctl"
    echo "installed the OCF agent as ocf:tgw-vip-failover:vipctl ($agent_dir/vipctl)"
fi

echo "installed vipctl $(cat "$here/VERSION") in $prefix; $bin_dir/vipctl -> $prefix/bin/vipctl"
"$bin_dir/vipctl" --version >/dev/null 2>&1 || "$bin_dir/vipctl" --help >/dev/null
