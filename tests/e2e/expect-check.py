#!/usr/bin/env python3
"""Check one lab expectation file (captures/lab/expect/<capture>.txt).

usage: expect-check.py MXSNIFF CAPTURES_DIR EXPECT_FILE

Facts about the packets are checked with the small pcap/DNS parser below,
which shares no code with mxsniff. Facts that are mxsniff's job (transaction
and lookup outcomes, chains, findings) are checked against
`mxsniff -r CAPTURE -F ndjson [mxsniff-args]` (the same objects as -F json,
plus one line per transaction). Where a fact can be checked both ways, both
are done.

One line per fact: "ok" or "FAIL" with what each side found. A fact line of
an unknown kind is a FAIL. There is no list of tolerated failures: a true
fact mxsniff gets wrong is a bug to fix, a wrong fact is fixed in the file.
Exit status 0 when nothing failed, 1 otherwise (also when the capture or
mxsniff cannot be run), 2 on a usage error.

Grammar: captures/README.md, "Expectation files". Outcome names as in
shared/PATTERNS.md section 0; the grammar has no UNREACHABLE and no "pending
at end": a query that gets no DNS response is TIMEOUT on both sides.
"""

import json
import math
import os
import struct
import subprocess
import sys

ANSWER_TIMEOUT = 5.0      # PATTERNS §0 answer_timeout
RETX_GAP = 45.0           # PATTERNS §0 retx_gap
MIN_RETRY_GAP = 60.0      # PATTERNS §0 min_retry_gap

LINKTYPES = {0: "NULL", 1: "EN10MB", 101: "RAW", 12: "RAW", 14: "RAW",
             113: "LINUX_SLL", 276: "LINUX_SLL2", 108: "LOOP"}
QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX",
          16: "TXT", 28: "AAAA", 33: "SRV", 41: "OPT", 43: "DS", 46: "RRSIG",
          47: "NSEC", 48: "DNSKEY", 50: "NSEC3", 52: "TLSA", 64: "SVCB",
          65: "HTTPS", 251: "IXFR", 252: "AXFR", 255: "ANY"}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN",
          4: "NOTIMP", 5: "REFUSED"}
# Best first (PATTERNS §0 lookup outcome).
OUTCOME_RANK = ["ANSWER", "NODATA", "NXDOMAIN", "REFERRAL", "SERVFAIL",
                "REFUSED", "FORMERR", "NOTIMP", "OTHER", "MALFORMED",
                "TRUNCATED", "TIMEOUT"]
SEVERITIES = ["info", "warn", "error", "crit"]


# ---------------------------------------------------------------- pcap --

class BadCapture(Exception):
    pass


def read_pcap(path):
    """Return (linktype number, [(frame number, ts, bytes)])."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise BadCapture("shorter than a pcap header")
    magic = data[:4]
    table = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
             b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}
    if magic not in table:
        raise BadCapture("not a pcap file (magic %s)" % magic.hex())
    end, unit = table[magic]
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    frames = []
    off = 24
    n = 0
    while off + 16 <= len(data):
        sec, frac, caplen, _wire = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        if off + caplen > len(data):
            raise BadCapture("frame %d cut short" % (n + 1))
        n += 1
        frames.append((n, sec + frac * unit, data[off:off + caplen]))
        off += caplen
    return linktype, frames


def ip_text(raw):
    if len(raw) == 4:
        return ".".join(str(b) for b in raw)
    words = [struct.unpack(">H", raw[i:i + 2])[0] for i in range(0, 16, 2)]
    # RFC 5952: the longest run (>= 2) of zero words becomes "::".
    best, best_len, i = -1, 1, 0
    while i < 8:
        if words[i] == 0:
            j = i
            while j < 8 and words[j] == 0:
                j += 1
            if j - i > best_len:
                best, best_len = i, j - i
            i = j
        else:
            i += 1
    if best < 0:
        return ":".join("%x" % w for w in words)
    left = ":".join("%x" % w for w in words[:best])
    right = ":".join("%x" % w for w in words[best + best_len:])
    return left + "::" + right


def link_payload(linktype, pkt):
    """Return (ethertype-ish 'v4'/'v6'/None, network-layer bytes)."""
    if linktype == 1:
        off, etype = 14, struct.unpack(">H", pkt[12:14])[0] if len(pkt) >= 14 else 0
        while etype in (0x8100, 0x88A8) and len(pkt) >= off + 4:
            etype = struct.unpack(">H", pkt[off + 2:off + 4])[0]
            off += 4
    elif linktype == 113:
        off, etype = 16, struct.unpack(">H", pkt[14:16])[0] if len(pkt) >= 16 else 0
    elif linktype == 276:
        off, etype = 20, struct.unpack(">H", pkt[0:2])[0] if len(pkt) >= 20 else 0
    elif linktype in (0, 108):
        if len(pkt) < 4:
            return None, b""
        fam = struct.unpack("<I" if linktype == 0 else ">I", pkt[:4])[0]
        if fam > 0xFFFF:
            fam = struct.unpack(">I", pkt[:4])[0]
        return ("v4" if fam == 2 else "v6" if fam in (10, 24, 28, 30) else None), pkt[4:]
    elif linktype in (12, 14, 101):
        v = pkt[0] >> 4 if pkt else 0
        return ("v4" if v == 4 else "v6" if v == 6 else None), pkt
    else:
        return None, b""
    kind = {0x0800: "v4", 0x86DD: "v6"}.get(etype)
    return kind, pkt[off:]


def v6_headers(b):
    """Past an IPv6 header's hop-by-hop, routing and destination-options
    headers: (next header, its offset, payload end), or None when they run
    past the payload."""
    plen = struct.unpack(">H", b[4:6])[0]
    nxt, off = b[6], 40
    end = min(len(b), 40 + plen)
    while nxt in (0, 43, 60):
        if off + 2 > end:
            return None
        nxt, off = b[off], off + (b[off + 1] + 1) * 8
    return nxt, off, end


def ip_layer(kind, b):
    """Return (src, dst, proto, l4 bytes) or None (not IP, fragment, short)."""
    if kind == "v4":
        if len(b) < 20 or b[0] >> 4 != 4:
            return None
        ihl = (b[0] & 15) * 4
        total = struct.unpack(">H", b[2:4])[0]
        frag = struct.unpack(">H", b[6:8])[0]
        if frag & 0x3FFF:           # MF or an offset: fragments are not handled
            return None
        end = min(len(b), total) if total >= ihl else len(b)
        return ip_text(b[12:16]), ip_text(b[16:20]), b[9], b[ihl:end]
    if kind == "v6":
        if len(b) < 40 or b[0] >> 4 != 6:
            return None
        hdrs = v6_headers(b)
        if hdrs is None:
            return None
        nxt, off, end = hdrs
        if nxt == 44:
            return None
        return ip_text(b[8:24]), ip_text(b[24:40]), nxt, b[off:end]
    return None


def ip_fragment(kind, b):
    """An IPv4 or IPv6 fragment: (key, src, dst, proto, offset, more, data),
    else None. Fragments are put together by Capture.fragment (offsets
    must tile the datagram exactly; overlaps are not handled)."""
    if kind == "v4":
        if len(b) < 20 or b[0] >> 4 != 4:
            return None
        ihl = (b[0] & 15) * 4
        total = struct.unpack(">H", b[2:4])[0]
        frag = struct.unpack(">H", b[6:8])[0]
        if not frag & 0x3FFF:
            return None
        end = min(len(b), total) if total >= ihl else len(b)
        src, dst = ip_text(b[12:16]), ip_text(b[16:20])
        return (("v4", src, dst, b[4:6], b[9]), src, dst, b[9], (frag & 0x1FFF) * 8,
                bool(frag & 0x2000), b[ihl:end])
    if kind == "v6":
        if len(b) < 40 or b[0] >> 4 != 6:
            return None
        hdrs = v6_headers(b)
        if hdrs is None:
            return None
        nxt, off, end = hdrs
        if nxt != 44 or off + 8 > end:
            return None
        fo = struct.unpack(">H", b[off + 2:off + 4])[0]
        src, dst = ip_text(b[8:24]), ip_text(b[24:40])
        return (("v6", src, dst, b[off + 4:off + 8]), src, dst, b[off], fo & 0xFFF8,
                bool(fo & 1), b[off + 8:end])
    return None


# ----------------------------------------------------------------- DNS --

class BadDns(Exception):
    pass


def read_name(msg, off):
    labels, jumps, end = [], 0, None
    while True:
        if off >= len(msg):
            raise BadDns("name runs past the message")
        ln = msg[off]
        if ln >= 0xC0:
            if off + 1 >= len(msg):
                raise BadDns("cut pointer")
            if end is None:
                end = off + 2
            off = ((ln & 0x3F) << 8) | msg[off + 1]
            jumps += 1
            if jumps > 64:
                raise BadDns("pointer loop")
            continue
        if ln >= 0x40:
            raise BadDns("bad label type")
        off += 1
        if ln == 0:
            break
        if off + ln > len(msg):
            raise BadDns("label runs past the message")
        labels.append(msg[off:off + ln].decode("latin-1").lower())
        off += ln
    return (".".join(labels) if labels else "."), (end if end is not None else off)


def qtype_name(t):
    return QTYPES.get(t, "TYPE%d" % t)


def parse_dns(msg):
    if len(msg) < 12:
        raise BadDns("shorter than a header")
    mid, fl, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    d = {"id": mid, "qr": fl >> 15, "opcode": (fl >> 11) & 15, "aa": (fl >> 10) & 1,
         "tc": (fl >> 9) & 1, "rd": (fl >> 8) & 1, "ra": (fl >> 7) & 1,
         "ad": (fl >> 5) & 1, "cd": (fl >> 4) & 1,
         "rcode": fl & 15, "qdcount": qd, "size": len(msg),
         "qname": None, "qtype": None, "an": [], "ns": [], "ar": [],
         "edns": None, "malformed": None}
    off = 12
    try:
        for i in range(qd):
            name, off = read_name(msg, off)
            if off + 4 > len(msg):
                raise BadDns("cut question")
            t, _c = struct.unpack(">HH", msg[off:off + 4])
            off += 4
            if i == 0:
                d["qname"], d["qtype"] = name, qtype_name(t)
        for sect, count in (("an", an), ("ns", ns), ("ar", ar)):
            for _ in range(count):
                name, off = read_name(msg, off)
                if off + 10 > len(msg):
                    raise BadDns("cut record")
                t, c, ttl, rdl = struct.unpack(">HHIH", msg[off:off + 10])
                off += 10
                if off + rdl > len(msg):
                    raise BadDns("record data runs past the message")
                rr = {"name": name, "type": qtype_name(t), "class": c, "ttl": ttl}
                rd = off
                if t == 15:
                    rr["pref"] = struct.unpack(">H", msg[rd:rd + 2])[0]
                    rr["host"] = read_name(msg, rd + 2)[0]
                elif t == 5:
                    rr["target"] = read_name(msg, rd)[0]
                elif t == 6:
                    _m, p = read_name(msg, rd)
                    _r, p = read_name(msg, p)
                    rr["minimum"] = struct.unpack(">I", msg[p + 16:p + 20])[0]
                elif t == 41 and sect == "ar":
                    d["edns"] = {"size": c, "ext_rcode": ttl >> 24,
                                 "do": (ttl >> 15) & 1}
                off += rdl
                d[sect].append(rr)
    except (BadDns, struct.error) as e:
        d["malformed"] = str(e)
    return d


def response_outcome(r, transport):
    """Outcome of a response to its transaction's question (PATTERNS §0)."""
    if r["malformed"]:
        return "MALFORMED"
    if transport == "udp" and r["tc"]:
        return "TRUNCATED"
    rc = r["rcode"] | ((r["edns"]["ext_rcode"] << 4) if r["edns"] else 0)
    if rc in (1, 2, 4, 5):
        return RCODES[rc]
    if rc == 3:
        return "NXDOMAIN"
    if rc != 0:
        return "OTHER"
    if (not r["aa"] and not r["ra"] and not r["an"]
            and any(rr["type"] == "NS" for rr in r["ns"])):
        return "REFERRAL"
    if owner_records(r, r["qname"], r["qtype"]):
        return "ANSWER"
    return "NODATA"


def chain_end(r, name):
    seen = set()
    while name not in seen:
        seen.add(name)
        nxt = [rr["target"] for rr in r["an"] if rr["type"] == "CNAME" and rr["name"] == name]
        if not nxt:
            break
        name = nxt[0]
    return name


def owner_records(r, qname, qtype):
    """The answer records that answer the question: of its type, owned by
    the name or the end of its CNAME chain; for ANY of any type (RFC 1035
    3.2.3); for a zone transfer every answer record (RFC 5936 2.2, RFC 1995
    4: the zone's records, owned by any name in it)."""
    if qname is None:
        return []
    if qtype in ("AXFR", "IXFR"):
        return list(r["an"])
    names = {qname, chain_end(r, qname)}
    return [rr for rr in r["an"] if (rr["type"] == qtype or qtype == "ANY") and rr["name"] in names]


# ------------------------------------------------------ the capture model --

class Capture:
    """Everything the pcap-side checks need, from one pass over the frames."""

    def __init__(self, path):
        self.linktype, frames = read_pcap(path)
        self.packets = len(frames)
        self.messages = []      # DNS messages, in capture order
        self.syns = []          # (ts, src, dst, dport)
        self.icmp = []          # (ts, quoted dst, quoted proto, quoted dport)
        self.tcp = {}           # flow -> [next seq, buffer, ts]
        self.frags = {}         # fragment key -> {offset: bytes}, "end"
        for num, ts, pkt in frames:
            kind, net = link_payload(self.linktype, pkt)
            ipl = ip_layer(kind, net)
            if ipl is None:
                ipl = self.fragment(ip_fragment(kind, net))
                if ipl is None:
                    continue
            self.transport(num, ts, *ipl)
        self.build_transactions()

    def fragment(self, fr):
        """Keep an IPv4/IPv6 fragment; the datagram (src, dst, proto, l4)
        when this one completes it, else None."""
        if fr is None:
            return None
        key, src, dst, proto, off, more, data = fr
        st = self.frags.setdefault(key, {"parts": {}, "end": None})
        st["parts"][off] = data
        if not more:
            st["end"] = off + len(data)
        if st["end"] is None:
            return None
        buf, pos = b"", 0
        while pos < st["end"]:
            part = st["parts"].get(pos)
            if part is None or not part:
                return None
            buf, pos = buf + part, pos + len(part)
        del self.frags[key]
        return src, dst, proto, buf

    def transport(self, num, ts, src, dst, proto, l4):
        """One IP datagram (or a reassembled one) of the capture."""
        if proto == 17 and len(l4) >= 8:
            sp, dp = struct.unpack(">HH", l4[:4])
            if sp == 53 or dp == 53:
                self.add_message(num, ts, "udp", src, sp, dst, dp, l4[8:])
        elif proto == 6 and len(l4) >= 20:
            self.tcp_segment(num, ts, src, dst, l4)
        elif (proto == 1 and len(l4) >= 8 and l4[0] == 3 and l4[1] == 3) or \
             (proto == 58 and len(l4) >= 8 and l4[0] == 1 and l4[1] == 4):
            inner = ip_layer("v4" if proto == 1 else "v6", l4[8:])
            if inner and len(inner[3]) >= 4:
                dport = struct.unpack(">H", inner[3][2:4])[0]
                self.icmp.append((ts, inner[1], inner[2], dport))

    def tcp_segment(self, num, ts, src, dst, l4):
        sp, dp, seq = struct.unpack(">HHI", l4[:8])
        hl = (l4[12] >> 4) * 4
        flags = l4[13]
        if flags & 0x02 and not flags & 0x10:
            self.syns.append((ts, src, dst, dp))
        if sp != 53 and dp != 53:
            return
        flow = (src, sp, dst, dp)
        if flags & 0x02:
            self.tcp[flow] = [(seq + 1) & 0xFFFFFFFF, b""]
            return
        data = l4[hl:]
        st = self.tcp.get(flow)
        if st is None or not data:
            return
        delta = (seq - st[0]) & 0xFFFFFFFF
        if delta >= 0x80000000:                 # (partly) seen before
            skip = (st[0] - seq) & 0xFFFFFFFF
            if skip >= len(data):
                return
            data, delta = data[skip:], 0
        if delta != 0:
            return                              # a gap: not reassembled
        st[0] = (st[0] + len(data)) & 0xFFFFFFFF
        st[1] += data
        while len(st[1]) >= 2:
            ln = struct.unpack(">H", st[1][:2])[0]
            if len(st[1]) < 2 + ln:
                break
            self.add_message(num, ts, "tcp", src, sp, dst, dp, st[1][2:2 + ln])
            st[1] = st[1][2 + ln:]

    def add_message(self, num, ts, transport, src, sp, dst, dp, payload):
        d = parse_dns(payload)
        d.update(frame=num, ts=ts, transport=transport, src=src, sport=sp,
                 dst=dst, dport=dp)
        self.messages.append(d)

    def build_transactions(self):
        """Match queries to responses; group transactions into lookups."""
        self.txns = []
        open_by_key = {}
        lookups_open = {}
        self.lookups = []
        for m in self.messages:
            if not m["qr"]:
                if m["qname"] is None:
                    continue
                key = (m["transport"], m["src"], m["sport"], m["dst"], m["dport"],
                       m["id"], m["qname"], m["qtype"])
                t = open_by_key.get(key)
                if t is not None and (t["response"] is not None or t.get("closed_late")
                                      or m["ts"] - t["ts"] > ANSWER_TIMEOUT):
                    t = None
                if t is None:
                    t = {"key": key, "transport": m["transport"], "client": m["src"],
                         "cport": m["sport"], "server": m["dst"], "qname": m["qname"],
                         "qtype": m["qtype"], "id": m["id"], "rd": m["rd"],
                         "ts": m["ts"], "queries": [m], "response": None,
                         "outcome": "TIMEOUT"}
                    open_by_key[key] = t
                    self.txns.append(t)
                    lk = (m["src"], m["qname"], m["qtype"])
                    lu = lookups_open.get(lk)
                    # a copy of a closed lookup's query (the same port and
                    # ID) within 1 s of its closing answer, as musl sends
                    # one query to every server: part of that lookup
                    copy = (lu is not None and lu["closed"] and "closed_ts" in lu
                            and 0 <= m["ts"] - lu["closed_ts"] <= 1.0
                            and any(x["cport"] == m["sport"] and x["id"] == m["id"]
                                    and x["transport"] == m["transport"] for x in lu["txns"]))
                    if not copy and (lu is None or lu["closed"] or m["ts"] - lu["last_query"] > RETX_GAP):
                        lu = {"client": m["src"], "qname": m["qname"], "qtype": m["qtype"],
                              "rd": m["rd"], "txns": [], "closed": False,
                              "start": m["ts"], "last_query": m["ts"]}
                        lookups_open[lk] = lu
                        self.lookups.append(lu)
                    lu["txns"].append(t)
                    t["lookup"] = lu
                else:
                    t["queries"].append(m)
                t["lookup"]["last_query"] = m["ts"]
                continue
            # a response: the waiting transaction with its key (without a
            # question section: addresses, ports and ID only)
            cands = [t for t in reversed(self.txns)
                     if t["response"] is None and not t.get("closed_late")
                     and t["transport"] == m["transport"]
                     and t["client"] == m["dst"] and t["cport"] == m["dport"]
                     and t["server"] == m["src"] and t["key"][4] == m["sport"]
                     and t["id"] == m["id"]
                     and (m["qname"] is None or (t["qname"], t["qtype"]) == (m["qname"], m["qtype"]))]
            if not cands:
                m["unmatched"] = True
                continue
            t = cands[0]
            if m["ts"] - t["queries"][-1]["ts"] > ANSWER_TIMEOUT:
                # PATTERNS §0: a response after answer_timeout is late; the
                # transaction stays TIMEOUT (BIND's SERVFAIL after 10 s).
                t["late"] = m
                t["response"] = None
                m["late"] = True
                t.setdefault("late_responses", []).append(m)
                t["closed_late"] = True
                continue
            t["response"] = m
            view = dict(m)
            view["qname"], view["qtype"] = t["qname"], t["qtype"]
            t["outcome"] = response_outcome(view, t["transport"])
            if t["outcome"] in ("ANSWER", "NODATA", "NXDOMAIN"):
                if not t["lookup"]["closed"]:
                    t["lookup"]["closed_ts"] = m["ts"]
                t["lookup"]["closed"] = True
        for lu in self.lookups:
            lu["outcome"] = min((t["outcome"] for t in lu["txns"]), key=OUTCOME_RANK.index)

    # -- views used by the checks --
    def rd_queries(self):
        return [m for m in self.messages if not m["qr"] and m["rd"] and m["qname"] is not None]

    def query_sources(self):
        out = []
        for m in self.rd_queries():
            if m["src"] not in out:
                out.append(m["src"])
        return out


# ------------------------------------------------------------- mxsniff --

def run_mxsniff(binary, capture, args=()):
    p = subprocess.run([binary, "-r", capture, "-F", "ndjson"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("mxsniff exited %d: %s" % (p.returncode, p.stderr.decode()[:300]))
    objs = {}
    for line in p.stdout.decode().splitlines():
        if line.strip():
            o = json.loads(line)
            objs.setdefault(o.get("type"), []).append(o)
    return objs


def list_detectors(binary):
    p = subprocess.run([binary, "--list-detectors"], stdout=subprocess.PIPE, timeout=30)
    ids, cur = {}, None
    for line in p.stdout.decode().splitlines():
        parts = line.split()
        if parts and parts[0].startswith("P") and parts[0][1:].isdigit():
            cur = parts[0]
            ids[cur] = {parts[1]}
        elif parts and parts[0] == "emits:" and cur:
            ids[cur] |= set(parts[1].split(","))
    return ids


def nodot(name):
    if name is None:
        return None
    return name if name == "." else name.rstrip(".").lower()


def mx_outcome(o):
    """mxsniff's outcome in the grammar's terms (no UNREACHABLE there;
    mxsniff's JSON says OTHER_RCODE for the grammar's OTHER)."""
    return {"UNREACHABLE": "TIMEOUT", "OTHER_RCODE": "OTHER"}.get(o, o)


# -------------------------------------------------------------- checks --

class Fact(Exception):
    """A malformed fact line."""


def parse_kv(words):
    pos, kv = [], {}
    for w in words:
        if "=" in w:
            k, v = w.split("=", 1)
            kv[k] = v
        else:
            pos.append(w)
    return pos, kv


def as_int(s):
    try:
        return int(s)
    except ValueError:
        raise Fact("%r is not a number" % s)


def num_matches(value, text):
    """A measured number against a written one: written with d decimals, it
    may be the value rounded or cut to d decimals (74.1 s is written 74)."""
    d = len(text.split(".", 1)[1]) if "." in text else 0
    want = float(text)
    scale = 10 ** d
    return (abs(round(value * scale) - want * scale) < 1e-6
            or abs(math.floor(value * scale + 1e-9) - want * scale) < 1e-6)


def addr_port(text):
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
    else:
        host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise Fact("%r is not IP:PORT or [IPv6]:PORT" % text)
    return host, int(port)


class Checker:
    def __init__(self, capdir, expect_path, binary):
        self.capdir = capdir
        self.expect_path = expect_path
        self.binary = binary
        self.stem = os.path.basename(expect_path)[:-4]
        self.cap_path = os.path.join(capdir, self.stem + ".pcap")
        self.cap = Capture(self.cap_path)
        self.detectors = None
        self.lines = []
        self.args = []
        with open(expect_path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                s = line.strip()
                if s and not s.startswith("#"):
                    self.lines.append((n, s))
                    if s.split()[0] == "mxsniff-args":
                        self.args += s.split()[1:]
        self.mx = run_mxsniff(binary, self.cap_path, self.args)
        self.senders = [s.split()[1] for _, s in self.lines if s.split()[0] == "sender" and len(s.split()) > 1]
        if not self.senders:
            self.senders = self.cap.query_sources()
        self._log = None

    # ---- helpers
    def sender_queries(self):
        return [m for m in self.cap.rd_queries() if m["src"] in self.senders]

    def q_of(self, qtype, name):
        return [m for m in self.sender_queries() if m["qtype"] == qtype and m["qname"] == name]

    def txns(self, qtype=None, name=None, anyone=False):
        return [t for t in self.cap.txns if (anyone or (t["rd"] and t["client"] in self.senders))
                and (qtype is None or t["qtype"] == qtype)
                and (name is None or t["qname"] == name)]

    def mx_txns(self):
        return [t for t in self.mx.get("transaction", []) if t["rd"]]

    def mx_lookups(self, qtype, name):
        return [lu for lu in self.mx.get("lookup", []) if lu["rd"]
                and lu["qtype"] == qtype and nodot(lu["qname"]) == name]

    def log_lines(self):
        if self._log is None:
            path = os.path.join(self.capdir, "lab", "logs", self.stem + ".log")
            with open(path, encoding="utf-8", errors="replace") as f:
                self._log = f.read().splitlines()
        return self._log

    def findings(self):
        return self.mx.get("finding", [])

    # ---- each returns a list of (side, ok, found)
    def check(self, words):
        kind = words[0]
        fn = getattr(self, "f_" + kind.replace("-", "_"), None)
        if fn is None:
            raise Fact("unknown fact kind %r (grammar: captures/README.md)" % kind)
        return fn(words[1:])

    def f_mxsniff_args(self, a):
        # Options for the mxsniff run (collected before it); a run that
        # refuses them (exit status 2) stops the whole check.
        if not a:
            raise Fact("mxsniff-args OPTION...")
        return [("mxsniff", True, "run with " + " ".join(self.args))]

    def f_capture(self, a):
        if len(a) != 1:
            raise Fact("capture F")
        return [("pcap", a[0] == self.stem + ".pcap" and os.path.exists(self.cap_path),
                 "the expectation file %s.txt belongs to %s.pcap" % (self.stem, self.stem))]

    def f_linktype(self, a):
        lt = LINKTYPES.get(self.cap.linktype, "LINKTYPE%d" % self.cap.linktype)
        return [("pcap", a == [lt], lt)]

    def f_packets(self, a):
        n = as_int(a[0])
        st = self.mx["stats"][0]["packets"]
        return [("pcap", self.cap.packets == n, self.cap.packets), ("mxsniff", st == n, st)]

    def f_sender(self, a):
        srcs = self.cap.query_sources()
        mxs = [s["address"] for s in self.mx.get("sender", [])]
        return [("pcap", a[0] in srcs and all(s in self.senders for s in srcs),
                 "RD=1 query sources " + ",".join(srcs)),
                ("mxsniff", a[0] in mxs, "senders " + ",".join(mxs))]

    def f_family_order(self, a):
        # family-order SENDER A-only|AAAA-only|A-first|AAAA-first: the
        # capture's side from the sender's A/AAAA queries of each name
        # (which family it asked first; the *-only orders: the other never)
        if len(a) != 2 or a[1] not in ("A-only", "AAAA-only", "A-first", "AAAA-first"):
            raise Fact("family-order SENDER A-only|AAAA-only|A-first|AAAA-first")
        snd, want = a[0], a[1]
        first, fams = {}, set()
        for t in self.txns():
            if t["client"] != snd or t["qtype"] not in ("A", "AAAA"):
                continue
            fams.add(t["qtype"])
            if t["qname"] not in first or t["ts"] < first[t["qname"]][0]:
                first[t["qname"]] = (t["ts"], t["qtype"])
        firsts = [v[1] for v in first.values()]
        if want == "A-only":
            own = fams == {"A"}
        elif want == "AAAA-only":
            own = fams == {"AAAA"}
        else:
            fam = want.split("-")[0]
            own = bool(firsts) and firsts.count(fam) * 10 >= len(firsts) * 9
        rows = [s for s in self.mx.get("sender", []) if s["address"] == snd]
        got = rows[0].get("family_order") if rows else None
        return [("pcap", own, "families %s, first %s" % (sorted(fams), firsts)),
                ("mxsniff", got == want, got)]

    def f_resolver(self, a):
        dsts = []
        for m in self.sender_queries():
            if m["dst"] not in dsts:
                dsts.append(m["dst"])
        mxr = [r["address"] for r in self.mx.get("resolver", [])]
        return [("pcap", a[0] in dsts, "sender's query destinations " + ",".join(dsts)),
                ("mxsniff", a[0] in mxr, "resolvers " + ",".join(mxr))]

    def f_queries(self, a):
        n = as_int(a[0])
        own = len(self.sender_queries())
        mxn = sum(s["queries"] for s in self.mx.get("sender", []) if s["address"] in self.senders)
        return [("pcap", own == n, own), ("mxsniff", mxn == n, mxn)]

    def f_responses(self, a):
        n = as_int(a[0])
        own = [m for m in self.cap.messages if m["qr"] and m["dst"] in self.senders and m["sport"] == 53]
        out = [("pcap", len(own) == n, len(own))]
        # mxsniff counts responses for the whole capture: comparable when
        # every DNS message of the capture is the senders' own.
        if all(m["src"] in self.senders or m["dst"] in self.senders for m in self.cap.messages):
            st = self.mx["stats"][0]["responses"]
            out.append(("mxsniff", st == n, st))
        return out

    def f_query(self, a):
        if len(a) != 4:
            raise Fact("query PROTO QTYPE NAME N")
        proto, qtype, name, n = a[0], a[1], a[2], as_int(a[3])
        own = len([m for m in self.q_of(qtype, name) if m["transport"] == proto])
        mxn = sum(t["sends"] for t in self.mx_txns() if t["transport"] == proto
                  and t["qtype"] == qtype and nodot(t["qname"]) == name
                  and t["client"] in self.senders)
        return [("pcap", own == n, own), ("mxsniff", mxn == n, "%d (sends)" % mxn)]

    def f_txn(self, a):
        pos, kv = parse_kv(a)
        if len(pos) != 5 or set(kv) - {"resolver"}:
            raise Fact("txn PROTO QTYPE NAME OUTCOME N [resolver=IP]")
        proto, qtype, name, outcome, n = pos[0], pos[1], pos[2], pos[3], as_int(pos[4])
        return self._txn(proto, qtype, name, outcome, n, kv.get("resolver"))

    def f_txn_total(self, a):
        if len(a) != 4:
            raise Fact("txn-total PROTO QTYPE OUTCOME N")
        return self._txn(a[0], a[1], None, a[2], as_int(a[3]), None)

    def _txn(self, proto, qtype, name, outcome, n, resolver):
        if outcome not in OUTCOME_RANK:
            raise Fact("unknown outcome %r" % outcome)
        own = [t for t in self.txns(qtype, name, True) if t["transport"] == proto
               and t["outcome"] == outcome and (resolver is None or t["server"] == resolver)]
        mine = [t for t in self.mx.get("transaction", []) if t["transport"] == proto
                and t["qtype"] == qtype and (name is None or nodot(t["qname"]) == name)
                and (resolver is None or t["server"] == resolver)]
        hit = [t for t in mine if mx_outcome(t["outcome"]) == outcome]
        seen = {}
        for t in mine:
            k = t["outcome"] + ("(pending)" if t["kind"] == "pending" else "")
            seen[k] = seen.get(k, 0) + 1
        return [("pcap", len(own) == n, len(own)),
                ("mxsniff", len(hit) == n, "%d (all: %s)" % (len(hit), seen or "none"))]

    def f_lookup(self, a):
        if len(a) != 4:
            raise Fact("lookup QTYPE NAME OUTCOME N")
        qtype, name, outcome, n = a[0], a[1], a[2], as_int(a[3])
        if outcome not in OUTCOME_RANK:
            raise Fact("unknown outcome %r" % outcome)
        own = [lu for lu in self.cap.lookups if lu["rd"] and lu["client"] in self.senders
               and lu["qtype"] == qtype and lu["qname"] == name]
        own_hit = [lu for lu in own if lu["outcome"] == outcome]
        mxl = [lu for lu in self.mx_lookups(qtype, name) if lu["client"] in self.senders]
        hit = [lu for lu in mxl if mx_outcome(lu["outcome"]) == outcome]
        return [("pcap", len(own_hit) == n, "%d of %d lookups" % (len(own_hit), len(own))),
                ("mxsniff", len(hit) == n, "%d (all: %s)" % (
                    len(hit), [lu["outcome"] + ("(pending)" if lu["pending_at_end"] else "") for lu in mxl]))]

    def _event_list(self):
        ev = [(m["ts"], ("Q", m["qtype"], m["qname"])) for m in self.sender_queries()]
        ev += [(s[0], ("SYN", s[2], s[3])) for s in self.cap.syns]
        ev.sort(key=lambda e: e[0])
        return ev

    def f_order(self, a):
        items = [x.strip() for x in " ".join(a).split("<")]
        want = []
        for it in items:
            w = it.split()
            if len(w) == 2 and w[0] == "SYN":
                host, port = addr_port(w[1])
                want.append(("SYN", host, port))
            elif len(w) == 2:
                want.append(("Q", w[0], w[1]))
            else:
                raise Fact("order item %r is neither 'QTYPE NAME' nor 'SYN IP:PORT'" % it)
        ev = self._event_list()
        i = 0
        for k, w in enumerate(want):
            while i < len(ev) and ev[i][1] != w:
                i += 1
            if i == len(ev):
                return [("pcap", False, "no %s after item %d" % (items[k], k))]
            i += 1
        return [("pcap", True, "in order")]

    def f_none(self, a):
        if len(a) != 2:
            raise Fact("none QTYPE NAME")
        n = len([m for m in self.cap.rd_queries() if m["qtype"] == a[0] and m["qname"] == a[1]])
        mxn = len(self.mx_lookups(a[0], a[1]))
        return [("pcap", n == 0, "%d queries" % n), ("mxsniff", mxn == 0, "%d lookups" % mxn)]

    def f_same_socket(self, a):
        if len(a) != 4:
            raise Fact("same-socket QTYPE1 NAME1 QTYPE2 NAME2")
        q1, q2 = self.q_of(a[0], a[1]), self.q_of(a[2], a[3])
        best = None
        for m1 in q1:
            for m2 in q2:
                if (m1["src"], m1["sport"], m1["transport"]) == (m2["src"], m2["sport"], m2["transport"]):
                    gap = abs(m1["ts"] - m2["ts"])
                    best = gap if best is None else min(best, gap)
        ok = best is not None and best < 0.001
        return [("pcap", ok, "no shared port" if best is None else "closest pair %.6f s apart" % best)]

    def f_same_id_retransmit(self, a):
        if len(a) != 3 or a[2] not in ("new-port", "same-port"):
            raise Fact("same-id-retransmit QTYPE NAME new-port|same-port")
        qs = self.q_of(a[0], a[1])
        kinds = set()
        for i, m1 in enumerate(qs):
            for m2 in qs[i + 1:]:
                if m1["id"] == m2["id"] and m1["src"] == m2["src"]:
                    kinds.add("same-port" if m1["sport"] == m2["sport"] else "new-port")
        return [("pcap", a[2] in kinds, ",".join(sorted(kinds)) or "no same-ID re-send")]

    def f_retransmit_gap(self, a):
        if len(a) != 3:
            raise Fact("retransmit-gap QTYPE NAME S")
        qs = self.q_of(a[0], a[1])
        gaps = [qs[i + 1]["ts"] - qs[i]["ts"] for i in range(len(qs) - 1)
                if qs[i + 1]["id"] == qs[i]["id"]]
        ok = bool(gaps) and num_matches(gaps[0], a[2])
        return [("pcap", ok, "gaps %s" % ["%.3f" % g for g in gaps])]

    def f_tcp_retry_id(self, a):
        if len(a) != 3 or a[2] not in ("same", "new"):
            raise Fact("tcp-retry-id QTYPE NAME same|new")
        ts = self.txns(a[0], a[1])
        found = []
        for t in ts:
            if t["transport"] == "udp" and t["outcome"] == "TRUNCATED":
                rts = t["response"]["ts"]
                nxt = [u for u in ts if u["transport"] == "tcp" and u["client"] == t["client"]
                       and u["ts"] >= rts]
                if nxt:
                    found.append("same" if nxt[0]["id"] == t["id"] else "new")
        ok = bool(found) and all(f == a[2] for f in found)
        return [("pcap", ok, ",".join(found) or "no TC=1 then TCP")]

    def f_edns(self, a):
        if len(a) != 3:
            raise Fact("edns QTYPE NAME SIZE|none")
        qs = self.q_of(a[0], a[1])
        got = ["none" if m["edns"] is None else str(m["edns"]["size"]) for m in qs]
        # A question asked several times (dig, then Postfix, then getent)
        # has one edns line per distinct size: some query carries it.
        ok = a[2] in got
        out = [("pcap", ok, "queries: %s" % (",".join(got) or "absent"))]
        lus = self.mx_lookups(a[0], a[1])
        if lus:
            want = a[2] != "none"
            seen = sorted({lu["edns"] for lu in lus})
            out.append(("mxsniff", want in seen, "lookup edns=%s" % seen))
        return out

    def _responses(self, qtype, name, outcome=None):
        return [t for t in self.txns(qtype, name) if t["response"] is not None
                and (outcome is None or t["outcome"] == outcome)]

    def f_flags(self, a):
        pos, kv = parse_kv(a)
        if len(pos) != 3 or not kv:
            raise Fact("flags QTYPE NAME OUTCOME k=v...")
        ts = self._responses(pos[0], pos[1], pos[2])
        if not ts:
            return [("pcap", False, "no %s response" % pos[2])]
        bad = []
        for t in ts:
            r = t["response"]
            for k, v in kv.items():
                if k in ("qdcount", "ra", "aa", "tc", "rd", "ad", "cd"):
                    got = str(r[k])
                elif k == "edns":
                    got = "none" if r["edns"] is None else str(r["edns"]["size"])
                elif k == "do":
                    got = "none" if r["edns"] is None else str(r["edns"]["do"])
                elif k == "rcode":
                    got = RCODES.get(r["rcode"], str(r["rcode"]))
                else:
                    raise Fact("flags: unknown key %r" % k)
                if got != v:
                    bad.append("frame %d %s=%s" % (r["frame"], k, got))
        out = [("pcap", not bad, "; ".join(bad) or "%d responses agree" % len(ts))]
        if "ad" in kv and pos[2] in ("ANSWER", "NODATA", "NXDOMAIN"):
            # mxsniff's lookups decided by such a response carry its AD bit
            lus = [lu for lu in self.mx_lookups(pos[0], pos[1]) if lu["outcome"] == pos[2]]
            if lus:
                seen = sorted({lu["ad"] for lu in lus})
                out.append(("mxsniff", seen == [kv["ad"] == "1"], "lookup ad=%s" % seen))
        return out

    def f_qflags(self, a):
        # Every query of the sender for this question has these bits: the
        # header's rd/ad/cd and the OPT record's DO ("none": no OPT).
        pos, kv = parse_kv(a)
        if len(pos) != 2 or not kv:
            raise Fact("qflags QTYPE NAME k=v...")
        qs = self.q_of(pos[0], pos[1])
        if not qs:
            return [("pcap", False, "no %s %s query" % (pos[0], pos[1]))]
        bad = []
        for m in qs:
            for k, v in kv.items():
                if k in ("rd", "ad", "cd"):
                    got = str(m[k])
                elif k == "do":
                    got = "none" if m["edns"] is None else str(m["edns"]["do"])
                else:
                    raise Fact("qflags: unknown key %r" % k)
                if got != v:
                    bad.append("frame %d %s=%s" % (m["frame"], k, got))
        out = [("pcap", not bad, "; ".join(bad) or "%d queries agree" % len(qs))]
        if "do" in kv:
            lus = self.mx_lookups(pos[0], pos[1])
            if lus:
                want = kv["do"] == "1"
                seen = sorted({lu["do"] for lu in lus})
                out.append(("mxsniff", seen == [want], "lookup do=%s" % seen))
        return out

    def _soas(self, qtype, name):
        out = []
        for t in self._responses(qtype, name):
            if t["outcome"] in ("NXDOMAIN", "NODATA"):
                for rr in t["response"]["ns"]:
                    if rr["type"] == "SOA":
                        out.append((rr["name"], rr.get("minimum"), rr["ttl"]))
        return out

    def f_soa(self, a):
        pos, kv = parse_kv(a)
        if len(pos) != 2 or set(kv) != {"owner", "minimum", "ttl"}:
            raise Fact("soa QTYPE NAME owner=O minimum=M ttl=T")
        soas = self._soas(pos[0], pos[1])
        want = (kv["owner"], as_int(kv["minimum"]), as_int(kv["ttl"]))
        ok = bool(soas) and soas[0] == want
        return [("pcap", ok, "first %s (all: %s)" % (soas[0] if soas else "none", soas))]

    def f_negative_ttl(self, a):
        if len(a) != 3:
            raise Fact("negative-ttl QTYPE NAME T")
        n = as_int(a[2])
        soas = self._soas(a[0], a[1])
        negs = [min(m, ttl) for _o, m, ttl in soas]
        out = [("pcap", bool(negs) and negs[0] == n, "first %s (all: %s)" % (negs[0] if negs else "none", negs))]
        lus = sorted(self.mx_lookups(a[0], a[1]), key=lambda lu: lu["first_seen"])
        got = [lu["answers"].get("neg_ttl") for lu in lus if lu["answers"].get("neg_ttl") is not None]
        out.append(("mxsniff", bool(got) and got[0] == n, "lookups' neg_ttl %s" % got))
        return out

    def f_mx(self, a):
        if len(a) < 3 or len(a) % 2 != 1:
            raise Fact("mx NAME PREF HOST ...")
        name = a[0]
        want = sorted((as_int(a[i]), a[i + 1]) for i in range(1, len(a), 2))
        sets = []
        for t in self._responses("MX", name, "ANSWER"):
            sets.append(sorted((rr["pref"], rr["host"]) for rr in owner_records(t["response"], name, "MX")))
        ok = bool(sets) and all(s == want for s in sets)
        out = [("pcap", ok, sets or "no MX answer")]
        msets = [sorted((x["preference"], nodot(x["exchange"])) for x in lu.get("mx", []))
                 for lu in self.mx_lookups("MX", name) if lu["outcome"] == "ANSWER"]
        out.append(("mxsniff", bool(msets) and all(s == want for s in msets), msets or "no MX lookup"))
        return out

    def _syns(self, host, port):
        return [s for s in self.cap.syns if s[3] == port and (host is None or s[2] == host)]

    def f_smtp_syn(self, a):
        if a == ["none"]:
            n = len(self._syns(None, 25))
            return [("pcap", n == 0, "%d SYNs to port 25" % n)]
        if len(a) != 2:
            raise Fact("smtp-syn IP:PORT N|none")
        host, port = addr_port(a[0])
        n = len(self._syns(host, port))
        want = 0 if a[1] == "none" else as_int(a[1])
        return [("pcap", n == want, "%d SYNs" % n)]

    def f_tcp_syn(self, a):
        if len(a) != 2:
            raise Fact("tcp-syn IP:PORT N")
        host, port = addr_port(a[0])
        n = len(self._syns(host, port))
        return [("pcap", n == as_int(a[1]), "%d SYNs" % n)]

    def f_icmp_unreach(self, a):
        if len(a) != 4 or a[1] != "udp":
            raise Fact("icmp-unreach IP udp PORT N")
        n = as_int(a[3])
        got = len([i for i in self.cap.icmp if i[1] == a[0] and i[2] == 17 and i[3] == as_int(a[2])])
        unr = sum(r["unreachable"] for r in self.mx.get("resolver", []) if r["address"] == a[0])
        return [("pcap", got == n, got), ("mxsniff", unr == n, "%d unreachable transactions" % unr)]

    def f_forwarded(self, a):
        # CLIENT's query for the question repeats, at most 0.25 s later and
        # before that query's response, a query of the same question to
        # SERVER (a DNS server on this host): CLIENT forwards for SERVER.
        pos, kv = parse_kv(a)
        if len(pos) != 3 or set(kv) != {"for"}:
            raise Fact("forwarded CLIENT QTYPE NAME for=SERVER")
        cli, qtype, name, srv = pos[0], pos[1], pos[2], kv["for"]
        ups = [t for t in self.cap.txns if t["rd"] and t["client"] == cli
               and t["qtype"] == qtype and t["qname"] == name]
        downs = [t for t in self.cap.txns if t["rd"] and t["server"] == srv
                 and t["qtype"] == qtype and t["qname"] == name]
        hits = 0
        for u in ups:
            for d in downs:
                if d["server"] != u["server"] and 0 <= u["ts"] - d["ts"] <= 0.25 and (d["response"] is None
                                                     or d["response"]["ts"] > u["ts"]):
                    hits += 1
                    break
        mxl = [lu for lu in self.mx_lookups(qtype, name) if lu["client"] == cli]
        fw = [(lu.get("forwarded_for") or {}).get("server") for lu in mxl]
        return [("pcap", bool(ups) and hits == len(ups),
                 "%d of %d queries asked while %s's answer was awaited" % (hits, len(ups), srv)),
                ("mxsniff", bool(fw) and all(f == srv for f in fw), "lookups forwarded_for %s" % fw)]

    # ---- chains (PATTERNS §0): own view from MX lookups, and mxsniff's
    def _attempt_starts(self, domain):
        starts = []
        for lu in self.cap.lookups:
            if lu["rd"] and lu["client"] in self.senders and lu["qtype"] == "MX" and lu["qname"] == domain:
                if not starts or lu["start"] - starts[-1] >= MIN_RETRY_GAP:
                    starts.append(lu["start"])
        return starts

    def _mx_chains(self, domain):
        return [c for c in self.mx.get("chain", []) if nodot(c["domain"]) == domain]

    def f_attempts(self, a):
        if len(a) != 2:
            raise Fact("attempts D N")
        n = as_int(a[1])
        own = len(self._attempt_starts(a[0]))
        ch = self._mx_chains(a[0])
        top = max((c["attempt"] for c in ch), default=0)
        return [("pcap", own == n, own), ("mxsniff", top == n, "highest attempt %d" % top)]

    def f_attempt_gap_min(self, a):
        if len(a) != 1:
            raise Fact("attempt-gap-min S")
        domains = {lu["qname"] for lu in self.cap.lookups if lu["qtype"] == "MX"}
        gaps = []
        for d in domains:
            st = self._attempt_starts(d)
            gaps += [st[i + 1] - st[i] for i in range(len(st) - 1)]
        own = min(gaps) if gaps else None
        mxg = [s["retry_gap_min_s"] for s in self.mx.get("sender", [])
               if s["address"] in self.senders and s["retry_gap_min_s"] is not None]
        return [("pcap", own is not None and num_matches(own, a[0]),
                 "none" if own is None else "%.3f s" % own),
                ("mxsniff", bool(mxg) and num_matches(min(mxg), a[0]), mxg or "none")]

    def f_chain(self, a):
        if len(a) != 2 or a[1] != "complete":
            raise Fact("chain D complete")
        d = a[0]
        # own: some MX answer for D all of whose exchanges got an A or AAAA answer
        own_ok, why = False, "no MX answer"
        answered = {(t["qtype"], t["qname"]) for t in self.txns() if t["outcome"] == "ANSWER"}
        for t in self._responses("MX", d, "ANSWER"):
            hosts = [rr["host"] for rr in owner_records(t["response"], d, "MX")]
            missing = [h for h in hosts if ("A", h) not in answered and ("AAAA", h) not in answered]
            if hosts and not missing:
                own_ok, why = True, "every exchange answered"
                break
            why = "unresolved: " + ",".join(missing)
        mxok, mwhy = False, "no chain"
        for c in self._mx_chains(d):
            hosts = c["hosts"]
            unres = [h["name"] for h in hosts if not h["addresses"]]
            mwhy = "verdict %s, unresolved %s, %d of %d exchanges kept" % (
                c["verdict"], unres, len(hosts), c["hosts_total"])
            # A chain keeps at most 8 exchanges (documented: hosts_total in
            # docs/json-schema.md); the rest cannot be shown, only counted.
            kept_all = c["hosts_total"] == len(hosts) or (len(hosts) == 8 and c["hosts_total"] > 8)
            if c["verdict"] == "resolved" and hosts and not unres and kept_all:
                mxok = True
                break
        return [("pcap", own_ok, why), ("mxsniff", mxok, mwhy)]

    def f_chain_duration(self, a):
        if len(a) != 2:
            raise Fact("chain-duration D S")
        d = a[0]
        # own: first MX query for D to the last A/AAAA answer of its
        # exchanges asked before the sender's first SYN to port 25 after
        # it (the chain ends at its SYN: later lookups are another
        # delivery's or another program's)
        mxt = self._responses("MX", d, "ANSWER")
        own = None
        if mxt:
            q0 = self.txns("MX", d)[0]
            t0 = q0["ts"]
            syn = [s[0] for s in self.cap.syns if s[3] == 25 and s[1] == q0["client"] and s[0] >= t0]
            t_syn = min(syn) if syn else float("inf")
            hosts = {rr["host"] for rr in owner_records(mxt[0]["response"], d, "MX")}
            ends = [t["response"]["ts"] for t in self.txns() if t["qname"] in hosts
                    and t["qtype"] in ("A", "AAAA") and t["response"] is not None and t["ts"] < t_syn]
            if ends:
                own = max(ends) - t0
        out = [("pcap", own is not None and num_matches(own, a[1]),
                "none" if own is None else "%.3f s" % own)]
        durs = [iso_seconds(c["end"]) - iso_seconds(c["start"]) for c in self._mx_chains(d)]
        out.append(("mxsniff", bool(durs) and num_matches(durs[0], a[1]),
                    ["%.3f" % x for x in durs] or "no chain"))
        return out

    # ---- findings
    def _pattern_names(self, ident):
        if ident.startswith("P") and ident[1:].isdigit():
            if self.detectors is None:
                self.detectors = list_detectors(self.binary)
            if ident not in self.detectors:
                raise Fact("no detector %s" % ident)
            return self.detectors[ident]
        return {ident}

    def _finding_matches(self, f, pos, kv):
        subj = [nodot(f.get("host")), nodot(f.get("domain")), f.get("sender")] + list(f["resolvers"])
        for p in pos:
            if p not in subj:
                return False
        for k, v in kv.items():
            if k in ("host", "domain"):
                ok = nodot(f.get(k)) == v
            elif k == "sender":
                ok = f.get("sender") == v
            elif k == "qtype":
                ok = f.get("qtype") == v
            elif k == "severity":
                ok = f["severity"] == v.lower()
            elif k == "resolver":
                ok = v in f["resolvers"]
            elif k == "resolvers":
                ok = sorted(f["resolvers"]) == sorted(v.split(","))
            elif k == "primary":
                ok = f["resolvers"][:1] == [v]
            elif k == "secondary":
                ok = f["resolvers"][1:2] == [v]
            elif k == "lookups":
                ok = f["count"] == as_int(v)
            elif k == "ede":
                ok = ("EDE %s " % v) in (f.get("detail") or "") + " "
            elif k == "soa-owner":
                ok = ("SOA %s." % v) in (f.get("detail") or "")
            else:
                raise Fact("finding: unknown key %r" % k)
            if not ok:
                return False
        return True

    def _parse_finding(self, a):
        if not a:
            raise Fact("finding [ID] NAME k=v...")
        pos, kv = parse_kv(a)
        names = None
        if pos and pos[0].startswith("P") and pos[0][1:].isdigit():
            names = self._pattern_names(pos.pop(0))
        if pos and pos[0].isupper() and "." not in pos[0]:
            name = pos.pop(0)
            if names is not None and name not in names:
                raise Fact("%s is not emitted by that detector (%s)" % (name, ",".join(sorted(names))))
            names = {name}
        if names is None:
            raise Fact("no pattern name")
        return names, pos, kv

    def _summary(self, fs):
        return "; ".join("%s %s %s" % (f["pattern"], f["severity"],
                                       ",".join(x for x in [nodot(f.get("host")), nodot(f.get("domain")),
                                                            f.get("sender")] + f["resolvers"] if x))
                         for f in fs) or "no findings"

    def f_finding(self, a):
        names, pos, kv = self._parse_finding(a)
        fs = [f for f in self.findings() if f["pattern"] in names]
        ok = any(self._finding_matches(f, pos, kv) for f in fs)
        return [("mxsniff", ok, self._summary(fs) if fs else "none of " + ",".join(sorted(names)))]

    def f_no_finding(self, a):
        names, pos, kv = self._parse_finding(a)
        fs = [f for f in self.findings() if f["pattern"] in names and self._finding_matches(f, pos, kv)]
        return [("mxsniff", not fs, self._summary(fs))]

    def f_finding_max(self, a):
        if len(a) != 1 or a[0].lower() not in SEVERITIES:
            raise Fact("finding-max SEVERITY")
        top = max((SEVERITIES.index(f["severity"]) for f in self.findings()), default=-1)
        ok = top <= SEVERITIES.index(a[0].lower())
        return [("mxsniff", ok, "highest %s" % (SEVERITIES[top] if top >= 0 else "none"))]

    # ---- logs
    def _log_count(self, text):
        return len([line for line in self.log_lines() if text in line])

    def f_postfix(self, a):
        text = " ".join(a)
        n = self._log_count(text)
        return [("log", n > 0, "%d lines" % n)]

    def f_postfix_count(self, a):
        if len(a) < 2:
            raise Fact("postfix-count TEXT N")
        n = self._log_count(" ".join(a[:-1]))
        return [("log", n == as_int(a[-1]), "%d lines" % n)]

    f_mta = f_postfix
    f_mta_count = f_postfix_count


def iso_seconds(t):
    # "2026-11-24T10:35:00.546713Z" -> seconds (only differences are used)
    date, clock = t.rstrip("Z").split("T")
    y, mo, d = (int(x) for x in date.split("-"))
    h, mi, s = clock.split(":")
    days = (y * 372 + mo * 31 + d)      # monotonic within a capture's span
    return days * 86400 + int(h) * 3600 + int(mi) * 60 + float(s)


def raw_words(line):
    """Words of a fact; the log facts keep their text as written."""
    return line.split()


def main(argv):
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    binary, capdir, expect = argv[1], argv[2], argv[3]
    try:
        ck = Checker(capdir, expect, binary)
    except (OSError, BadCapture, RuntimeError, ValueError) as e:
        print("FAIL cannot check %s: %s" % (expect, e))
        return 1
    failed = passed = 0
    for lineno, line in ck.lines:
        words = raw_words(line)
        try:
            results = ck.check(words)
        except Fact as e:
            print("FAIL %s:%d %s -- not understood: %s" % (ck.stem, lineno, line, e))
            failed += 1
            continue
        bad = [r for r in results if not r[1]]
        detail = "; ".join("%s: %s" % (side, found) for side, _ok, found in results)
        if bad:
            print("FAIL %s:%d %s -- found %s" % (ck.stem, lineno, line, detail))
            failed += 1
        else:
            print("ok   %s:%d %s -- %s" % (ck.stem, lineno, line, detail))
            passed += 1
    print("%s: %d passed, %d failed" % (ck.stem, passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
