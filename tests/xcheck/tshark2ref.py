#!/usr/bin/env python3
"""tshark2ref.py - turn tshark output for one capture into the reference TSV.

Used by tshark-ref.sh only (not at test time). Reads `tshark -T fields`
output (the FIELDS below, tab-separated, one line per frame) and, for the
frames holding several DNS messages (DNS over TCP with several messages in one
segment: every field then has one value per message, and optional fields such
as the OPT record cannot be told apart), tshark's PDML for those frames, which
keeps each message in its own <proto name="dns"> element.

Output: one line per DNS message tshark decoded (see README.md for columns).
Standard library only.
"""
import subprocess
import sys
import xml.etree.ElementTree as ET

# Order matters: the index of each field is its column in tshark's output.
FIELDS = [
    "frame.number", "frame.time_epoch",
    "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport",
    "icmp.type", "icmpv6.type",
    "dns.id", "dns.flags.response", "dns.flags.opcode", "dns.flags.rcode",
    "dns.resp.ext_rcode", "dns.flags.truncated", "dns.flags.recdesired",
    "dns.flags.recavail", "dns.flags.authenticated", "dns.flags.checkdisable",
    "dns.flags.authoritative",
    "dns.qry.name", "dns.qry.type", "dns.qry.class",
    "dns.count.queries", "dns.count.zones", "dns.count.answers", "dns.count.prerequisites",
    "dns.count.auth_rr", "dns.count.updates", "dns.count.add_rr",
    "dns.rr.udp_payload_size", "dns.resp.z.do", "dns.opt.ext_error.info_code",
    "dns.response_to", "_ws.malformed", "dns.resp.type", "dns.opt.code",
    "frame.protocols",
]
# fields with one value per record or option: all values kept ('/'-joined)
MULTI = ("dns.resp.type", "dns.opt.code")
IX = {f: i for i, f in enumerate(FIELDS)}

# Preferences for both passes: DNS over TCP reassembled across segments,
# out-of-order segments put back in order (as mxsniff does).
TSHARK_OPTS = ["-o", "tcp.desegment_tcp_streams:TRUE", "-o", "dns.desegment_dns_messages:TRUE",
               "-o", "tcp.reassemble_out_of_order:TRUE"]

COLUMNS = ["frame", "time", "src", "sport", "dst", "dport", "transport", "id", "qr",
           "opcode", "rcode", "ext_rcode", "tc", "rd", "ra", "ad", "cd", "aa",
           "qname", "qtype", "qclass", "qd", "an", "ns", "ar", "edns_payload", "do", "ede",
           "response_to", "malformed", "rrtypes", "optcodes"]


def num(v):
    """tshark prints ids as 0x1234, booleans as 0/1 or True/False."""
    if v is None or v == "":
        return "-"
    v = v.strip()
    if v in ("True", "true"):
        return "1"
    if v in ("False", "false"):
        return "0"
    try:
        return str(int(v, 0))
    except ValueError:
        return v


def name(v):
    """Lower case with a trailing dot, root '.', as mxsniff writes names."""
    if v is None or v == "":
        return "-"
    if v == "<Root>":
        return "."
    v = v.lower()
    # tshark prints no dot after the last label (a label may end in a dot)
    return v + "."


def split(v):
    return [] if v == "" else v.split(",")


def first(v):
    s = split(v)
    return s[0] if s else ""


def last(v):
    s = split(v)
    return s[-1] if s else ""


def addressing(cols):
    """(src, dst, sport, dport, transport) of the DNS message in this frame.
    For an ICMP error the quoted datagram's (inner) addresses and 'icmp'."""
    v4s, v4d = split(cols[IX["ip.src"]]), split(cols[IX["ip.dst"]])
    v6s, v6d = split(cols[IX["ipv6.src"]]), split(cols[IX["ipv6.dst"]])
    icmp = cols[IX["icmp.type"]] != "" or cols[IX["icmpv6.type"]] != ""
    # the innermost IP header carries the DNS (tunnels: IP in IP, GRE,
    # VXLAN; ICMP: the quoted datagram): the family of the last ip/ipv6 in
    # frame.protocols, and that family's last address
    layers = [p for p in cols[IX["frame.protocols"]].split(":") if p in ("ip", "ipv6")]
    fam_s, fam_d = (v6s, v6d) if layers and layers[-1] == "ipv6" else (v4s, v4d)
    src = (fam_s or v4s or v6s or ["-"])[-1]
    dst = (fam_d or v4d or v6d or ["-"])[-1]
    if cols[IX["tcp.srcport"]] != "" and not icmp:
        return (src, dst, first(cols[IX["tcp.srcport"]]), first(cols[IX["tcp.dstport"]]), "tcp")
    return (src, dst, last(cols[IX["udp.srcport"]]) or "-", last(cols[IX["udp.dstport"]]) or "-",
            "icmp" if icmp else "udp")


def count(d, a, b):
    """dns.count.queries or, for UPDATE, dns.count.zones (same header slot)."""
    return num(d.get(a) or d.get(b) or "")


def row(frame, time, addr, d, malformed):
    qd = count(d, "dns.count.queries", "dns.count.zones")
    return [frame, time, addr[0], addr[2], addr[1], addr[3], addr[4],
            num(d.get("dns.id")), num(d.get("dns.flags.response")),
            num(d.get("dns.flags.opcode")), num(d.get("dns.flags.rcode")),
            num(d.get("dns.resp.ext_rcode")), num(d.get("dns.flags.truncated")),
            num(d.get("dns.flags.recdesired")), num(d.get("dns.flags.recavail")),
            num(d.get("dns.flags.authenticated")), num(d.get("dns.flags.checkdisable")),
            num(d.get("dns.flags.authoritative")),
            name(d.get("dns.qry.name")), num(d.get("dns.qry.type")), num(d.get("dns.qry.class")),
            qd, count(d, "dns.count.answers", "dns.count.prerequisites"),
            count(d, "dns.count.auth_rr", "dns.count.updates"), num(d.get("dns.count.add_rr")),
            num(d.get("dns.rr.udp_payload_size")), num(d.get("dns.resp.z.do")),
            num(d.get("dns.opt.ext_error.info_code")), num(d.get("dns.response_to")),
            "1" if malformed else "0",
            "/".join(num(x) for x in d.get("dns.resp.type", [])) or "-",
            "/".join(num(x) for x in d.get("dns.opt.code", [])) or "-"]


def from_pdml(capture, frames):
    """{frame: [dict per DNS message]} for frames with several messages."""
    out = {}
    if not frames:
        return out
    flt = "frame.number in {%s}" % ",".join(str(f) for f in sorted(frames))
    xml = subprocess.run(["tshark", "-n", "-r", capture] + TSHARK_OPTS + ["-Y", flt, "-T", "pdml"],
                         check=True, capture_output=True, text=True).stdout
    root = ET.fromstring(xml)
    for pkt in root.iter("packet"):
        fno = None
        msgs = []
        bad = set()  # indexes of the messages tshark found malformed
        for proto in pkt.findall("proto"):
            pname = proto.get("name")
            if pname == "geninfo":
                for f in proto.iter("field"):
                    if f.get("name") == "num":
                        fno = int(f.get("show"))
            elif pname == "dns":
                d = {}
                for f in proto.iter("field"):
                    n = f.get("name")
                    if n in MULTI:
                        d.setdefault(n, []).append(f.get("show"))
                    elif n in IX and n not in d:  # first occurrence: first question
                        d[n] = f.get("show")
                msgs.append(d)
            elif pname == "_ws.malformed" and "DNS" in (proto.get("showname") or "") and msgs:
                bad.add(len(msgs) - 1)  # follows the message it is about
        if fno is not None:
            out[fno] = (msgs, bad)
    return out


def main():
    capture = sys.argv[1]
    lines = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
    multi = set()
    for cols in lines:
        cols += [""] * (len(FIELDS) - len(cols))
        if len(split(cols[IX["dns.id"]])) > 1:
            multi.add(int(cols[0]))
    pdml = from_pdml(capture, multi)
    print("\t".join(COLUMNS))
    for cols in lines:
        if cols[IX["dns.id"]] == "" and cols[IX["dns.flags.response"]] == "":
            continue  # no DNS header decoded in this frame
        frame = cols[0]
        time = cols[IX["frame.time_epoch"]]
        addr = addressing(cols)
        mal = "Malformed Packet: DNS" in cols[IX["_ws.malformed"]]
        if int(frame) in pdml:
            msgs, bad = pdml[int(frame)]
            for i, d in enumerate(msgs):
                print("\t".join(row(frame, time, addr, d, i in bad)))
            continue
        d = {f: (split(cols[IX[f]]) if f in MULTI else first(cols[IX[f]])) for f in FIELDS}
        print("\t".join(row(frame, time, addr, d, mal)))


if __name__ == "__main__":
    main()
