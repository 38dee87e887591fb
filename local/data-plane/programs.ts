/**
 * The small programs that run inside the namespaces, as Python 3 (standard library only) passed with
 * `python3 -c`, so that nothing has to be installed or found next to a bundle. Python, not Node.js:
 * a looped packet comes back as ICMP "time exceeded", which only a raw ICMP socket sees (Node's dgram
 * does not surface ICMP errors), and one small interpreter per client costs far less memory than one
 * Node.js process.
 *
 * Both exit when their stdin closes, so that they never outlive the process that started them.
 */

/** UDP port of the node responders. */
export const RESPONDER_PORT = 7077;

/**
 * A node's responder: every UDP datagram to port 7077 (IPv4 and IPv6, any local address, the VIP
 * included) is answered with `<node name>|<the datagram>`. ICMP echo is the kernel's.
 * argv: node name, port.
 */
export const RESPONDER = String.raw`
import os, select, socket, sys
name, port = sys.argv[1].encode(), int(sys.argv[2])
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s4.bind(("0.0.0.0", port))
socks = [s4]
try:
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s6.bind(("::", port))
    socks.append(s6)
except OSError:
    pass
sys.stdout.write("ready\n"); sys.stdout.flush()
stdin = sys.stdin.fileno()
while True:
    ready, _, _ = select.select(socks + [stdin], [], [])
    for s in ready:
        if s == stdin:
            if not os.read(stdin, 4096):
                sys.exit(0)
            continue
        data, peer = s.recvfrom(2048)
        try:
            s.sendto(name + b"|" + data, peer)
        except OSError:
            pass
`;

/**
 * A client's probe: to each VIP, one UDP datagram every 1/rate s carrying `<vip>|<seq>`, until the
 * duration is over or stdin closes; then a grace period for answers in flight, and one JSON line.
 * ICMP errors (time exceeded: a loop; destination unreachable: no route) are matched to the datagram
 * they quote (the embedded UDP header's source port and the quoted payload's sequence number).
 * argv: JSON {"vips": [...], "rate": n, "durationMs": n|null, "port": n, "graceMs": n}
 */
export const PROBE = String.raw`
import json, os, select, socket, struct, sys, time
cfg = json.loads(sys.argv[1])
rate, port, grace = cfg["rate"], cfg["port"], cfg["graceMs"] / 1000.0
duration = cfg["durationMs"] / 1000.0 if cfg.get("durationMs") is not None else None
now = lambda: time.time()
targets = []
for vip in cfg["vips"]:
    addr = vip.split("/")[0]
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
    s.setblocking(False)
    targets.append({"vip": vip, "addr": addr, "sock": s, "family": family, "sport": s.getsockname()[1],
                    "sent": 0, "sentAt": {}, "answered": set(), "byNode": {}, "looped": set(),
                    "unreachable": set(), "answers": [], "firstAt": {}, "lastAt": {}, "firstLoopAt": None,
                    "lastLoopAt": None})
bysport = {t["sport"]: t for t in targets}
icmp = []
for family, proto in ((socket.AF_INET, socket.IPPROTO_ICMP), (socket.AF_INET6, socket.IPPROTO_ICMPV6)):
    try:
        r = socket.socket(family, socket.SOCK_RAW, proto)
        r.setblocking(False)
        icmp.append((family, r))
    except OSError:
        pass
stdin = sys.stdin.fileno()
start = now()
sys.stdout.write(json.dumps({"started": start * 1000}) + "\n"); sys.stdout.flush()

def seq_of(payload):
    try:
        return int(payload.split(b"|")[1].split(b"|")[0])
    except Exception:
        return None

def on_icmp(family, packet):
    if family == socket.AF_INET:
        ihl = (packet[0] & 0x0F) * 4
        kind, body = packet[ihl], packet[ihl + 8:]
        if kind not in (3, 11) or len(body) < 28:
            return
        inner = (body[0] & 0x0F) * 4
        if body[9] != 17:
            return
        udp = body[inner:]
        looped = kind == 11
    else:
        kind, body = packet[0], packet[8:]
        if kind not in (1, 3) or len(body) < 48 or body[6] != 17:
            return
        udp = body[40:]
        looped = kind == 3
    if len(udp) < 8:
        return
    sport, dport = struct.unpack("!HH", udp[:4])
    t = bysport.get(sport)
    if t is None or dport != port:
        return
    seq = seq_of(udp[8:])
    key = seq if seq is not None else ("icmp", now())
    if looped:
        t["looped"].add(key)
        at = now() * 1000
        t["firstLoopAt"] = t["firstLoopAt"] or at
        t["lastLoopAt"] = at
    else:
        t["unreachable"].add(key)

def on_answer(t, data):
    parts = data.split(b"|")
    if len(parts) < 3:
        return
    node, seq = parts[0].decode(errors="replace"), seq_of(data[len(parts[0]) + 1:])
    if seq is None or seq in t["answered"]:
        return
    at = now() * 1000
    t["answered"].add(seq)
    t["byNode"][node] = t["byNode"].get(node, 0) + 1
    t["firstAt"].setdefault(node, at)
    t["lastAt"][node] = at
    t["answers"].append(at)

k = 0
stopping_at = None
open_stdin = True
while True:
    t0 = now()
    if stopping_at is None and ((duration is not None and t0 - start >= duration) or not open_stdin):
        stopping_at = t0
    if stopping_at is not None and t0 - stopping_at >= grace:
        break
    next_send = start + k / rate
    if stopping_at is None and t0 >= next_send:
        for t in targets:
            payload = ("%s|%d|" % (t["vip"], k)).encode()
            t["sentAt"][k] = t0 * 1000
            try:
                t["sock"].sendto(payload, (t["addr"], port))
            except OSError:
                t["unreachable"].add(k)
            t["sent"] += 1
        k += 1
        continue
    wait = max(0.0, (next_send if stopping_at is None else stopping_at + grace) - t0)
    rlist = [t["sock"] for t in targets] + [r for _, r in icmp] + ([stdin] if open_stdin else [])
    ready, _, _ = select.select(rlist, [], [], wait)
    for s in ready:
        if s == stdin:
            if not os.read(stdin, 4096):
                open_stdin = False
            continue
        fam = next((f for f, r in icmp if r is s), None)
        try:
            while True:
                data = s.recv(4096)
                if fam is not None:
                    on_icmp(fam, data)
                else:
                    on_answer(next(t for t in targets if t["sock"] is s), data)
        except BlockingIOError:
            pass
        except OSError:
            pass

end = (stopping_at or now()) * 1000
out = {}
for t in targets:
    marks = [start * 1000] + sorted(t["answers"]) + [end]
    gap = max(b - a for a, b in zip(marks, marks[1:])) if len(marks) > 1 else 0
    answered, looped, unreachable = len(t["answered"]), len(t["looped"]), len(t["unreachable"] - t["answered"])
    out[t["vip"]] = {"sent": t["sent"], "answered": answered, "byNode": t["byNode"], "looped": looped,
                     "unreachable": unreachable, "lost": max(0, t["sent"] - answered - looped - unreachable),
                     "longestGapMs": round(gap, 1), "firstAnswerAt": t["firstAt"], "lastAnswerAt": t["lastAt"],
                     "firstLoopAt": t["firstLoopAt"], "lastLoopAt": t["lastLoopAt"]}
sys.stdout.write(json.dumps({"startedAt": start * 1000, "endedAt": end, "vips": out}) + "\n")
sys.stdout.flush()
`;
