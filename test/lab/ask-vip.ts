/** An independent sender for the lab's tests: Python's socket module in a client namespace, not the probe. */
import { execFile } from 'node:child_process';

/**
 * UDP datagrams from a client namespace to the VIP, one a second until one is answered (a sender on a
 * loaded machine retries, as any UDP client does) or `attempts` went unanswered; resolves to the name
 * of the node that answered, or '' when none did. One attempt: the fate of a single datagram.
 */
export function askVip(netnsName: string, vip: string, attempts = 20): Promise<string> {
  const ask = [
    'import socket, sys',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    `s.settimeout(${attempts === 1 ? 10 : 1})`,
    `for i in range(${attempts}):`,
    `    s.sendto(b"who|%d|" % i, ("${vip.split('/')[0]}", 7077))`,
    '    try:',
    '        print(s.recv(100).decode().split("|")[0]); sys.exit(0)',
    '    except socket.timeout:',
    '        pass',
  ].join('\n');
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', netnsName, 'python3', '-c', ask], { timeout: 120_000 }, (_e, stdout) =>
      resolve(stdout.trim()),
    );
  });
}
