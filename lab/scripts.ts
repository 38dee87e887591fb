/** Small programs the lab runs inside a node's namespace. */

/**
 * `sh -c MOUNTS sh <node dir> <command...>`: the node's own mounts, then the command. Bind mounts of the
 * node's directory over /etc/corosync, /run, /dev/shm, /var/lib/pacemaker, /var/lib/corosync and
 * /var/log/pacemaker; the OCF providers (the system's heartbeat agents beside this project's agent);
 * and /srv, where the agent finds the node's vipctl. Run in a private mount namespace (unshare).
 */
export const MOUNTS = `
d=$1; shift
mount --bind "$d/etc-corosync" /etc/corosync
mount --bind "$d/run" /run
mount --bind "$d/shm" /dev/shm
mount --bind "$d/lib-pacemaker" /var/lib/pacemaker
mount --bind "$d/lib-corosync" /var/lib/corosync
mkdir -p /var/log/pacemaker
mount --bind "$d/log" /var/log/pacemaker
mount --bind /usr/lib/ocf/resource.d/heartbeat "$d/ocf/heartbeat"
mount --rbind "$d/ocf" /usr/lib/ocf/resource.d
mount --bind "$d/bin" /srv
exec "$@"`;

/**
 * A byte pump from TCP host:port (in the namespace) to a unix socket (served by the lab's process on the
 * host side). Python 3, standard library only; exits when stdin closes.
 * argv: host, port, socket path.
 */
export const FORWARDER = `
import os, socket, sys, threading
host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((host, port)); server.listen(64)
def pump(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data: break
            b.sendall(data)
    except OSError: pass
    finally:
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
def serve():
    while True:
        conn, _ = server.accept()
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try: up.connect(path)
        except OSError: conn.close(); continue
        threading.Thread(target=pump, args=(conn, up), daemon=True).start()
        threading.Thread(target=pump, args=(up, conn), daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
while os.read(0, 4096): pass
`;
