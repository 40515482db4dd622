#!/usr/bin/env bash
# emulator-throughput.sh SIPP_PROCS RATE_EACH SECONDS [udp|tcp]
# Throughput of the bundled ClearIP emulator alone: starts it (emulator-503.conf: every INVITE
# answered 503, udp+tcp 127.0.0.1:15070), runs SIPP_PROCS SIPp clients (loadtest/sipp/uac_503.xml)
# at RATE_EACH calls/s each for SECONDS (bounded in calls and time), then prints the calls
# answered, the achieved rate and the emulator's CPU (utime+stime from /proc) over the load, and
# stops the emulator by its PID. A warm-up of WARMUP_S seconds (default 10) at the same rate
# comes first and is not counted. Output files go to $OUT (default: a fresh temporary directory).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
N=${1:?sipp processes}; RATE=${2:?rate per sipp}; DUR=${3:?seconds}; TR=${4:-udp}
(( N >= 1 && N <= 8 && DUR <= 120 )) || { echo "1..8 SIPp processes, at most 120 s" >&2; exit 2; }
case "$TR" in udp) T=u1 ;; tcp) T=t1 ;; *) echo "udp or tcp" >&2; exit 2 ;; esac
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done; }
trap cleanup EXIT

JAVA_OPTS="${JAVA_OPTS:--Xms512m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20}" \
  "$root/clearip-proxy" emulator --config "$here/emulator-503.conf" >"$OUT/emulator.log" 2>&1 &
EMU=$!; PIDS+=("$EMU")
for _ in $(seq 1 300); do ss -Hlnu "sport = :15070" | grep -q . && break; sleep 0.1; done
ss -Hlnu "sport = :15070" | grep -q . || { echo "emulator did not start" >&2; cat "$OUT/emulator.log" >&2; exit 4; }
sleep 1
# warm-up (JIT) at the same rate, not measured: WARMUP_S seconds (default 10)
WARMUP_S=${WARMUP_S:-10}
if (( WARMUP_S > 0 )); then
  WP=()
  for i in $(seq 1 "$N"); do
    ( cd "$OUT" && exec timeout -s TERM $(( WARMUP_S * 2 + 30 )) sipp 127.0.0.1:15070 -sf "$root/loadtest/sipp/uac_503.xml" \
        -s 5125550100 -i 127.0.0.1 -p $(( 16000 + i )) -t "$T" -r "$RATE" -m $(( RATE * WARMUP_S )) \
        -l $(( RATE * 2 )) -timeout "$(( WARMUP_S * 2 + 20 ))s" -nostdin ) >"$OUT/warmup$i.out" 2>&1 &
    WP+=($!); PIDS+=($!)
  done
  for p in "${WP[@]}"; do wait "$p"; done
  sleep 1
fi
ticks() { local f; f=$(cat "/proc/$1/stat"); f="${f##*) }"; set -- $f; echo $(( ${12} + ${13} )); }
HZ=$(getconf CLK_TCK)

sysb() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
read -r B0 A0 < <(sysb)
C0=$(ticks "$EMU"); W0=$(date +%s.%N)
SP=()
for i in $(seq 1 "$N"); do
  ( cd "$OUT" && exec timeout -s TERM $(( DUR * 2 + 30 )) sipp 127.0.0.1:15070 -sf "$root/loadtest/sipp/uac_503.xml" \
      -s 5125550100 -i 127.0.0.1 -p $(( 16000 + i )) -t "$T" -r "$RATE" -m $(( RATE * DUR )) \
      -l $(( RATE * 2 )) -recv_timeout 8000 -timeout "$(( DUR * 2 + 20 ))s" -nostdin \
      -trace_stat -stf "uac$i.csv" -fd 1 -trace_err -error_file "uac$i.err" -max_log_size 1000000 ) \
      >"$OUT/uac$i.out" 2>&1 &
  SP+=($!); PIDS+=($!)
done
for p in "${SP[@]}"; do wait "$p"; done
C1=$(ticks "$EMU"); W1=$(date +%s.%N)
read -r B1 A1 < <(sysb)

col() { awk -F';' -v c="$2" 'NR==1{for(i=1;i<=NF;i++) if($i==c) k=i; next} {v=$k} END{print v+0}' "$1"; }
OK=0; FAIL=0; CREATED=0
for i in $(seq 1 "$N"); do
  OK=$(( OK + $(col "$OUT/uac$i.csv" 'SuccessfulCall(C)') ))
  FAIL=$(( FAIL + $(col "$OUT/uac$i.csv" 'FailedCall(C)') ))
  CREATED=$(( CREATED + $(col "$OUT/uac$i.csv" 'TotalCallCreated') ))
done
awk -v ok="$OK" -v f="$FAIL" -v c="$CREATED" -v w0="$W0" -v w1="$W1" -v t="$((C1 - C0))" -v hz="$HZ" \
    -v n="$N" -v r="$RATE" -v tr="$TR" 'BEGIN{
  w=w1-w0; cps=ok/w; cpu=100*t/hz/w;
  printf "emulator %s: %d SIPp x %d cps target; created %d, answered %d, failed %d in %.1f s wall\n", tr, n, r, c, ok, f, w;
  printf "achieved %.0f calls/s; emulator CPU %.0f%% of one core => %.0f INVITE/s per core (%.1f us CPU per INVITE+ACK)\n", cps, cpu, (cpu>0? cps/(cpu/100):0), (cps>0? 1e6*cpu/100/cps:0) }'
awk -v b0="$B0" -v b1="$B1" -v a0="$A0" -v a1="$A1" -v n="$(nproc)" -v t="$((C1 - C0))" -v hz="$HZ" -v w0="$W0" -v w1="$W1" \
  'BEGIN{ s=100*n*(b1-b0)/(a1-a0); printf "system busy %.0f%% of %d%% (emulator %.0f%%, the rest is SIPp and anything else on the machine)\n", s, n*100, 100*t/hz/(w1-w0) }'
echo "files: $OUT"
