#!/usr/bin/env python3
"""Time from each switch INVITE's arrival at the proxy to its first final answer leaving it.

Reads tshark fields on stdin, tab-separated: frame.time_epoch, udp.dstport, sip.Call-ID,
sip.CSeq.method, sip.Status-Code; only the packets between the switch (SIPp, UDP port 5090) and
the proxy (5060). A call's clock starts at its first INVITE (a retransmission does not restart
it) and stops at its first final response (200-699) to that INVITE. Prints one line: calls
timed, calls without a final in the capture, and p50/p90/p99/max in microseconds (exact, every
call counted).
"""
import sys

SWITCH_PORT = "5090"
start, answer = {}, {}
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    if len(f) < 5 or f[3] != "INVITE":
        continue
    t, dst, call, status = float(f[0]), f[1], f[2], f[4]
    if not status:  # a request: the INVITE from the switch
        if dst != SWITCH_PORT:
            start.setdefault(call, t)
    elif dst == SWITCH_PORT and 200 <= int(status.split(",")[0]) < 700 and call not in answer:
        answer[call] = t
v = sorted((answer[c] - s) * 1e6 for c, s in start.items() if c in answer and answer[c] >= s)
missing = sum(1 for c in start if c not in answer)
if not v:
    print(f"no calls timed ({missing} without a final)")
    sys.exit(0)
pct = lambda p: v[min(len(v) - 1, max(0, int(len(v) * p / 100 + 0.5) - 1))]
print(f"{len(v)} calls, {missing} without a final in the capture; INVITE in -> final out "
      f"p50 {pct(50):.0f} p90 {pct(90):.0f} p99 {pct(99):.0f} max {v[-1]:.0f} us")
