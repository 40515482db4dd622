#!/usr/bin/env bash
# churn.sh - does connection churn cost calls? A switch places 100 calls/s over UDP (uac_603:
# only ClearIP's 603 counts) while another source churns connections to the proxy for SECONDS:
#   PEERS=0 (default): CONNS connections opened every 3 s and closed again (half of them after an
#                      OPTIONS and its answer, half silent);
#   PEERS=N:           N peers that each connect, (handshake,) send an OPTIONS, read its answer
#                      and close, in a loop as fast as they can (a peer whose renegotiation is
#                      refused reconnects like this).
# TRANSPORT=tcp (default) or tls (a self-signed certificate made with openssl for the run).
# Loopback only; stops only the processes it started.
#
# usage: loadtest/rig/churn.sh   (after mvn -B -q package -DskipTests)
# Environment: SECONDS_LOAD (default 60), CONNS (default 256), PEERS (default 0), RATE (default
# 100), TRANSPORT (tcp|tls), WORK
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
SECS=${SECONDS_LOAD:-60}
CONNS=${CONNS:-256}
RATE=${RATE:-100}
PEERS=${PEERS:-0}
TRANSPORT=${TRANSPORT:-tcp}
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
tls_listen=""
if [ "$TRANSPORT" = tls ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=127.0.0.1 -keyout key.pem -out cert.pem > openssl.log 2>&1
  tls_listen='"127.0.0.1:5361"'
fi
cat > proxy.conf <<CONF
clearip-proxy {
  listen { udp = ["127.0.0.1:5360"], tcp = ["127.0.0.1:5360"], tls = [$tls_listen] }
  listen.tls-certificate = "$WORK/cert.pem"
  listen.tls-private-key = "$WORK/key.pem"
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
python3 - "$SECS" "$CONNS" "$PEERS" "$TRANSPORT" > churn.log 2>&1 <<'PY' &
import socket, ssl, sys, threading, time
secs, conns, peers, transport = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
port = 5361 if transport == "tls" else 5360
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
opt = ("OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bKc{}\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:c@127.0.0.1>;tag=c\r\nTo: <sip:ping@127.0.0.1>\r\n"
       "Call-ID: churn-{}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
end = time.time() + secs
count = [0, 0]  # connections, failures
lock = threading.Lock()
def connect(n, ask):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        if transport == "tls":
            s = tls.wrap_socket(s)
        if ask:
            s.sendall(opt.format(n, n).encode()); s.recv(4096)
        with lock: count[0] += 1
        return s
    except OSError:
        with lock: count[1] += 1
        return None
if peers == 0:
    rounds, n = 0, 0
    while time.time() < end:
        t0 = time.time()
        socks = []
        for i in range(conns):
            s = connect(n, i % 2 == 0); n += 1
            if s: socks.append(s)
        for s in socks: s.close()
        rounds += 1
        time.sleep(max(0, 3 - (time.time() - t0)))
    print("rounds", rounds, "connections", count[0], "failed", count[1])
else:
    def peer(p):
        n = p * 10000000
        while time.time() < end:
            s = connect(n, True); n += 1
            if s: s.close()
    threads = [threading.Thread(target=peer, args=(p,)) for p in range(peers)]
    for t in threads: t.start()
    for t in threads: t.join()
    print("peers", peers, "connections", count[0], "(%d/s)" % (count[0] // secs), "failed", count[1])
PY
churn=$!
pids+=($churn)
sipp -sf "$here/loadtest/sipp/uac_603.xml" -s 6195550100 -r "$RATE" -m $(( RATE * SECS )) \
  -i 127.0.0.1 -p 5392 -t u1 -nostdin -recv_timeout 8000 127.0.0.1:5360 > calls.out 2>&1 || true
wait "$churn" || true
lost=$(grep -E "Failed call" calls.out | tail -1 | awk -F'|' '{print $3}' | tr -d ' ')
echo "calls: $(( RATE * SECS )) at $RATE/s, lost $lost; $TRANSPORT churn: $(cat churn.log)"
grep -E "Overload over|Overloaded briefly" proxy.log | tail -3 || true
echo "files: $WORK"
