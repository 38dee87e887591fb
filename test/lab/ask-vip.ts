/** An independent sender for the lab's tests: Python's socket module in a client namespace, not the probe. */
import { execFile } from 'node:child_process';

/** One UDP datagram from a client namespace to the VIP; resolves to the name of the node that answered. */
export function askVip(netnsName: string, vip: string): Promise<string> {
  const ask = `import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(10); s.sendto(b"who|1|", ("${vip.split('/')[0]}", 7077)); print(s.recv(100).decode().split("|")[0])`;
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', netnsName, 'python3', '-c', ask], { timeout: 60_000 }, (_e, stdout) =>
      resolve(stdout.trim()),
    );
  });
}
