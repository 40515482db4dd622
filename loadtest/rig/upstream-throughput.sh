#!/usr/bin/env bash
# upstream-throughput.sh [SECONDS] [WINDOW] - ONE upstream TLS connection (UpstreamLink) to the
# ClearIP emulator in a separate JVM (TLS 127.0.0.1:15071, every INVITE answered 503), so each
# side's CPU is known. Makes a throw-away CA and certificate (openssl) in a temporary directory,
# runs clearip.proxy.bench.UpstreamThroughput for 5 s warm-up + SECONDS (default 20) with WINDOW
# requests in flight (default 1000), prints both JVMs' CPU, stops the emulator by its PID.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
SECS=${1:-20}; WIN=${2:-1000}
(( SECS <= 120 )) || { echo "at most 120 s" >&2; exit 2; }
OUT=${OUT:-$(mktemp -d)}; mkdir -p "$OUT"; cd "$OUT" || exit 2
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 -subj "/CN=bench CA" -keyout ca.key -out ca.crt \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n' > server.ext
openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -sha256 -extfile server.ext -out server.crt 2>/dev/null
cat > emulator.conf <<CONF
clearip-emulator {
  listen { udp = [], tcp = [], tls = ["127.0.0.1:15071"] }
  tls { certificate = "$OUT/server.crt", private-key = "$OUT/server.key" }
  rules = []
  default-action = no-action
  no-action-status = 503
}
CONF
JO="${JAVA_OPTS:--Xms512m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20}"
# shellcheck disable=SC2086
java $JO -jar "$root/loadtest/target/clearip-demo.jar" emulator --config emulator.conf >emulator.log 2>&1 &
EMU=$!
trap 'kill -TERM $EMU 2>/dev/null' EXIT
for _ in $(seq 1 300); do ss -Hlnt "sport = :15071" | grep -q . && break; sleep 0.1; done
ss -Hlnt "sport = :15071" | grep -q . || { echo "emulator did not start" >&2; cat emulator.log >&2; exit 4; }
ticks() { local f; f=$(cat "/proc/$1/stat"); f="${f##*) }"; set -- $f; echo $(( ${12} + ${13} )); }
HZ=$(getconf CLK_TCK)
# shellcheck disable=SC2086
java $JO -cp "$root/loadtest/target/clearip-demo.jar" clearip.proxy.bench.UpstreamThroughput \
  --connect 127.0.0.1:15071 --ca ca.crt --seconds "$SECS" --window "$WIN" > bench.out 2>&1 &
B=$!
sleep 5.5   # the benchmark's warm-up (5 s) plus its start
E0=$(ticks "$EMU"); W0=$(date +%s.%N)
wait "$B"; RC=$?
E1=$(ticks "$EMU"); W1=$(date +%s.%N)
grep -v -E '^SLF4J|INFO' bench.out
awk -v t="$((E1 - E0))" -v hz="$HZ" -v w0="$W0" -v w1="$W1" \
  'BEGIN{ printf "  CPU of the emulator JVM %.0f %% of one core (over the measured part, approx.)\n", 100*t/hz/(w1-w0) }'
echo "files: $OUT"
exit $RC
