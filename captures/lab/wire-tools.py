#!/usr/bin/python3
# wire-tools.py: small dnspython helpers for lab-wire-variety.sh (run inside
# a lab namespace with Debian's /usr/bin/python3 and python3-dnspython).
# Every address is a lab address given on the command line.
#
#   wire-tools.py crafted SERVER        odd but real-shaped queries over UDP:
#                                       QDCOUNT 0 with a COOKIE only
#                                       (RFC 7873 5.4), QDCOUNT 0 without
#                                       OPT, QDCOUNT 2, opcode IQUERY and
#                                       STATUS, class NONE
#   wire-tools.py pipeline SERVER N1 T1 N2 T2 ...
#                                       several queries written in ONE TCP
#                                       segment; prints the answer order
#   wire-tools.py responder ADDR PORT   a tiny mDNS/LLMNR-style responder
#                                       (joins the group on eth0, answers
#                                       A 10.53.0.53 to any A query)
#   wire-tools.py mcast GROUP PORT NAME IFACE
#                                       one mDNS/LLMNR-style query to GROUP
import socket
import struct
import sys
import time

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def udp_exchange(server, wire, timeout=2.0):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(wire, (server, 53))
    try:
        data, _ = s.recvfrom(65535)
    except socket.timeout:
        return None
    finally:
        s.close()
    return data


def show(label, data):
    if data is None:
        print(f"{label}: no answer")
        return
    hdr = struct.unpack("!HHHHHH", data[:12])
    rc = hdr[1] & 0xF
    op = (hdr[1] >> 11) & 0xF
    print(f"{label}: {len(data)} bytes id={hdr[0]:#06x} opcode={op} rcode={rc} "
          f"qd={hdr[2]} an={hdr[3]} ns={hdr[4]} ar={hdr[5]}")


def crafted(server):
    # 1. QDCOUNT 0, OPT with a client COOKIE only (RFC 7873 section 5.4:
    #    a query for a server cookie).
    m = dns.message.Message(id=0x5701)
    m.flags = 0
    m.use_edns(0, 0, 1232, options=[dns.edns.GenericOption(10, bytes.fromhex("0102030405060708"))])
    show("qdcount0+cookie", udp_exchange(server, m.to_wire()))
    time.sleep(0.2)
    # 2. QDCOUNT 0, no OPT, RD=1.
    wire = struct.pack("!HHHHHH", 0x5702, 0x0100, 0, 0, 0, 0)
    show("qdcount0-noopt", udp_exchange(server, wire))
    time.sleep(0.2)
    # 3. QDCOUNT 2 (two questions in one query, RFC 9619 says one).
    q1 = dns.message.make_query("example.test.", "A", use_edns=False)
    q2 = dns.message.make_query("example.test.", "AAAA", use_edns=False)
    w1, w2 = q1.to_wire(), q2.to_wire()
    wire = struct.pack("!HHHHHH", 0x5703, 0x0100, 2, 0, 0, 0) + w1[12:] + w2[12:]
    show("qdcount2", udp_exchange(server, wire))
    time.sleep(0.2)
    # 4. opcode IQUERY (1) and STATUS (2) with a question.
    for op, qid in ((dns.opcode.IQUERY, 0x5704), (dns.opcode.STATUS, 0x5705)):
        m = dns.message.make_query("example.test.", "A", use_edns=False)
        m.id = qid
        m.set_opcode(op)
        show(f"opcode{int(op)}", udp_exchange(server, m.to_wire()))
        time.sleep(0.2)
    # 5. class NONE (254) in a QUERY.
    m = dns.message.make_query("example.test.", "A", rdclass=dns.rdataclass.NONE,
                               use_edns=0)
    m.id = 0x5706
    show("class-none", udp_exchange(server, m.to_wire()))


def pipeline(server, pairs):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((server, 53))
    buf = b""
    ids = {}
    for i in range(0, len(pairs), 2):
        m = dns.message.make_query(pairs[i], pairs[i + 1], use_edns=0, payload=1232)
        m.id = 0x7000 + i // 2
        ids[m.id] = f"{pairs[i]} {pairs[i + 1]}"
        w = m.to_wire()
        buf += struct.pack("!H", len(w)) + w
    s.sendall(buf)                      # one write: one segment
    got = b""
    order = []
    while len(order) < len(ids):
        chunk = s.recv(65535)
        if not chunk:
            break
        got += chunk
        while len(got) >= 2:
            n = struct.unpack("!H", got[:2])[0]
            if len(got) < 2 + n:
                break
            msg, got = got[2:2 + n], got[2 + n:]
            qid = struct.unpack("!H", msg[:2])[0]
            order.append(qid)
            print(f"answer {qid:#06x} ({ids.get(qid, '?')}) rcode={msg[3] & 15}")
    s.close()
    print("sent order:", " ".join(f"{q:#06x}" for q in ids))
    print("answer order:", " ".join(f"{q:#06x}" for q in order))


def responder(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if fam == socket.AF_INET:
        grp = "224.0.0.251" if port == 5353 else "224.0.0.252"
        mreq = socket.inet_aton(grp) + socket.inet_aton("0.0.0.0")
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    else:
        grp = "ff02::fb" if port == 5353 else "ff02::1:3"
        mreq = socket.inet_pton(socket.AF_INET6, grp) + struct.pack("@I", socket.if_nametoindex("eth0"))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
    while True:
        data, peer = s.recvfrom(65535)
        try:
            q = dns.message.from_wire(data)
        except Exception:
            continue
        if q.flags & dns.flags.QR or not q.question:
            continue
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        qs = q.question[0]
        if qs.rdtype == dns.rdatatype.A and port == 5353 and peer[1] == 5353:
            continue                    # only legacy unicast queries here
        if qs.rdtype == dns.rdatatype.A:
            r.answer.append(dns.rrset.from_text(qs.name, 120, "IN", "A", "10.53.0.53"))
        s.sendto(r.to_wire(), peer)


def mcast(group, port, name, iface):
    fam = socket.AF_INET6 if ":" in group else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1 if port == 5355 else 255)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
        dest = (group, port)
    else:
        idx = socket.if_nametoindex(iface)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
        dest = (group, port, 0, idx)
    q = dns.message.make_query(name, "A", use_edns=False)
    q.id = 0 if port == 5353 else 0x4c4c
    q.flags = 0
    s.sendto(q.to_wire(), dest)
    try:
        data, peer = s.recvfrom(65535)
        print(f"{group}:{port} {name}: answer from {peer[0]} ({len(data)} bytes)")
    except socket.timeout:
        print(f"{group}:{port} {name}: no answer")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "crafted":
        crafted(sys.argv[2])
    elif cmd == "pipeline":
        pipeline(sys.argv[2], sys.argv[3:])
    elif cmd == "responder":
        responder(sys.argv[2], int(sys.argv[3]))
    elif cmd == "mcast":
        mcast(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        sys.exit(f"unknown command {cmd}")
