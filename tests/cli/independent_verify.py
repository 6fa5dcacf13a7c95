#!/usr/bin/python3
"""independent_verify.py — an auditor's check of `sadasya log --json`,
with tools that are not sadasya's (proto/README.md).

    sadasya --data DIR log --json | /usr/bin/python3 independent_verify.py
    /usr/bin/python3 independent_verify.py [options] LOG.jsonl

Run it with Debian's /usr/bin/python3 (python3-nacl). For every entry:

  * the Ed25519 signature, with PyNaCl:
        VerifyKey(origin).verify(b"SADASYA-ENTRY-V1" + entry, sig)
  * hash == BLAKE2b-256(entry || sig)            (hashlib.blake2b)
  * the entry's own origin and seq (decoded here from the protobuf wire
    format) match the line's, per origin seq runs 1, 2, 3… without gaps,
    and prev is the hash of the previous entry (32 zero bytes for seq 1)
  * personal, when present, hashes (BLAKE2b-256) to the personal_hash the
    signed body commits to (MemberJoined field 2, MemberUpdated field 2)
  * key epochs: a key's serials start at its roster entry's first_serial,
    and none of its entries lies past its cut (node/README.md);
  * membership numbers of MemberJoined entries: state prefix, serial = the
    n-th join of that origin, Verhoeff check digit

and, as a second opinion on samples:

  * stock `protoc --decode=sadasya.Entry` accepts the bytes, and its text
    shows the same origin, seq, prev and member number (up to
    --protoc-sample entries, spread over the stream; default 200)
  * OpenSSL verifies the signature too (`openssl pkeyutl -verify -rawin`
    with a PEM key built from the raw 32-byte key; up to --openssl-sample
    entries, default 20)

Prints "independent verify: N entries, N signatures ok (PyNaCl), K via
openssl, chains ok, P decoded by stock protoc" and exits 0; or prints each
failure (one per line, "FAIL: …") and exits 1. Exit 2 on bad usage or a
missing tool that was asked for.
"""

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import nacl.exceptions
    import nacl.signing
except ImportError:  # pragma: no cover
    sys.stderr.write("independent_verify: PyNaCl is missing: run with "
                     "/usr/bin/python3 (Debian's python3-nacl)\n")
    sys.exit(2)

DOMAIN = b"SADASYA-ENTRY-V1"
ZERO32 = bytes(32)
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")

# Entry body fields (proto/sadasya.proto): roster 10, joined 11, updated 12,
# status 13, officer 14, event 15, attendance 16, honour 17, notice 18,
# redaction 19, enterprise 20.
BODY_NAMES = {10: "roster", 11: "joined", 12: "updated", 13: "status",
              14: "officer", 15: "event", 16: "attendance", 17: "honour",
              18: "notice", 19: "redaction", 20: "enterprise"}


# --- protobuf wire format ----------------------------------------------------

class WireError(Exception):
    pass


def read_varint(buf, i):
    value = 0
    shift = 0
    while True:
        if i >= len(buf):
            raise WireError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7
        if shift >= 70:
            raise WireError("varint longer than 10 bytes")


def parse_fields(buf):
    """[(field number, wire type, value)] of one message's top level;
    value is an int (varint, fixed) or bytes (length-delimited)."""
    out = []
    i = 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        field, wt = key >> 3, key & 7
        if field == 0:
            raise WireError("field number 0")
        if wt == 0:
            v, i = read_varint(buf, i)
        elif wt == 1:
            if i + 8 > len(buf):
                raise WireError("truncated fixed64")
            v = int.from_bytes(buf[i:i + 8], "little")
            i += 8
        elif wt == 2:
            n, i = read_varint(buf, i)
            if i + n > len(buf):
                raise WireError("length-delimited field %d overruns the "
                                "message" % field)
            v = bytes(buf[i:i + n])
            i += n
        elif wt == 5:
            if i + 4 > len(buf):
                raise WireError("truncated fixed32")
            v = int.from_bytes(buf[i:i + 4], "little")
            i += 4
        else:
            raise WireError("unsupported wire type %d (field %d)" % (wt, field))
        out.append((field, wt, v))
    return out


def last(fields, number, wt):
    """The last value of a field (proto3: the last one wins)."""
    v = None
    for f, t, val in fields:
        if f == number:
            if t != wt:
                raise WireError("field %d has wire type %d, not %d"
                                % (number, t, wt))
            v = val
    return v


def decode_entry(entry):
    """The Entry fields this check needs, from the wire bytes."""
    fields = parse_fields(entry)
    d = {
        "origin": last(fields, 1, 2),
        "seq": last(fields, 2, 0),
        "prev": last(fields, 3, 2),
        "body": None,
        "body_field": None,
        "number": None,
        "personal_hash": None,
    }
    for f, wt, val in fields:
        if f in BODY_NAMES:
            if wt != 2:
                raise WireError("body field %d is not a message" % f)
            d["body_field"], d["body"] = f, val  # oneof: the last one wins
    if d["body"] is not None and d["body_field"] in (11, 12, 13):
        body = parse_fields(d["body"])
        num = last(body, 1, 2)
        if num is not None:
            try:
                d["number"] = num.decode("utf-8")
            except UnicodeDecodeError:
                raise WireError("member number is not UTF-8")
        if d["body_field"] in (11, 12):
            d["personal_hash"] = last(body, 2, 2)
    return d


# --- membership numbers (node/README.md) ---------------------------------------

V_D = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
       [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
       [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
       [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
       [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
V_P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
       [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
       [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
       [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]
V_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def verhoeff_digit(digits):
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = V_D[c][V_P[(i + 1) % 8][int(ch)]]
    return V_INV[c]


NUMBER_RE = re.compile(r"^([A-Z]{2,3})-([0-9]{7})-([0-9])$")


# --- protoc's text format ----------------------------------------------------

def c_unescape(s):
    """Bytes of a protoc text-format string literal's contents."""
    out = bytearray()
    i = 0
    simple = {"n": 10, "r": 13, "t": 9, '"': 34, "'": 39, "\\": 92,
              "a": 7, "b": 8, "f": 12, "v": 11, "?": 63}
    while i < len(s):
        ch = s[i]
        if ch != "\\":
            out += ch.encode("utf-8", "surrogateescape")
            i += 1
            continue
        i += 1
        if i >= len(s):
            raise ValueError("dangling backslash")
        e = s[i]
        if e in simple:
            out.append(simple[e])
            i += 1
        elif e in "01234567":
            j = i
            while j < len(s) and j < i + 3 and s[j] in "01234567":
                j += 1
            out.append(int(s[i:j], 8) & 0xFF)
            i = j
        elif e == "x":
            j = i + 1
            while j < len(s) and j < i + 3 and s[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(s[i + 1:j], 16))
            i = j
        else:
            raise ValueError("unknown escape \\%s" % e)
    return bytes(out)


def protoc_decode(protoc, proto_dir, entry):
    """Runs stock protoc --decode on entry; returns (ok, text or error)."""
    proto = os.path.join(proto_dir, "sadasya.proto")
    try:
        p = subprocess.run([protoc, "--decode=sadasya.Entry",
                            "--proto_path=" + proto_dir, proto],
                           input=entry, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)
    if p.returncode != 0:
        return False, p.stderr.decode("utf-8", "replace").strip()
    return True, p.stdout.decode("utf-8", "surrogateescape")


def protoc_fields(text):
    """Top-level origin/seq/prev and the body's number from protoc text."""
    got = {}
    depth = 0
    for line in text.splitlines():
        s = line.strip()
        if s.endswith("{"):
            depth += 1
            continue
        if s == "}":
            depth -= 1
            continue
        m = re.match(r'^(\w+):\s*(.*)$', s)
        if not m:
            continue
        name, val = m.group(1), m.group(2)
        if depth == 0 and name in ("origin", "prev") and val.startswith('"'):
            got[name] = c_unescape(val[1:-1])
        elif depth == 0 and name == "seq":
            got["seq"] = int(val)
        elif depth == 1 and name == "number" and val.startswith('"'):
            got["number"] = c_unescape(val[1:-1]).decode("utf-8", "replace")
    return got


# --- OpenSSL -------------------------------------------------------------------

def openssl_verify(openssl, tmp, idx, origin, msg, sig):
    """True when `openssl pkeyutl -verify -rawin` accepts sig over msg."""
    der = ED25519_SPKI_PREFIX + origin
    pem = ("-----BEGIN PUBLIC KEY-----\n" +
           base64.b64encode(der).decode("ascii") +
           "\n-----END PUBLIC KEY-----\n")
    kp = os.path.join(tmp, "pub%d.pem" % idx)
    mp = os.path.join(tmp, "msg%d" % idx)
    sp = os.path.join(tmp, "sig%d" % idx)
    with open(kp, "w") as f:
        f.write(pem)
    with open(mp, "wb") as f:
        f.write(msg)
    with open(sp, "wb") as f:
        f.write(sig)
    p = subprocess.run([openssl, "pkeyutl", "-verify", "-pubin", "-inkey", kp,
                        "-rawin", "-in", mp, "-sigfile", sp],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    out = p.stdout.decode("utf-8", "replace")
    return p.returncode == 0 and "Signature Verified Successfully" in out


def sample_indexes(n, k):
    """Up to k indexes spread evenly over range(n), first and last included."""
    if n <= k:
        return list(range(n))
    if k <= 1:
        return [0][:k]
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


# --- main ----------------------------------------------------------------------

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(
        description="Independently verify `sadasya log --json` output.")
    ap.add_argument("file", nargs="?", help="JSON lines (default: stdin)")
    ap.add_argument("--proto-dir",
                    default=os.path.normpath(os.path.join(here, "..", "..",
                                                          "proto")),
                    help="directory holding sadasya.proto")
    ap.add_argument("--protoc", default="protoc")
    ap.add_argument("--openssl", default="openssl")
    ap.add_argument("--protoc-sample", type=int, default=200,
                    help="entries decoded with stock protoc (0: none)")
    ap.add_argument("--openssl-sample", type=int, default=20,
                    help="signatures re-checked with openssl (0: none)")
    ap.add_argument("--quiet", action="store_true",
                    help="print failures only")
    a = ap.parse_args()

    failures = []

    def fail(msg):
        failures.append(msg)

    protoc = shutil.which(a.protoc) if a.protoc_sample > 0 else None
    if a.protoc_sample > 0 and not protoc:
        sys.stderr.write("independent_verify: %s not found (install "
                         "protobuf-compiler, or --protoc-sample 0)\n" % a.protoc)
        return 2
    if protoc and not os.path.isfile(os.path.join(a.proto_dir,
                                                  "sadasya.proto")):
        sys.stderr.write("independent_verify: no sadasya.proto in %s "
                         "(--proto-dir)\n" % a.proto_dir)
        return 2
    openssl = shutil.which(a.openssl) if a.openssl_sample > 0 else None
    if a.openssl_sample > 0 and not openssl:
        sys.stderr.write("independent_verify: %s not found (or "
                         "--openssl-sample 0)\n" % a.openssl)
        return 2

    src = open(a.file, "rb") if a.file else sys.stdin.buffer
    records = []
    for lineno, raw in enumerate(src, 1):
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except ValueError as e:
            fail("line %d: not JSON (%s)" % (lineno, e))
            continue
        if not isinstance(rec, dict):
            fail("line %d: not a JSON object" % lineno)
            continue
        rec["_line"] = lineno
        records.append(rec)
    if a.file:
        src.close()

    entries = []  # dicts with decoded bytes, for the later passes
    sig_ok = 0
    for rec in records:
        ln = rec["_line"]
        try:
            origin = bytes.fromhex(rec["origin"])
            entry = base64.b64decode(rec["entry"], validate=True)
            sig = base64.b64decode(rec["sig"], validate=True)
            seq = rec["seq"]
            state = rec["state"]
            want_hash = rec["hash"]
            personal = rec.get("personal")
            personal = (None if personal is None else
                        base64.b64decode(personal, validate=True))
        except (KeyError, TypeError, ValueError, binascii.Error) as e:
            fail("line %d: malformed record (%s: %s)" %
                 (ln, type(e).__name__, e))
            continue
        name = "%s seq %s" % (state, seq)
        if len(origin) != 32 or len(sig) != 64 or not isinstance(seq, int):
            fail("%s (line %d): origin must be 32 bytes, sig 64, seq an "
                 "integer" % (name, ln))
            continue
        good = True
        try:
            nacl.signing.VerifyKey(origin).verify(DOMAIN + entry, sig)
            sig_ok += 1
        except (nacl.exceptions.BadSignatureError, ValueError) as e:
            fail("%s: bad signature (PyNaCl: %s)" % (name, e))
            good = False
        h = hashlib.blake2b(entry + sig, digest_size=32).digest()
        if h.hex() != str(want_hash).lower():
            fail("%s: hash %s is not BLAKE2b-256(entry || sig) = %s"
                 % (name, want_hash, h.hex()))
        try:
            d = decode_entry(entry)
        except WireError as e:
            fail("%s: entry does not decode as sadasya.Entry (%s)" % (name, e))
            d = None
        if d is not None:
            if d["origin"] != origin:
                fail("%s: the entry's own origin is not the line's origin"
                     % name)
            if d["seq"] != seq:
                fail("%s: the entry's own seq is %s" % (name, d["seq"]))
            if d["prev"] is None or len(d["prev"]) != 32:
                fail("%s: prev is not 32 bytes" % name)
            if d["body"] is None:
                fail("%s: entry has no body" % name)
            ph = d["personal_hash"]
            if personal is not None:
                if not ph:
                    fail("%s: personal data given for an entry that commits "
                         "to none" % name)
                elif hashlib.blake2b(personal, digest_size=32).digest() != ph:
                    fail("%s: personal data does not match its signed hash"
                         % name)
        entries.append({"rec": rec, "name": name, "origin": origin,
                        "entry": entry, "sig": sig, "hash": h, "seq": seq,
                        "state": state, "d": d, "good": good})

    # Key epochs (node/README.md), from the national log's RosterUpdates
    # (Entry field 10): Chapter {state 1, key 3, first_serial 5} sets a key's
    # first serial when it is first listed; KeyCut {state 1, key 2,
    # last_seq 3} (RosterUpdate field 6) ends a key at last_seq.
    first_serial, cut = {}, {}
    for e in sorted((x for x in entries if x["state"] == "IN" and x["d"]),
                    key=lambda x: x["seq"]):
        d = e["d"]
        if d["body_field"] != 10:
            continue
        for f, wt, val in parse_fields(d["body"]):
            if f == 1 and wt == 2:
                ch = parse_fields(val)
                key = last(ch, 3, 2)
                if key is not None and key not in first_serial:
                    first_serial[key] = last(ch, 5, 0) or 1
            elif f == 6 and wt == 2:
                kc = parse_fields(val)
                key, ls = last(kc, 2, 2), last(kc, 3, 0) or 0
                if key is not None:
                    cut[key] = min(ls, cut.get(key, ls))
    held_numbers = {}

    # Chains and numbering, per origin, in seq order.
    by_origin = {}
    for e in entries:
        by_origin.setdefault(e["origin"], []).append(e)
    for origin, run in by_origin.items():
        states = {e["state"] for e in run}
        if len(states) != 1:
            fail("origin %s…: lines name several states %s"
                 % (origin.hex()[:16], sorted(states)))
        run.sort(key=lambda e: e["seq"])
        expect = 1
        prev_hash = ZERO32
        joins = 0
        for e in run:
            if e["seq"] != expect:
                if e["seq"] < expect:
                    fail("%s: seq held twice" % e["name"])
                else:
                    fail("%s: chain gap, seq %d follows %d"
                         % (e["name"], e["seq"], expect - 1))
                    prev_hash = None  # nothing to link to
            d = e["d"]
            if d is not None and prev_hash is not None and d["prev"] != prev_hash:
                fail("%s: broken chain (prev is not the hash of seq %d)"
                     % (e["name"], e["seq"] - 1))
            prev_hash = e["hash"]
            expect = max(expect, e["seq"] + 1)
            if origin in cut and e["seq"] > cut[origin]:
                fail("%s: seq %d is past its key's cut at seq %d (void)"
                     % (e["name"], e["seq"], cut[origin]))
            if d is not None and d["body_field"] == 11:
                joins += 1
                m = NUMBER_RE.match(d["number"] or "")
                if not m:
                    fail("%s: joined number %r is not STATE-NNNNNNN-D"
                         % (e["name"], d["number"]))
                    continue
                st, serial, check = m.group(1), m.group(2), int(m.group(3))
                if st != e["state"]:
                    fail("%s: number %s has another state's prefix"
                         % (e["name"], d["number"]))
                want = first_serial.get(origin, 1) + joins - 1
                if int(serial) != want:
                    fail("%s: number %s breaks the sequence (expected serial "
                         "%d)" % (e["name"], d["number"], want))
                if d["number"] in held_numbers:
                    fail("%s: number %s is held by another member too (%s)"
                         % (e["name"], d["number"], held_numbers[d["number"]]))
                held_numbers[d["number"]] = e["name"]
                if verhoeff_digit(serial) != check:
                    fail("%s: number %s has a wrong Verhoeff check digit "
                         "(expected %d)" % (e["name"], d["number"],
                                            verhoeff_digit(serial)))

    # Stock protoc on a sample: it must accept the bytes and agree.
    decoded = 0
    if protoc:
        for i in sample_indexes(len(entries), a.protoc_sample):
            e = entries[i]
            ok, text = protoc_decode(protoc, a.proto_dir, e["entry"])
            if not ok:
                fail("%s: stock protoc --decode rejects the entry: %s"
                     % (e["name"], text))
                continue
            decoded += 1
            got = protoc_fields(text)
            d = e["d"]
            if d is None:
                continue
            for k in ("origin", "seq", "prev"):
                if got.get(k) != d[k]:
                    fail("%s: protoc shows a different %s than the wire "
                         "decoding" % (e["name"], k))
            if d["body_field"] == 11:
                if d["number"] is None or \
                        ('number: "%s"' % d["number"]) not in text:
                    fail("%s: protoc's text lacks the member number %s"
                         % (e["name"], d["number"]))

    # OpenSSL on a sample: it must agree with PyNaCl.
    via_openssl = 0
    if openssl and entries:
        with tempfile.TemporaryDirectory(prefix="sadasya-iv-") as tmp:
            for i in sample_indexes(len(entries), a.openssl_sample):
                e = entries[i]
                try:
                    ok = openssl_verify(openssl, tmp, i, e["origin"],
                                        DOMAIN + e["entry"], e["sig"])
                except (OSError, subprocess.TimeoutExpired) as ex:
                    fail("%s: openssl did not run: %s" % (e["name"], ex))
                    continue
                if ok and e["good"]:
                    via_openssl += 1
                elif ok != e["good"]:
                    fail("%s: openssl says the signature is %s, PyNaCl %s"
                         % (e["name"], "good" if ok else "bad",
                            "good" if e["good"] else "bad"))
                else:
                    fail("%s: bad signature (openssl)" % e["name"])

    n = len(entries)
    if failures:
        for f in failures:
            print("FAIL: %s" % f)
        print("independent verify: FAILED, %d failures in %d entries "
              "(%d signatures ok)" % (len(failures), n, sig_ok))
        return 1
    if not a.quiet:
        print("independent verify: %d entries, %d signatures ok (PyNaCl), %d "
              "via openssl, chains ok, %d decoded by stock protoc"
              % (n, sig_ok, via_openssl, decoded))
    return 0


if __name__ == "__main__":
    sys.exit(main())
