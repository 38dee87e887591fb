/**
 * Is the VIP on this host? The routes can all lead to the node and clients still time out when no
 * interface of the node carries the VIP: the kernel drops packets for an address it does not own.
 * The cluster manager's address resource (EXPRESSCLUSTER's AWS Virtual IP resource, Pacemaker's
 * IPaddr2) adds it; `check --active self` verifies it here.
 */
import type { NetworkInterfaceInfo } from 'node:os';

/** The host's interfaces as `os.networkInterfaces()` returns them; tests pass their own. */
export type InterfaceLister = () => NodeJS.Dict<NetworkInterfaceInfo[]>;

/** The VIPs (CIDRs of one address: /32, /128) that no interface of the host carries. */
export function vipsNotOnHost(vips: readonly string[], interfaces: InterfaceLister): string[] {
  const addresses = new Set(
    Object.values(interfaces())
      .flatMap((list) => list ?? [])
      .map((info) => canonical(info.address)),
  );
  return vips.filter((vip) => !addresses.has(canonical(vip.replace(/\/\d+$/, ''))));
}

/** One spelling per address: IPv6 compressed and lower-case (the URL parser's form), no zone index. */
function canonical(address: string): string {
  const bare = address.replace(/%.*$/, '');
  if (!bare.includes(':')) return bare;
  try {
    return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  } catch {
    return bare.toLowerCase();
  }
}
