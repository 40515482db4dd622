#!/usr/bin/env python3
"""Time from each switch INVITE's arrival at the proxy to its first final answer leaving it.

usage: answer_times.py CAPTURE.pcap   (classic pcap, e.g. dumpcap -P; IPv4 over loopback)

Only the packets between the switch (SIPp, UDP port 5090) and the proxy count. A call's clock
starts at its first INVITE (a retransmission does not restart it) and stops at the first final
response (200-699) to that INVITE. Prints one line: calls timed, calls without a final in the
capture, and p50/p90/p99/max in microseconds (exact: every call counted). Reads the file itself
(no dissector), so a million packets take seconds.
"""
import re
import struct
import sys

SWITCH_PORT = 5090
CALL_ID = re.compile(rb"(?im)^(?:call-id|i)[ \t]*:[ \t]*(\S+)")
CSEQ = re.compile(rb"(?im)^cseq[ \t]*:[ \t]*\d+[ \t]+([A-Za-z]+)")
LINK_HEADER = {1: 14, 113: 16, 276: 20, 0: 4, 101: 0}  # Ethernet, SLL, SLL2, BSD loopback, raw


def packets(path):
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = struct.unpack("<I", head[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            endian = ">"
        else:
            sys.exit(f"{path}: not a classic pcap file (write it with dumpcap -P)")
        nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
        link = struct.unpack(endian + "I", head[20:24])[0]
        skip = LINK_HEADER.get(link)
        if skip is None:
            sys.exit(f"{path}: link type {link} not handled")
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, caplen, _ = struct.unpack(endian + "IIII", rec)
            data = f.read(caplen)
            ip = data[skip:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 15) * 4
            sport, dport = struct.unpack(">HH", ip[ihl:ihl + 4])
            yield sec + frac / (1e9 if nano else 1e6), sport, dport, ip[ihl + 8:]


start, answer = {}, {}
for t, sport, dport, sip in packets(sys.argv[1]):
    if SWITCH_PORT not in (sport, dport):
        continue
    m = CALL_ID.search(sip)
    c = CSEQ.search(sip)
    if not m or not c or c.group(1).upper() != b"INVITE":
        continue
    call = m.group(1)
    if sip.startswith(b"INVITE ") and dport != SWITCH_PORT:
        start.setdefault(call, t)
    elif sip.startswith(b"SIP/2.0 ") and dport == SWITCH_PORT and call not in answer:
        status = int(sip[8:11])
        if 200 <= status < 700:
            answer[call] = t
v = sorted((answer[c] - s) * 1e6 for c, s in start.items() if c in answer and answer[c] >= s)
missing = sum(1 for c in start if c not in answer)
if not v:
    print(f"no calls timed ({missing} without a final)")
    sys.exit(0)


def pct(p):
    return v[min(len(v) - 1, max(0, int(len(v) * p / 100 + 0.5) - 1))]


print(f"{len(v)} calls, {missing} without a final in the capture; INVITE in -> final out "
      f"p50 {pct(50):.0f} p90 {pct(90):.0f} p99 {pct(99):.0f} max {v[-1]:.0f} us")
