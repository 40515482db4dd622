#!/usr/bin/env bash
# churn.sh - does connection churn cost calls? A switch places 100 calls/s over UDP (uac_603:
# only ClearIP's 603 counts) while another source opens CONNS TCP connections to the proxy every
# 3 s and closes them again (half of them after an OPTIONS and its answer, half silent), for
# SECONDS. Loopback only; stops only the processes it started.
#
# usage: loadtest/rig/churn.sh   (after mvn -B -q package -DskipTests)
# Environment: SECONDS_LOAD (default 60), CONNS (default 256), RATE (default 100), WORK
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
SECS=${SECONDS_LOAD:-60}
CONNS=${CONNS:-256}
RATE=${RATE:-100}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/clearip-churn.XXXX")}
mkdir -p "$WORK"
cd "$WORK"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
cat > emulator.conf <<CONF
clearip-emulator {
  listen { udp = [], tcp = ["127.0.0.1:15072"], tls = [] }
  rules = [{ name = blocks, called-prefix = "6", action = block }]
}
CONF
cat > proxy.conf <<CONF
clearip-proxy {
  listen { udp = ["127.0.0.1:5360"], tcp = ["127.0.0.1:5360"], tls = [] }
  upstream.uri = "sip:127.0.0.1:15072;transport=tcp"
  admin.listen = "127.0.0.1:9360"
}
CONF
"$here/clearip-proxy" emulator --config emulator.conf > emulator.log 2>&1 &
pids+=($!)
JAVA_OPTS="-Xms512m -Xmx1g -XX:+UseG1GC" "$here/clearip-proxy" run --config proxy.conf > proxy.log 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:9360/ready >/dev/null 2>&1 && break; sleep 0.5; done
curl -sf http://127.0.0.1:9360/ready >/dev/null || { echo "proxy not ready; see $WORK" >&2; exit 1; }
# warm-up: 20 s at 500 calls/s
sipp -sf "$here/loadtest/sipp/uac_603.xml" -s 6195550100 -r 500 -m 10000 -i 127.0.0.1 -p 5390 \
  -t u1 -nostdin -recv_timeout 8000 127.0.0.1:5360 > warmup.out 2>&1 || true
python3 - "$SECS" "$CONNS" > churn.log 2>&1 <<'PY' &
import socket, sys, time
secs, conns = int(sys.argv[1]), int(sys.argv[2])
opt = ("OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKc{}\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:c@127.0.0.1>;tag=c\r\nTo: <sip:ping@127.0.0.1>\r\n"
       "Call-ID: churn-{}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
end, rounds, n = time.time() + secs, 0, 0
while time.time() < end:
    t0 = time.time()
    socks = []
    for i in range(conns):
        try:
            s = socket.create_connection(("127.0.0.1", 5360), timeout=2)
            if i % 2 == 0:
                s.sendall(opt.format(n, n).encode()); s.recv(4096)
            socks.append(s); n += 1
        except OSError:
            pass
    for s in socks: s.close()
    rounds += 1
    time.sleep(max(0, 3 - (time.time() - t0)))
print("rounds", rounds, "connections", n)
PY
churn=$!
pids+=($churn)
sipp -sf "$here/loadtest/sipp/uac_603.xml" -s 6195550100 -r "$RATE" -m $(( RATE * SECS )) \
  -i 127.0.0.1 -p 5392 -t u1 -nostdin -recv_timeout 8000 127.0.0.1:5360 > calls.out 2>&1 || true
wait "$churn" || true
lost=$(grep -E "Failed call" calls.out | tail -1 | awk -F'|' '{print $3}' | tr -d ' ')
echo "calls: $(( RATE * SECS )) at $RATE/s, lost $lost; churn: $(cat churn.log)"
grep -E "Overload over|Overloaded briefly" proxy.log | tail -3 || true
echo "files: $WORK"
