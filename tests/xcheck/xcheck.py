#!/usr/bin/env python3
"""xcheck.py - cross-check mxsniff's decoding and matching against tshark.

Usage: xcheck.py --mxsniff BIN --dump XCHECK_DUMP --ref REF.tsv [--answer-timeout S] CAPTURE...

Compares three views of the same capture:
  ref   tests/xcheck/ref/<capture>.tsv, written by tshark-ref.sh: one line per
        DNS message tshark decodes (its frame, addresses, header, question,
        EDNS, EDE, and dns.response_to: the query frame tshark links a
        response to). tshark is not needed here.
  dump  xcheck_dump CAPTURE: mxsniff's decoder and DNS parser, per frame (the
        decode reason) and per message (the same fields), since mxsniff
        itself has no per-message output.
  nd    mxsniff -r CAPTURE -F ndjson: transactions, lookups and stats.

Checks (README.md explains each and every allowed difference):
  1. every DNS message tshark decodes is accounted for by mxsniff: decoded
     with the same header, question, counts and EDNS, or skipped for a
     documented reason (RULES below);
  2. every query -> response pair tshark links is a transaction in mxsniff
     with those two frames, unless a documented definition of mxsniff's
     makes it something else (late, duplicate, other question, ...);
  3. every answered mxsniff transaction agrees with tshark's view of its
     query and response frames (id, question, rcode, flags, EDNS), and every
     lookup frame is a frame tshark decodes as DNS;
  4. the dump is mxsniff's own view: its counts equal the NDJSON stats.
Exit status 1 on any disagreement, which is printed with its frames.
Python 3 standard library only.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys

DNS_PORT = 53
DUP_WINDOW = 0.002  # decode.h MX_DECODE_DUP_WINDOW_US: a capture copy within 2 ms

# Allowed differences. Each is tied to the manual (man/mxsniff.8) or to a
# header comment that states mxsniff's definition; xcheck counts how often
# each applied and prints the counts.
RULES = {
    "capture-duplicate":
        "mxsniff skips a copy of an IP packet seen within 2 ms (decode counter "
        "capture_duplicate, manual DECODE COUNTERS); tshark decodes every copy",
    "not-dns-port":
        "mxsniff decodes DNS on --dns-port ports only (53 by default, manual "
        "--dns-port), and elsewhere only a response to a pending query "
        "(decode counter response_other_port); tshark also decodes DNS it "
        "finds elsewhere",
    "both-bad":
        "tshark marks the message malformed and mxsniff counts it as not DNS, "
        "malformed or truncated (a decode reason of the malformed/truncated "
        "verdicts, or the parser's not_dns): both refuse the bytes",
    "tcp-undecodable":
        "DNS over TCP that tshark itself cannot parse (malformed: typically a "
        "segment after a gap that tshark takes for the start of a message); "
        "mxsniff keeps the stream bytes for reassembly (tcp_held) instead",
    "snaplen":
        "a message cut short by the capture (mxsniff verdict truncated): "
        "fields beyond the cut are not compared",
    "late":
        "manual DEFINITIONS late: a response after --answer-timeout (counted "
        "from the last copy of the query, txn.c) leaves the query TIMEOUT; "
        "tshark pairs by ID at any distance",
    "late-after-icmp":
        "manual outcome UNREACHABLE: an ICMP unreachable ends the "
        "transaction; a response after it is a late stray (txn.c)",
    "duplicate":
        "manual DEFINITIONS duplicate: a second response to a query already "
        "answered is not a new transaction; tshark links it to the query too",
    "other-question":
        "manual DEFINITIONS transaction: the key includes the question; a "
        "response whose question differs from the query's matches no query "
        "(tshark pairs on the ID alone)",
    "retransmission-after-timeout":
        "manual DEFINITIONS transaction: the same query seen again after its "
        "timeout starts a new transaction; tshark links the response to the "
        "first copy",
    "not-dns-heuristic":
        "dns.c: NOT_DNS only for what clearly is not DNS: fewer than 12 bytes, "
        "opcode > 6, QDCOUNT > 4, counts needing more than four times the "
        "message size, a query (not DSO) with no question and no OPT; tshark "
        "decodes any header",
    "rdata-scope":
        "dns.c validation scope: RDATA is checked only for A, AAAA, CNAME, MX, "
        "SOA and OPT (option TLV framing, EDE); other RDATA and option "
        "contents are skipped by length as stub resolvers do, so tshark may "
        "call malformed what mxsniff reads fine",
    "pointer-rules":
        "dns.c's top comment: a compression pointer must point strictly "
        "before itself and past the header, so a loop or a forward pointer "
        "makes the message MALFORMED; tshark 4.0 follows forward pointers and "
        "reports a loop only as an expert note, not as a malformed packet",
    "opcode":
        "txn.c: only opcode QUERY (0) is tracked; NOTIFY, UPDATE, ... are "
        "counted and not matched",
    "no-question":
        "txn.c: a query without a question section is counted and not "
        "tracked: there is nothing to key a transaction on",
    "link-unsupported":
        "manual LINK TYPES: a file with a link type mxsniff does not decode is "
        "refused (error, no report); its frames count as link_unsupported",
    "tcp-midstream":
        "decode counter tcp_midstream (manual): mxsniff joins a TCP flow seen "
        "without its SYN and finds the next message; tshark, joining in the "
        "middle of a message, takes its tail for a length prefix and loses "
        "the flow's message boundaries, so it decodes no DNS in that direction",
    "encap-limit":
        "manual DECODE COUNTERS: mxsniff decodes at most 4 encapsulation "
        "levels and 8 MPLS labels (encap_too_deep) and refuses an "
        "encapsulation header it judges malformed, such as a PPPoE version "
        "other than 1 (bad_encap); tshark decodes deeper and is more lenient",
    "query-not-decoded":
        "tshark links the response to a query mxsniff did not deliver for one "
        "of the reasons above; the transaction, if any, is checked from the "
        "copy mxsniff kept",
}


NONPACKET = "# records without a packet: "


def tsv_ref(path):
    """The reference rows, and how many pcapng records without a packet
    (custom blocks, systemd journal entries) tshark numbered as frames:
    mxsniff numbers them too, so frame numbers are compared as they are."""
    rows = []
    header = None
    skip = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith(NONPACKET):
                skip = sorted(int(x) for x in line[len(NONPACKET):].split())
            if line.startswith("#") or not line:
                continue
            cols = line.split("\t")
            if header is None:
                header = cols
                continue
            r = dict(zip(header, cols))
            r["frame"] = int(r["frame"])
            # a pcapng Simple Packet Block has no time stamp: mxsniff gives
            # it the time of the frame before (manual DESCRIPTION), so do we
            r["time"] = float(r["time"]) if r["time"] else (rows[-1]["time"] if rows else 0.0)
            rows.append(r)
    return rows, len(skip)


DUMP_M = ["kind", "frame", "src", "sport", "dst", "dport", "transport", "verdict", "id", "qr",
          "opcode", "rcode", "tc", "rd", "ra", "ad", "cd", "aa", "qname", "qtype", "qclass", "qd", "an",
          "ns", "ar", "edns_payload", "do", "ede"]
DUMP_I = ["kind", "frame", "src", "sport", "dst", "dport", "id"]


def run_dump(binary, captures):
    out = subprocess.run([binary] + captures, check=True, capture_output=True, text=True).stdout
    reasons = collections.defaultdict(list)
    msgs = collections.defaultdict(list)
    icmps = collections.defaultdict(list)
    for line in out.splitlines():
        cols = line.split("\t")
        if cols[0] == "F":
            reasons[int(cols[1])].append(cols[2])
        elif cols[0] == "M":
            m = dict(zip(DUMP_M, cols))
            m["frame"] = int(m["frame"])
            msgs[m["frame"]].append(m)
        elif cols[0] == "W":
            msgs[int(cols[1])][-1]["wire"] = bytes.fromhex(cols[2])
        elif cols[0] == "I":
            i = dict(zip(DUMP_I, cols))
            i["frame"] = int(i["frame"])
            icmps[i["frame"]].append(i)
    return reasons, msgs, icmps


def run_mxsniff(binary, captures, timeout):
    args = [binary, "-F", "ndjson", "--answer-timeout", str(timeout)]
    for c in captures:
        args += ["-r", c]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode not in (0, 1, 3):  # findings / truncated input are not errors here
        pass
    objs = collections.defaultdict(list)
    for line in p.stdout.splitlines():
        o = json.loads(line)
        objs[o["type"]].append(o)
    return objs


# Mnemonics mxsniff writes (ldns names) -> numbers, for the NDJSON side.
TYPES = {"A": 1, "NS": 2, "MD": 3, "MF": 4, "CNAME": 5, "SOA": 6, "MB": 7, "MG": 8, "MR": 9,
         "NULL": 10, "WKS": 11, "PTR": 12, "HINFO": 13, "MINFO": 14, "MX": 15, "TXT": 16,
         "RP": 17, "AFSDB": 18, "SIG": 24, "KEY": 25, "AAAA": 28, "LOC": 29, "NXT": 30,
         "SRV": 33, "NAPTR": 35, "KX": 36, "CERT": 37, "DNAME": 39, "OPT": 41, "APL": 42,
         "DS": 43, "SSHFP": 44, "IPSECKEY": 45, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48,
         "DHCID": 49, "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52, "SMIMEA": 53, "HIP": 55,
         "CDS": 59, "CDNSKEY": 60, "OPENPGPKEY": 61, "CSYNC": 62, "ZONEMD": 63, "SVCB": 64,
         "HTTPS": 65, "SPF": 99, "TKEY": 249, "TSIG": 250, "IXFR": 251, "AXFR": 252,
         "MAILB": 253, "MAILA": 254, "ANY": 255, "URI": 256, "CAA": 257}
RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMPL": 4, "NOTIMP": 4,
          "REFUSED": 5, "YXDOMAIN": 6, "YXRRSET": 7, "NXRRSET": 8, "NOTAUTH": 9, "NOTZONE": 10,
          "BADVERS": 16, "BADSIG": 16, "BADKEY": 17, "BADTIME": 18, "BADMODE": 19,
          "BADNAME": 20, "BADALG": 21, "BADTRUNC": 22, "BADCOOKIE": 23}


def mnemonic(s, table, prefix):
    if s is None:
        return None
    if s in table:
        return table[s]
    if s.startswith(prefix) and s[len(prefix):].isdigit():
        return int(s[len(prefix):])
    return "?" + s


def ref_rcode(r):
    """tshark's 4-bit rcode with the OPT extended bits folded in (RFC 6891)."""
    if r["rcode"] == "-":
        return None
    rc = int(r["rcode"])
    if r["ext_rcode"] != "-":
        rc |= int(r["ext_rcode"]) << 4
    return rc


def mx_bytes(s):
    """mxsniff's name text (manual: RFC 1035 \\DDD and \\X escapes) -> the
    list of labels as bytes."""
    labels, cur, i = [], bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == "\\" and s[i + 1:i + 4].isdigit() and len(s[i + 1:i + 4]) == 3:
            cur.append(int(s[i + 1:i + 4]))
            i += 4
        elif c == "\\" and i + 1 < len(s):
            cur += s[i + 1].encode()
            i += 2
        elif c == ".":
            labels.append(bytes(cur))
            cur = bytearray()
            i += 1
        else:
            cur += c.encode()
            i += 1
    if cur:
        labels.append(bytes(cur))
    return labels


def same_name(tshark, mx):
    """tshark's name (lower-cased, trailing dot added by tshark2ref.py) and
    mxsniff's (lower case, trailing dot, escapes per the manual's JSON
    conventions). tshark prints label bytes as they are (a dot inside a label
    looks like a separator), bytes that are not UTF-8 as U+FFFD and some
    control bytes as \\ooo (octal): a name with such bytes is compared as a
    pattern (U+FFFD stands for one byte of 0x80 or more)."""
    if tshark == mx:
        return True
    if mx == ".":
        return tshark == "."
    flat = b".".join(mx_bytes(mx.lower())) + b"."
    pat = []
    i = 0
    while i < len(tshark):
        c = tshark[i]
        if c == "\ufffd":
            pat.append(b"[\\x80-\\xff]")
        elif c == "\\" and tshark[i + 1:i + 4].isdigit():
            pat.append(re.escape(bytes([int(tshark[i + 1:i + 4], 8) & 0xff])))
            i += 3
        else:
            pat.append(re.escape(c.encode()))
        i += 1
    return re.fullmatch(b"".join(pat), flat, re.S) is not None


class Check:
    def __init__(self, name):
        self.name = name
        self.problems = []
        self.notes = []
        self.allowed = collections.Counter()

    def bad(self, frame, text):
        self.problems.append((frame, text))

    def note(self, frame, text):
        self.notes.append((frame, text))

    def allow(self, rule):
        assert rule in RULES, rule
        self.allowed[rule] += 1


def key5(r):
    return (r["src"], r["sport"], r["dst"], r["dport"], r["transport"])


def dns_port(r):
    return r["sport"] == str(DNS_PORT) or r["dport"] == str(DNS_PORT)


BAD_REASONS = {"short_link", "short_ip", "short_l4", "short_dns", "bad_ip", "bad_l4",
               "bad_fragment", "bad_tcp_prefix", "not_ip", "other_proto", "other_port",
               "icmp_other", "link_unsupported"}


def not_dns_heuristic(m):
    """dns.c's documented NOT_DNS rules (its top comment): fewer than 12
    bytes, opcode > 6, QDCOUNT > 4, counts needing more than four times the
    message size, a query (not DSO) with QDCOUNT 0 and no OPT. The size rule
    needs the message size, which neither view has: counts above 1000 stand
    for it."""
    if m["id"] == "-":
        return True
    qd, an, ns, ar = (int(m[k]) for k in ("qd", "an", "ns", "ar"))
    return (int(m["opcode"]) > 6 or qd > 4 or an + ns + ar > 1000 or
            (m["qr"] == "0" and m["opcode"] != "6" and qd == 0 and m["edns_payload"] == "-"))


CHECKED_RDATA = {1, 28, 5, 15, 6, 41}  # dns.c validation scope: A AAAA CNAME MX SOA OPT


def outside_rdata_scope(r):
    """The message holds RDATA dns.c does not validate (its top comment:
    'Other RDATA is skipped by RDLENGTH, as stub resolvers do'), or EDNS
    options other than EDE, whose contents it does not read (only their TLV
    framing is checked), or a DSO message (opcode 6, RFC 8490), whose body
    is TLVs that dns.c does not read."""
    types = {int(x) for x in r["rrtypes"].split("/") if x.isdigit()}
    opts = {int(x) for x in r["optcodes"].split("/") if x.isdigit()}
    return bool(types - CHECKED_RDATA) or bool(opts - {15}) or r["opcode"] == "6"


def pointer_rule_broken(wire):
    """True when a name in the question or an owner name breaks dns.c's
    pointer rules (its top comment: a compression pointer must point
    strictly before itself and past the 12-byte header, so a loop is
    MALFORMED) or points past the end. tshark 4.0 follows forward pointers
    and reports a loop as an expert note, not as a malformed packet. Walks
    the header counts, each question, each record's owner name, and skips
    RDATA by RDLENGTH; stops (False) where the bytes run out otherwise."""
    def name_end(pos):
        """(end of the name at pos in the record stream, broken?)"""
        end = None
        hops = 0
        while True:
            if pos >= len(wire):
                return None, end is None
            b = wire[pos]
            if b & 0xC0 == 0xC0:
                if pos + 1 >= len(wire):
                    return None, False
                tgt = (b & 0x3F) << 8 | wire[pos + 1]
                if tgt >= pos or tgt < 12:
                    return None, True
                hops += 1
                if hops > 64:
                    return None, True
                if end is None:
                    end = pos + 2
                pos = tgt
            elif b == 0:
                return (end if end is not None else pos + 1), False
            elif b & 0xC0:
                return None, False
            else:
                pos += 1 + b
    if len(wire) < 12:
        return False
    qd, an, ns, ar = (wire[i] << 8 | wire[i + 1] for i in (4, 6, 8, 10))
    pos = 12
    for k in range(qd + an + ns + ar):
        end, broken = name_end(pos)
        if broken:
            return True
        if end is None:
            return False
        if k < qd:
            pos = end + 4
        else:
            if end + 10 > len(wire):
                return False
            pos = end + 10 + (wire[end + 8] << 8 | wire[end + 9])
    return False


def compare_msg(chk, r, m):
    """Fields of one message: tshark's '-' (absent) is not compared; a message
    mxsniff saw cut short (snaplen) is compared as far as it goes."""
    f = r["frame"]
    diffs = []
    for k in ("qr", "opcode", "tc", "rd", "ra", "ad", "cd", "aa", "qd", "an", "ns", "ar"):
        if r[k] != "-" and m[k] != "-" and r[k] != m[k]:
            diffs.append("%s tshark %s mxsniff %s" % (k, r[k], m[k]))
    rc = ref_rcode(r)
    partial = m["verdict"] == "truncated"
    whole = not partial and r["malformed"] == "0" and m["verdict"] == "ok"
    if rc is not None and m["rcode"] != "-":
        # the OPT record's upper rcode bits only when both read the whole
        # message (either may stop before the additional section)
        mrc = int(m["rcode"]) if whole else int(m["rcode"]) & 0xF
        if (rc if whole else rc & 0xF) != mrc:
            diffs.append("rcode tshark %d mxsniff %s" % (rc, m["rcode"]))
    if partial:
        chk.allow("snaplen")
    if r["qname"] != "-" and m["qname"] != "-" and not same_name(r["qname"], m["qname"]):
        diffs.append("qname tshark %s mxsniff %s" % (r["qname"], m["qname"]))
    for k in ("qtype", "qclass"):
        if r[k] != "-" and m[k] != "-" and r[k] != m[k]:
            diffs.append("%s tshark %s mxsniff %s" % (k, r[k], m[k]))
    if r["qd"] not in ("-", "0") and m["qname"] == "-" and not partial and m["verdict"] == "ok":
        diffs.append("question tshark %s mxsniff none" % r["qname"])
    # EDNS and EDE live at the end of the message: compared when both
    # decoders read the whole message
    if whole:
        for k in ("edns_payload", "do", "ede"):
            if r[k] != m[k]:
                diffs.append("%s tshark %s mxsniff %s" % (k, r[k], m[k]))
    if r["malformed"] == "1" and m["verdict"] == "ok":
        if outside_rdata_scope(r):
            chk.allow("rdata-scope")
        else:
            diffs.append("tshark: malformed, mxsniff: parsed OK")
    # the other direction: a message tshark reads whole that mxsniff's parser
    # calls malformed (counted in the 'malformed' statistic)
    if r["malformed"] == "0" and m["verdict"] == "malformed":
        if m.get("wire") and pointer_rule_broken(m["wire"]):
            chk.allow("pointer-rules")
        else:
            diffs.append("mxsniff: malformed, tshark: parsed OK")
    if diffs:
        chk.bad(f, "message id %s %s->%s: %s" % (r["id"], r["src"], r["dst"], "; ".join(diffs)))


def check_messages(chk, ref, reasons, msgs, icmps):
    """1. every tshark DNS message accounted for. Returns {(frame, idx): m}."""
    used = set()
    for r in ref:
        f = r["frame"]
        if r["transport"] == "icmp":
            hits = [i for i in icmps.get(f, []) if (i["src"], i["sport"], i["dst"], i["dport"]) ==
                    (r["src"], r["sport"], r["dst"], r["dport"])]
            if hits:
                if hits[0]["id"] != "-" and r["id"] != "-" and hits[0]["id"] != r["id"]:
                    chk.bad(f, "ICMP quote id tshark %s mxsniff %s" % (r["id"], hits[0]["id"]))
            elif "capture_duplicate" in reasons.get(f, []):
                chk.allow("capture-duplicate")
            elif set(reasons.get(f, [])) & BAD_REASONS and r["malformed"] == "1":
                chk.allow("both-bad")
            else:
                chk.bad(f, "ICMP quoting DNS id %s (%s:%s -> %s:%s): mxsniff reason %s" %
                        (r["id"], r["src"], r["sport"], r["dst"], r["dport"],
                         ",".join(reasons.get(f, ["none"]))))
            continue
        cands = [(i, m) for i, m in enumerate(msgs.get(f, []))
                 if (f, i) not in used and m["id"] in (r["id"], "-") and
                 (m["src"], m["sport"], m["dst"], m["dport"], m["transport"]) == key5(r)]
        why = reasons.get(f, [])
        if cands:
            i, m = cands[0]
            used.add((f, i))
            if m["verdict"] == "not_dns":
                if r["malformed"] == "1":
                    chk.allow("both-bad")
                elif not_dns_heuristic(m):
                    chk.allow("not-dns-heuristic")
                else:
                    chk.bad(f, "message id %s: tshark decodes it, mxsniff's parser says not DNS" % r["id"])
                continue
            compare_msg(chk, r, m)
            continue
        if "link_unsupported" in why:
            chk.allow("link-unsupported")
        elif not dns_port(r):
            if "other_port" in why:
                chk.allow("not-dns-port")
            else:
                chk.bad(f, "message on ports %s/%s: mxsniff reason %s" % (r["sport"], r["dport"], ",".join(why)))
        elif "capture_duplicate" in why:
            earlier = [e for e in ref if e["frame"] < f and r["time"] - e["time"] <= DUP_WINDOW + 1e-9
                       and key5(e) == key5(r) and e["id"] == r["id"] and e["qr"] == r["qr"]]
            if earlier:
                chk.allow("capture-duplicate")
            else:
                chk.bad(f, "mxsniff skips it as a capture duplicate, tshark has no copy within 2 ms")
        elif r["malformed"] == "1" and set(why) & BAD_REASONS:
            chk.allow("both-bad")
        elif set(why) & {"encap_too_deep", "bad_encap"}:
            chk.allow("encap-limit")
        elif r["malformed"] == "1" and r["transport"] == "tcp" and why == ["tcp_held"]:
            chk.allow("tcp-undecodable")
        else:
            chk.bad(f, "tshark decodes DNS id %s %s:%s -> %s:%s (%s); mxsniff delivers no such message "
                    "(frame reason %s%s)" % (r["id"], r["src"], r["sport"], r["dst"], r["dport"],
                                              r["transport"], ",".join(why) or "none",
                                              "; tshark: malformed" if r["malformed"] == "1" else ""))
    for f, ms in sorted(msgs.items()):
        for i, m in enumerate(ms):
            if (f, i) not in used:
                chk.note(f, "mxsniff decodes DNS id %s %s:%s -> %s:%s (%s, %s) that tshark does not" %
                         (m["id"], m["src"], m["sport"], m["dst"], m["dport"], m["transport"], m["verdict"]))
    return used


def check_transactions(chk, ref, reasons, txns, timeout, midstream):
    """2 and 3: tshark's query->response links against mxsniff's transactions."""
    by_frame = collections.defaultdict(list)
    for r in ref:
        by_frame[r["frame"]].append(r)
    by_r = {}
    by_q = {}
    for t in txns:
        if t["r_frame"] is not None and t["kind"] == "answered":
            by_r.setdefault(t["r_frame"], []).append(t)
        for q in t["q_frames"]:
            by_q.setdefault(q, []).append(t)

    def ref_at(frame, want_qr, like=None):
        rows = [x for x in by_frame.get(frame, []) if x["qr"] == want_qr and x["transport"] != "icmp"]
        if like is not None:
            rows = [x for x in rows if x["id"] == like["id"]] or rows
        return rows[0] if rows else None

    def question(x):
        return (x["qname"], x["qtype"])

    linked_q = collections.defaultdict(list)  # query frame -> response frames tshark linked
    for r in ref:
        if r["qr"] != "1" or r["transport"] == "icmp" or r["response_to"] == "-":
            continue
        R, Q = r["frame"], int(r["response_to"])
        linked_q[Q].append(R)
        q = ref_at(Q, "0", r)
        ts = [t for t in by_r.get(R, []) if t["id"] == int(r["id"])]
        if ts:
            t = ts[0]
            if Q in t["q_frames"]:
                continue
            # tshark links to an earlier copy that mxsniff made a transaction
            # of its own, ended before this response (timeout, ICMP)
            earlier = [u for u in by_q.get(Q, []) if u["kind"] in ("timeout", "unreachable")]
            if earlier and q is not None and t["q_frame"] > Q:
                chk.allow("retransmission-after-timeout")
                continue
            if any(x in reasons.get(Q, []) for x in ("capture_duplicate",)):
                chk.allow("query-not-decoded")
                continue
            chk.bad(R, "tshark links response %d to query %d, mxsniff to query frames %s" %
                    (R, Q, t["q_frames"]))
            continue
        # no mxsniff transaction answered by R
        if "capture_duplicate" in reasons.get(R, []):
            chk.allow("capture-duplicate")
            continue
        if not dns_port(r):
            chk.allow("not-dns-port")
            continue
        if q is None:
            chk.bad(R, "tshark links response %d to frame %d, which it has no query at" % (R, Q))
            continue
        if q["opcode"] not in ("0", "-") or r["opcode"] not in ("0", "-"):
            chk.allow("opcode")
            continue
        if q["qd"] == "0" or q["qname"] == "-":
            chk.allow("no-question")
            continue
        if r["qname"] != "-" and r["qd"] != "0" and (not same_name(q["qname"], r["qname"]) or q["qtype"] != r["qtype"] or q["qclass"] != r["qclass"]):
            chk.allow("other-question")
            continue
        qt = by_q.get(Q, [])
        if not qt:
            if set(reasons.get(Q, [])) & (BAD_REASONS | {"capture_duplicate"}):
                chk.allow("query-not-decoded")
                continue
            chk.bad(R, "tshark pairs query %d -> response %d; mxsniff has no transaction for query %d" % (Q, R, Q))
            continue
        t = qt[0]
        if t["kind"] == "answered" and t["r_frame"] is not None and t["r_frame"] < R:
            chk.allow("duplicate")
            continue
        if t["kind"] in ("timeout", "unreachable", "pending"):
            # the timeout counts from the last copy of the query before R
            copies = [x for x in t["q_frames"] if x < R]
            last = max(copies) if copies else Q
            lq = ref_at(last, "0", r) or q
            gap = r["time"] - lq["time"]
            if t["kind"] == "unreachable" and t["r_frame"] is not None and t["r_frame"] < R:
                chk.allow("late-after-icmp")
                continue
            if gap >= timeout - 1e-6:
                chk.allow("late")
                continue
            chk.bad(R, "response %d to query %d after %.3f s (inside the %g s timeout): mxsniff's "
                    "transaction for it is %s%s" % (R, Q, gap, timeout, t["kind"],
                                                   "" if t["r_frame"] is None else " (frame %d)" % t["r_frame"]))
            continue
        chk.bad(R, "tshark pairs query %d -> response %d; mxsniff's transaction of query %d is %s with r_frame %s"
                % (Q, R, Q, t["kind"], t["r_frame"]))

    # 3. mxsniff's answered transactions against tshark's view of the frames
    for t in txns:
        if t["kind"] != "answered":
            continue
        R, Q = t["r_frame"], t["q_frame"]
        q = ref_at(Q, "0", {"id": str(t["id"])})
        rows = [x for x in by_frame.get(R, []) if x["qr"] == "1" and x["id"] == str(t["id"])
                and x["transport"] != "icmp"]
        r = rows[0] if rows else None
        if (q is None or r is None) and t["transport"] == "tcp" and midstream:
            # tshark decodes nothing in the flow direction of the missing
            # message, up to that frame: it lost the flow's boundaries
            fl = (t["client"], str(t["cport"]), t["server"], str(t["sport"]), "tcp")
            fr = (t["server"], str(t["sport"]), t["client"], str(t["cport"]), "tcp")
            lost_q = q is None and not any(key5(x) == fl and x["frame"] <= Q for x in ref)
            lost_r = r is None and not any(key5(x) == fr and x["frame"] <= R for x in ref)
            if (q is not None or lost_q) and (r is not None or lost_r):
                chk.allow("tcp-midstream")
                continue
        if q is None and r is None and not by_frame.get(Q) and not by_frame.get(R):
            # as for messages (notes, not failures): mxsniff sees more than
            # tshark, which decodes no DNS in either frame
            chk.note(R, "mxsniff transaction q %d -> r %d: tshark decodes no DNS in these frames" % (Q, R))
            continue
        if q is None or r is None:
            chk.bad(R, "mxsniff transaction q %d -> r %d: tshark has no %s there" %
                    (Q, R, "query" if q is None else "response"))
            continue
        d = []
        if int(q["id"]) != t["id"]:
            d.append("id tshark %s mxsniff %d" % (q["id"], t["id"]))
        if q["qname"] != "-" and not same_name(q["qname"], t["qname"]):
            d.append("qname tshark %s mxsniff %s" % (q["qname"], t["qname"]))
        if q["qtype"] != "-" and int(q["qtype"]) != mnemonic(t["qtype"], TYPES, "TYPE"):
            d.append("qtype tshark %s mxsniff %s" % (q["qtype"], t["qtype"]))
        rc = ref_rcode(r)
        trc = mnemonic(t["rcode"], RCODES, "RCODE")
        if rc is not None and r["malformed"] == "1" and isinstance(trc, int):
            rc, trc = rc & 0xF, trc & 0xF  # tshark stopped before the OPT record
        if rc is not None and rc != trc:
            d.append("rcode tshark %d mxsniff %s" % (rc, t["rcode"]))
        for k, x, flag in (("rd", q, "rd"), ("aa", r, "aa"), ("ra", r, "ra"), ("tc", r, "tc")):
            if x[flag] != "-" and (x[flag] == "1") != t[k]:
                d.append("%s tshark %s mxsniff %s" % (k, x[flag], t[k]))
        if q["malformed"] == "0":
            if (q["edns_payload"] != "-") != t["edns"]:
                d.append("query edns tshark %s mxsniff %s" % (q["edns_payload"], t["edns"]))
            if q["do"] != "-" and (q["do"] == "1") != t["do"]:
                d.append("query do tshark %s mxsniff %s" % (q["do"], t["do"]))
        if r["malformed"] == "0" and r["ede"] != "-" and t["ede"] is not None and int(r["ede"]) != t["ede"]:
            d.append("ede tshark %s mxsniff %s" % (r["ede"], t["ede"]))
        if (t["server"], str(t["sport"]), t["client"], str(t["cport"]), t["transport"]) != key5(r):
            d.append("response addressing tshark %s mxsniff %s" % (key5(r), t))
        if r["response_to"] != "-" and int(r["response_to"]) not in t["q_frames"]:
            # tshark links this response elsewhere: the first loop judged it
            pass
        elif r["response_to"] == "-":
            chk.note(R, "mxsniff pairs query %d -> response %d; tshark links the response to no query" % (Q, R))
        if d:
            chk.bad(R, "transaction q %d -> r %d: %s" % (Q, R, "; ".join(d)))


def check_lookups(chk, ref, icmp_frames, lookups, txns):
    # frames of lookups: tshark's DNS frames, ICMP frames, and the frames of
    # transactions (checked above, tcp-midstream included)
    frames = {r["frame"] for r in ref} | icmp_frames
    for t in txns:
        frames.update(t["q_frames"])
        if t["r_frame"] is not None:
            frames.add(t["r_frame"])
    for l in lookups:
        for f in l["frames"]:
            if f not in frames:
                chk.bad(f, "lookup %s %s lists frame %d, where tshark decodes no DNS" % (l["qname"], l["qtype"], f))


def check_self(chk, reasons, msgs, icmps, stats):
    """The dump is mxsniff's own view: same decode counters as its stats."""
    if not stats:
        if reasons and all(rs == ["link_unsupported"] for rs in reasons.values()):
            chk.allow("link-unsupported")
        else:
            chk.bad(0, "mxsniff wrote no stats line")
        return
    st = stats[0]
    counted = collections.Counter(x for rs in reasons.values() for x in rs)
    for k, v in st["decode"].items():
        if counted.get(k, 0) != v:
            chk.bad(0, "xcheck_dump counts %d frames %s, mxsniff's stats %d" % (counted.get(k, 0), k, v))
    n = sum(1 for ms in msgs.values() for m in ms if m["verdict"] != "not_dns")
    if n != st["dns_messages"]:
        chk.bad(0, "xcheck_dump delivers %d DNS messages, mxsniff's stats %d" % (n, st["dns_messages"]))


def read_known(path, captures):
    """known-bugs.txt lines 'capture<TAB>frame<TAB>text' (capture as a path
    below captures/) for the captures checked: [(frame, text)]."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cap, frame, text = line.rstrip("\n").split("\t", 2)
            if any(c.replace(os.sep, "/").endswith("captures/" + cap) for c in captures):
                out.append((int(frame), text))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mxsniff", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--answer-timeout", type=float, default=5.0)
    ap.add_argument("-v", "--verbose", action="store_true", help="print the notes too")
    ap.add_argument("--known", help="known-bugs.txt: disagreements where mxsniff is wrong, "
                    "reported as KNOWN until fixed")
    ap.add_argument("captures", nargs="+")
    a = ap.parse_args()

    ref, nonpacket = tsv_ref(a.ref)
    reasons, msgs, icmps = run_dump(a.dump, a.captures)
    nd = run_mxsniff(a.mxsniff, a.captures, a.answer_timeout)
    chk = Check(a.ref)
    check_self(chk, reasons, msgs, icmps, nd.get("stats"))
    check_messages(chk, ref, reasons, msgs, icmps)
    st = nd.get("stats", [{}])[0]
    check_transactions(chk, ref, reasons, nd.get("transaction", []), a.answer_timeout,
                       st.get("layers", {}).get("tcp_midstream", 0))
    check_lookups(chk, ref, set(icmps), nd.get("lookup", []), nd.get("transaction", []))

    nq = sum(1 for r in ref if r["qr"] == "0")
    print("xcheck %s: tshark %d DNS messages (%d queries), %d linked responses; mxsniff %d "
          "transactions, %d lookups" % (" ".join(a.captures), len(ref), nq,
                                        sum(1 for r in ref if r["response_to"] != "-"),
                                        len(nd.get("transaction", [])), len(nd.get("lookup", []))))
    for rule, n in sorted(chk.allowed.items()):
        print("  allowed %-28s %5d  (%s)" % (rule, n, RULES[rule]))
    for f, text in sorted(chk.notes):
        if a.verbose:
            print("  note frame %d: %s" % (f, text))
    if chk.notes and not a.verbose:
        print("  %d note(s) (mxsniff sees more than tshark; -v lists them)" % len(chk.notes))
    known = read_known(a.known, a.captures) if a.known else []
    seen = set()
    problems = []
    for f, text in sorted(chk.problems):
        hit = [i for i, (kf, kt) in enumerate(known) if kf == f and kt in text]
        if hit:
            seen.update(hit)
            print("  KNOWN frame %d: %s (mxsniff is wrong: %s)" % (f, text, a.known))
        else:
            problems.append((f, text))
            print("  DISAGREE frame %d: %s" % (f, text))
    for i, (kf, kt) in enumerate(known):
        if i not in seen:
            problems.append((kf, kt))
            print("  FIXED? frame %d: the known disagreement '%s' is gone: remove its line "
                  "from %s" % (kf, kt, a.known))
    print("%d disagreement(s)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
