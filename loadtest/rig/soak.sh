#!/usr/bin/env bash
# soak.sh - the proxy (tls-proxy mode, ClearIP emulator over TCP) under a steady mixed load with
# faults mixed in, for a long time; samples heap, RSS, threads, open files and calls in flight
# every minute, so a leak shows as a slope. Loopback only; stops only the processes it started.
#
# usage: loadtest/rig/soak.sh   (after mvn -B -q package -DskipTests)
# Environment: MINUTES (default 60), RATE (calls/s of the main mix, default 1500), WORK
#
# The load: uac_302 (ClearIP routes; 40 % of RATE), uac_603 (blocks; 20 %), uac_503 (no action;
# 20 %), uac_cancel (CANCEL after 100 Trying; 2 %), a switch losing 10 % of its packets both
# ways (uac_503 with SIPp -lost 10; 5 %), ClearIP that never answers (8...: 1 %, the upstream
# timeout's 503) and that drops the connection (9...: one call a minute, so the upstream
# reconnects; the calls in flight on it get 503 at once, which the 302/603 scenarios count as
# failed), malformed datagrams (20/s) and TCP connections opened and closed (10/s).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
MINUTES=${MINUTES:-60}
RATE=${RATE:-1500}
WORK=${WORK:-$(mktemp -d "${TMPDIR:-/tmp}/clearip-soak.XXXX")}
SC="$here/loadtest/sipp"
secs=$(( MINUTES * 60 ))
mkdir -p "$WORK"
cd "$WORK"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

cat > emulator.conf <<CONF
clearip-emulator {
  listen { udp = [], tcp = ["127.0.0.1:15071"], tls = [] }
  rules = [
    { name = routes, called-prefix = "1", action = redirect, identity = on,
      destinations = ["sip:\${user}@127.0.0.1:5998", "sip:\${user}@127.0.0.1:5999"] }
    { name = slow, called-prefix = "7", action = no-action, delay = 1s }
    { name = blocks, called-prefix = "6", action = block }
    { name = silent, called-prefix = "8", action = no-action, no-answer = on }
    { name = drops, called-prefix = "9", action = no-action, drop-connection = on }
  ]
  default-action = no-action
  no-action-status = 503
}
CONF
cat > proxy.conf <<CONF
clearip-proxy {
  listen { udp = ["127.0.0.1:5160"], tcp = ["127.0.0.1:5160"], tls = [] }
  upstream.uri = "sip:127.0.0.1:15071;transport=tcp"
  admin.listen = "127.0.0.1:9160"
}
CONF
"$here/clearip-proxy" emulator --config emulator.conf > emulator.log 2>&1 &
pids+=($!)
JAVA_OPTS="-Xms512m -Xmx1g -XX:+UseG1GC" "$here/clearip-proxy" run --config proxy.conf > proxy.log 2>&1 &
proxy=$!
pids+=($proxy)
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:9160/ready >/dev/null 2>&1 && break; sleep 0.5; done
curl -sf http://127.0.0.1:9160/ready >/dev/null || { echo "proxy not ready; see $WORK" >&2; exit 1; }
jpid=$(pgrep -P "$proxy" java || echo "$proxy")

sipps=()
sipp_run() { # name scenario number rate [extra...]
  local name=$1 sc=$2 num=$3 rate=$4; shift 4
  sipp -sf "$SC/$sc.xml" -s "$num" -r "$rate" -m $(( rate * secs )) -i 127.0.0.1 -t u1 \
    -nostdin -buff_size 4194304 -recv_timeout 8000 -timeout "$(( secs + 60 ))s" "$@" \
    127.0.0.1:5160 > "$name.out" 2>&1 &
  pids+=($!)
  sipps+=($!)
}
pct() { echo $(( RATE * $1 / 100 > 0 ? RATE * $1 / 100 : 1 )); }
sipp_run routes uac_302 14016401234 "$(pct 40)" -p 5190
sipp_run blocks uac_603 6195550100 "$(pct 20)" -p 5192
sipp_run noaction uac_503 5305550100 "$(pct 20)" -p 5194
sipp_run cancel uac_cancel 7305550100 "$(pct 2)" -p 5196
sipp_run lossy uac_503 5305550101 "$(pct 5)" -p 5198 -lost 10
sipp_run silent uac_503 8305550100 "$(pct 1)" -p 5200
# ClearIP drops the connection: one call a minute
sipp -sf "$SC/uac_503.xml" -s 9305550100 -r 1 -rp 60000 -m $(( secs / 60 )) -i 127.0.0.1 \
  -p 5202 -t u1 -nostdin -recv_timeout 8000 -timeout "$(( secs + 60 ))s" 127.0.0.1:5160 \
  > drops.out 2>&1 &
pids+=($!)
sipps+=($!)
python3 - "$secs" > faults.log 2>&1 <<'PY' &
import socket, sys, time
end = time.time() + int(sys.argv[1])
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n = 0
while time.time() < end:
    for i in range(2):  # 20 malformed datagrams/s
        udp.sendto(b"INVITE sip:x SIP/2.0\r\nContent-Length: many\r\n\r\n" + bytes([n % 256]),
                   ("127.0.0.1", 5160))
    try:  # 10 TCP connections/s, opened and closed at once
        s = socket.create_connection(("127.0.0.1", 5160), timeout=2)
        s.close()
    except OSError:
        pass
    n += 1
    time.sleep(0.1)
print("fault rounds", n)
PY
pids+=($!)

echo "minute,heap_used_mb,old_gen_mb,live_after_gc_mb,rss_mb,threads,fds,calls_in_flight,connections_open" > samples.csv
for m in $(seq 1 "$MINUTES"); do
  sleep 60
  metrics=$(curl -sf --max-time 5 http://127.0.0.1:9160/metrics || true)
  heap=$(echo "$metrics" | awk '/^jvm_memory_used_bytes\{area="heap"/ {s+=$NF} END {printf "%.0f", s/1048576}')
  old=$(echo "$metrics" | awk '/^jvm_memory_used_bytes\{area="heap",id="G1 Old Gen"/ {printf "%.0f", $NF/1048576}')
  live=$(echo "$metrics" | awk '/^jvm_gc_live_data_size_bytes/ {printf "%.0f", $NF/1048576}')
  inflight=$(echo "$metrics" | awk '/^clearip_calls_in_flight / {printf "%.0f", $NF}')
  conns=$(echo "$metrics" | awk '/^clearip_connections_open/ {s+=$NF} END {print s+0}')
  rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/"$jpid"/status)
  threads=$(awk '/Threads/ {print $2}' /proc/"$jpid"/status)
  fds=$(ls /proc/"$jpid"/fd | wc -l)
  echo "$m,$heap,$old,$live,$rss,$threads,$fds,$inflight,$conns" >> samples.csv
done
for p in "${sipps[@]}"; do wait "$p" || true; done # each ends after its calls
# what stays after a full collection, with no load: the heap a leak would leave behind
if command -v jcmd >/dev/null 2>&1; then
  jcmd "$jpid" GC.run >/dev/null 2>&1 || true
  sleep 2
  metrics=$(curl -sf --max-time 5 http://127.0.0.1:9160/metrics || true)
  echo "after the load and a full GC: heap used $(echo "$metrics" | awk '/^jvm_memory_used_bytes\{area="heap"/ {s+=$NF} END {printf "%.0f", s/1048576}') MB, calls in flight $(echo "$metrics" | awk '/^clearip_calls_in_flight / {printf "%.0f", $NF}'), open files $(ls /proc/"$jpid"/fd | wc -l)" | tee after-gc.txt
fi
echo "== samples"; cat samples.csv
for f in routes blocks noaction cancel lossy silent drops; do
  printf "%-9s " "$f"; grep -E "Successful call|Failed call" "$f.out" | tail -2 | awk -F'|' '{printf "%s=%s ", $1, $3}' | tr -s ' '
  printf " unanswered(timeouts)=%s\n" "$(grep -c "Aborting call on timeout\|timed out" "$f.out" || true)"
done
echo "files: $WORK"
