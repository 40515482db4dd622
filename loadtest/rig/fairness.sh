#!/usr/bin/env bash
# fairness.sh - one switch floods, another places ordinary calls: how many of the ordinary
# switch's calls does the flood cost it? Loopback only; stops only the processes it started.
#
# The proxy runs its demo (tls-proxy mode with the bundled ClearIP emulator in the same JVM)
# pinned to CPU 1, so the flood is several times what it can carry; both switches are SIPp on
# CPU 0: the heavy one from 127.0.0.1 (uac_overload: ClearIP's 603 and the proxy's own 503 both
# count as answered), the light one from 127.0.0.2 (uac_603: only ClearIP's 603 counts; a 503
# or no answer is a lost call). A 20 s warm-up at 2,000 calls/s comes first.
#
# usage: loadtest/rig/fairness.sh   (after mvn -B -q package -DskipTests)
# Environment: HEAVY (INVITE/s, default 20000), SECONDS_HEAVY (default 10), LIGHT (calls/s,
#   default 100), JAR (default loadtest/target/clearip-demo.jar), WORK (default a new temp folder)
# Needs: sipp, taskset (util-linux), two CPUs.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
JAR=${JAR:-$here/loadtest/target/clearip-demo.jar}
HEAVY=${HEAVY:-20000}
SECS=${SECONDS_HEAVY:-10}
LIGHT=${LIGHT:-100}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/clearip-fairness.XXXX")}
SC="$here/loadtest/sipp"
mkdir -p "$WORK"
cd "$WORK"
taskset -c 1 java -Xms512m -Xmx1g -XX:+UseG1GC -jar "$JAR" demo > proxy.log 2>&1 &
proxy=$!
trap 'kill "$proxy" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 120); do grep -q "Press Ctrl-C" proxy.log && break; sleep 0.5; done
grep -q "Press Ctrl-C" proxy.log || { echo "proxy did not start; see $WORK/proxy.log" >&2; exit 1; }
taskset -c 0 sipp -sf "$SC/uac_overload.xml" -s 6305550100 -r 2000 -m 40000 -i 127.0.0.1 \
  -p 5090 -t u1 -nostdin -buff_size 4194304 -recv_timeout 8000 127.0.0.1:5060 > warmup.out 2>&1 || true
sleep 2
light_calls=$(( LIGHT * (SECS + 2) ))
taskset -c 0 sipp -sf "$SC/uac_603.xml" -s 6305550100 -r "$LIGHT" -m "$light_calls" \
  -i 127.0.0.2 -p 5094 -t u1 -nostdin -recv_timeout 8000 127.0.0.1:5060 > light.out 2>&1 &
light=$!
taskset -c 0 sipp -sf "$SC/uac_overload.xml" -s 6305550100 -r "$HEAVY" -m $(( HEAVY * SECS )) \
  -i 127.0.0.1 -p 5092 -t u1 -nostdin -buff_size 4194304 -recv_timeout 8000 \
  127.0.0.1:5060 > heavy.out 2>&1 &
heavy=$!
wait "$light" || true
wait "$heavy" || true
count() { grep -E "$2" "$1" | tail -1 | awk -F'|' '{print $3}' | tr -d ' '; }
lost=$(count light.out "Failed call")
echo "light switch: $light_calls calls at $LIGHT/s, lost $lost ($(awk -v l="$lost" -v n="$light_calls" 'BEGIN{printf "%.2f", 100*l/n}') %)"
echo "heavy switch: $(count heavy.out "Outgoing calls created") INVITEs, $(grep -E 'Call Rate' heavy.out | tail -1 | awk -F'|' '{print $3}' | tr -s ' ') offered"
grep -E "Overload over" proxy.log | tail -1 || true
echo "files: $WORK"
