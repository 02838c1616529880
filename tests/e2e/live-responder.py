#!/usr/bin/env python3
"""live-responder.py - a tiny scripted DNS server for tests/e2e/live.sh.

usage: live-responder.py ADDR PORT READYFILE [SECONDS]

Answers DNS over UDP and TCP on ADDR:PORT (only ever a loopback address in a
network namespace the test made). What it answers depends on the first label
of the query name, so a test chooses each outcome by the name it asks:

  servfail.*   SERVFAIL (RCODE 2)
  nx.*         NXDOMAIN (RCODE 3), no records
  drop.*       no answer at all (the client times out)
  anything     NOERROR: A 192.0.2.1, AAAA 2001:db8::1, MX 10 mx.<qname>,
               other types NODATA

It writes READYFILE once both sockets are bound (the test waits for it rather
than sleeping), and exits after SECONDS (default 60) or on SIGTERM. Standard
library only; no name compression is needed because every record's owner is
the question name (a pointer to offset 12).
"""
import os
import selectors
import signal
import socket
import struct
import sys
import time


def parse_question(msg):
    """(id, flags, qname labels, qtype, qclass, end offset) or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1 or flags & 0x8000:
        return None
    off, labels = 12, []
    while True:
        if off >= len(msg):
            return None
        n = msg[off]
        off += 1
        if n == 0:
            break
        if n & 0xC0 or off + n > len(msg):
            return None
        labels.append(msg[off:off + n])
        off += n
    if off + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    return qid, flags, labels, qtype, qclass, off + 4


def rr(rtype, rdata, ttl=300):
    # owner: a pointer to the question name at offset 12
    return struct.pack("!HHHIH", 0xC00C, rtype, 1, ttl, len(rdata)) + rdata


def answer(msg):
    q = parse_question(msg)
    if q is None:
        return None
    qid, flags, labels, qtype, qclass, end = q
    first = labels[0].lower() if labels else b""
    if first == b"drop":
        return None
    rcode, rrs = 0, []
    if first == b"servfail":
        rcode = 2
    elif first == b"nx":
        rcode = 3
    elif qtype == 1:
        rrs.append(rr(1, bytes([192, 0, 2, 1])))
    elif qtype == 28:
        rrs.append(rr(28, bytes.fromhex("20010db8000000000000000000000001")))
    elif qtype == 15:
        # MX 10 mx.<qname>: "mx" then a pointer to the question name
        rrs.append(rr(15, struct.pack("!H", 10) + b"\x02mx\xc0\x0c"))
    rd = flags & 0x0100
    out_flags = 0x8000 | 0x0080 | rd | rcode   # QR, RA, RD as asked
    hdr = struct.pack("!HHHHHH", qid, out_flags, 1, len(rrs), 0, 0)
    return hdr + msg[12:end] + b"".join(rrs)


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    addr, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    udp = socket.socket(fam, socket.SOCK_DGRAM)
    udp.bind((addr, port))
    tcp = socket.socket(fam, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind((addr, port))
    tcp.listen(16)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)

    sel = selectors.DefaultSelector()
    sel.register(udp, selectors.EVENT_READ, "udp")
    sel.register(tcp, selectors.EVENT_READ, "listen")
    conns = {}
    end = time.monotonic() + limit
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            if key.data == "udp":
                msg, peer = s.recvfrom(65535)
                out = answer(msg)
                if out is not None:
                    s.sendto(out, peer)
            elif key.data == "listen":
                c, _ = s.accept()
                conns[c] = b""
                sel.register(c, selectors.EVENT_READ, "conn")
            else:
                data = s.recv(65535)
                if not data:
                    sel.unregister(s)
                    del conns[s]
                    s.close()
                    continue
                buf = conns[s] + data
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                    n = struct.unpack("!H", buf[:2])[0]
                    out = answer(buf[2:2 + n])
                    buf = buf[2 + n:]
                    if out is not None:
                        s.sendall(struct.pack("!H", len(out)) + out)
                conns[s] = buf
    return 0


if __name__ == "__main__":
    sys.exit(main())
