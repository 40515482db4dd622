#!/usr/bin/env bash
# cluster-side-by-side.sh - what being one node of a fleet costs a call, measured on two proxies
# running AT THE SAME TIME: S with cluster.enabled = off, and A, node of a 3-node fleet (B and C
# idle). Both get the same tls503 load from their own SIPp in the same seconds, so a slower or
# faster minute of a shared machine hits both alike; each phase gives CPU per call and p99 of
# each, and their ratio (A / S). Goal: within 5 %.
#
# usage: cluster-side-by-side.sh [RATE [SECONDS [PHASES]]]     (default 1500 30 6)
#   WARMUP_S    seconds of RATE on both before the measured phases (default 600: the JIT goes on
#               compiling the fleet's code for minutes, so a node that has run for a while is
#               measured, not a fresh one)
#   PROXY_CPUS, LOAD_CPUS   taskset lists: S and A share PROXY_CPUS (default 1); SIPp, the
#               emulator, B and C run on LOAD_CPUS (default 0), as separate VMs would
#   RIG_DIR     the comparison rig (default ../shared/rig from the repository root): its ClearIP
#               emulator (Kamailio, fixed 503), certificates and uac_screen.xml
#   RIG_WORK    writable folder (default $TMPDIR/clearip-rig)
#   PROXY_JAR   the shaded jar (default this checkout's ops/target/clearip-proxy.jar)
#   JAVA_OPTS   the four proxies' JVM options (default the service's: 512 MB-1 GB heap, G1)
# Everything binds to 127.0.0.1; every process started here is stopped by its PID at the end.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
jar="${PROXY_JAR:-$repo/ops/target/clearip-proxy.jar}"
[ -f "$jar" ] || { echo "$jar not found; build first: mvn -B -q package -DskipTests" >&2; exit 2; }
RIG_DIR="$(cd "${RIG_DIR:-$repo/../shared/rig}" && pwd)" || { echo "RIG_DIR not found" >&2; exit 2; }
RATE="${1:-1500}"; SECS="${2:-30}"; NPH="${3:-6}"; WARMUP_S="${WARMUP_S:-600}"
[[ "$RATE" =~ ^[0-9]+$ ]] && (( RATE >= 1 && RATE <= 5000 )) || { echo "RATE must be 1..5000" >&2; exit 2; }
[[ "$SECS" =~ ^[0-9]+$ ]] && (( SECS >= 5 && SECS <= 300 )) || { echo "SECONDS must be 5..300" >&2; exit 2; }
[[ "$NPH" =~ ^[0-9]+$ ]] && (( NPH >= 1 && NPH <= 30 )) || { echo "PHASES must be 1..30" >&2; exit 2; }
[[ "$WARMUP_S" =~ ^[0-9]+$ ]] && (( WARMUP_S <= 1800 )) || { echo "WARMUP_S must be 0..1800" >&2; exit 2; }
for b in sipp kamailio java curl ss python3 taskset; do
  command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 2; }
done
PROXY_CPUS="${PROXY_CPUS:-1}"; LOAD_CPUS="${LOAD_CPUS:-0}"
# shellcheck source=fleet-lib.sh
. "$here/fleet-lib.sh"
OUT="$RIG_WORK/cluster-side-by-side-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$OUT"
fleet_certs || exit 2
(cd "$RIG_DIR" && ./certs.sh >/dev/null) || { echo "the rig's certs.sh failed" >&2; exit 2; }
RIGCERTS="$RIG_WORK/certs"
SEEDS='["127.0.0.1:25522", "127.0.0.1:25523", "127.0.0.1:25521"]'
ulimit -n 20000 2>/dev/null || true
wait_listen() { local i; for (( i=0; i<$3*10; i++ )); do ss -Hln"$1" "sport = :$2" | grep -q . && return 0; sleep 0.1; done; return 1; }
for pp in t:5061 u:5360 u:5460 u:5160 u:5260 u:5390 u:5490 t:9360 t:9460 t:25521 t:25522 t:25523; do
  ss -Hln"${pp%%:*}" "sport = :${pp##*:}" | grep -q . && { echo "port ${pp##*:} busy" >&2; exit 3; }
done
TOTAL=$(( WARMUP_S + NPH * (SECS + 40) + 300 ))

# the ClearIP emulator: the rig's Kamailio answering 503 over TLS on 127.0.0.1:5061
mkdir -p "$OUT/kemu"
(cd "$RIG_DIR" && exec taskset -c "$LOAD_CPUS" timeout -s TERM "$TOTAL" kamailio -f kamailio/emulator.cfg \
  -DD -E -m 256 -M 8 -Y "$OUT/kemu" -P "$OUT/kemu/kamailio.pid" -A "TLS_CERT=\"$RIGCERTS/server.crt\"" \
  -A "TLS_KEY=\"$RIGCERTS/server.key\"" -A "TLS_CA=\"$RIGCERTS/ca.crt\"") >"$OUT/emulator.log" 2>&1 &
PIDS+=($!)
wait_listen t 5061 10 || { echo "emulator did not start, see $OUT/emulator.log" >&2; exit 4; }

# S and A: the same proxy configuration (as the rig's proxy under test), A with a cluster block
proxy_conf() {   # SIP port, admin port
  cat <<CONF
clearip-proxy {
  mode = tls-proxy
  listen { udp = ["127.0.0.1:$1"], tcp = [], tls = [] }
  admin.listen = "127.0.0.1:$2"
  access.allow = ["127.0.0.0/8"]
  upstream { uri = "sip:127.0.0.1:5061;transport=tls", timeout = 2s, connections = 1,
    tls.ca-file = "$RIGCERTS/ca.crt" }
}
CONF
}
proxy_conf 5360 9360 >"$OUT/s.conf"
{ proxy_conf 5460 9460; cluster_conf a 25521; } >"$OUT/a.conf"
for n in b:25522:5160 c:25523:5260; do
  IFS=: read -r name cport sport <<<"$n"
  { idle_proxy_conf "$sport" "sip:127.0.0.1:5061;transport=tls"
    echo "clearip-proxy.upstream.tls.ca-file = \"$RIGCERTS/ca.crt\""
    cluster_conf "$name" "$cport"; } >"$OUT/$name.conf"
done
export CLEARIP_CALL_LOG_LEVEL=WARN
read -ra JOPTS <<<"${JAVA_OPTS:--Xms512m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20}"
scrape() { curl -s --max-time 2 "http://127.0.0.1:$1/metrics" 2>/dev/null; }
start_node() {   # name, CPUs
  taskset -c "$2" java "${JOPTS[@]}" -jar "$jar" run --config "$OUT/$1.conf" >"$OUT/$1.log" 2>&1 &
  PIDS+=($!); eval "PID_$1=$!"
}
start_node b "$LOAD_CPUS"; start_node c "$LOAD_CPUS"; start_node s "$PROXY_CPUS"; start_node a "$PROXY_CPUS"
for admin in 9360 9460; do
  for (( i=0; i<1200; i++ )); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$admin/ready")" == 200 ]] && break
    sleep 0.1
  done
  [[ $i -lt 1200 ]] || { echo "proxy on admin port $admin not ready, see $OUT" >&2; exit 4; }
done
# measured only as a member of a fleet of three, all up
for (( i=0; i<1200; i++ )); do
  [[ "$(scrape 9460 | awk '/^clearip_cluster_members\{status="up"\}/ {print $NF + 0}')" == 3 ]] && break
  sleep 0.1
done
[[ $i -lt 1200 ]] || { echo "the fleet did not form within 120 s, see $OUT/a.log" >&2; exit 4; }
echo "S pid $PID_s, A pid $PID_a (fleet with B $PID_b, C $PID_c); results in $OUT"

HZ=$(getconf CLK_TCK)
ticks() { local f; f=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }; f="${f##*) }"; set -- $f; echo $(( ${12} + ${13} )); }
# the same load on both, in the same seconds: one SIPp each (uac_screen.xml, the tls503 number)
load() {   # folder, seconds
  local pids=() sp
  for sp in 5360:5390 5460:5490; do
    mkdir -p "$1/${sp%%:*}"   # each SIPp in a folder of its own: its files are named by scenario
    (cd "$1/${sp%%:*}" && exec taskset -c "$LOAD_CPUS" timeout -s TERM $(( $2 + 60 )) sipp "127.0.0.1:${sp%%:*}" \
      -sf "$RIG_DIR/scenarios/uac_screen.xml" -s 5125550100 -i 127.0.0.1 -p "${sp##*:}" -t u1 \
      -r "$RATE" -rp 1000 -m $(( RATE * $2 )) -l $(( RATE * 4 )) -recv_timeout 8000 -timeout "$(( $2 + 50 ))s" \
      -nostdin -trace_stat -stf stat.csv -fd 1 -buff_size 4194304 -trace_rtt -rtt_freq 1 \
      -trace_err -error_file err.log -max_log_size 2000000) >"$1/${sp%%:*}/sipp.out" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
}
fleet_threads() { awk -F'[{}" ]+' '/^clearip_threads_cpu_seconds_total/ && $3 == "other-java" {print $NF}'; }

if (( WARMUP_S > 0 )); then
  echo "warming both up: $RATE calls/s each for $WARMUP_S s"
  load "$OUT/warmup" "$WARMUP_S"
fi
printf 'phase\tproxy\tcalls_ok\tfailed\tus_per_call\tp99_ms\tother_java_pct\n' >"$OUT/results.tsv"
for ph in $(seq 1 "$NPH"); do
  PD="$OUT/phase$ph"; mkdir -p "$PD"
  scrape 9360 >"$PD/s0.prom"; scrape 9460 >"$PD/a0.prom"
  s0=$(ticks "$PID_s"); a0=$(ticks "$PID_a"); fs0=$(fleet_threads <"$PD/s0.prom"); fa0=$(fleet_threads <"$PD/a0.prom"); w0=$(date +%s.%N)
  load "$PD" "$SECS"
  s1=$(ticks "$PID_s"); a1=$(ticks "$PID_a"); w1=$(date +%s.%N)
  scrape 9360 >"$PD/s1.prom"; scrape 9460 >"$PD/a1.prom"
  fs1=$(fleet_threads <"$PD/s1.prom"); fa1=$(fleet_threads <"$PD/a1.prom"); echo "$w0 $w1" >"$PD/wall"
  python3 - "$PD" "$ph" "$HZ" "$w0" "$w1" "S:5360:$s0:$s1:${fs0:-0}:${fs1:-0}" "A:5460:$a0:$a1:${fa0:-0}:${fa1:-0}" \
    >>"$OUT/results.tsv" <<'PY'
import sys, os
d, ph, hz, w0, w1 = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
for spec in sys.argv[6:]:
    name, port, t0, t1, f0, f1 = spec.split(':')
    last = hdr = None
    pd = os.path.join(d, port)
    for line in open(os.path.join(pd, 'stat.csv')):
        f = line.rstrip('\n').split(';')
        if hdr is None: hdr = f
        else: last = dict(zip(hdr, f))
    ok = int(last.get('SuccessfulCall(C)', 0) or 0) if last else 0
    failed = int(last.get('FailedCall(C)', 0) or 0) if last else 0
    rtt = []
    for fn in os.listdir(pd):
        if fn.endswith('_rtt.csv'):
            for line in open(os.path.join(pd, fn)):
                x = line.split(';')
                if len(x) > 2 and x[2].strip() == '1':
                    try: rtt.append(float(x[1]))
                    except ValueError: pass
    rtt.sort()
    p99 = '%.2f' % rtt[min(len(rtt) - 1, int(len(rtt) * 0.99))] if rtt else '?'
    cpu_s = (int(t1) - int(t0)) / hz
    upc = 1e6 * cpu_s / ok if ok else 0
    fleet = 100 * (float(f1) - float(f0)) / (w1 - w0)
    print('\t'.join([ph, name, str(ok), str(failed), '%.1f' % upc, p99, '%.2f' % fleet]))
PY
  tail -n 2 "$OUT/results.tsv" | awk -F'\t' '{printf "phase %s %s: %s calls, %s failed, %s us/call, p99 %s ms, other-java threads (the fleet\x27s, on A) %s %% of a core\n", $1, $2, $3, $4, $5, $6, $7}'
done
python3 - "$OUT/results.tsv" <<'PY' | tee "$OUT/summary.txt"
import sys, statistics as st
rows = [l.rstrip('\n').split('\t') for l in open(sys.argv[1])][1:]
by = {}
for ph, name, ok, failed, upc, p99, fleet in rows:
    by.setdefault(ph, {})[name] = (float(upc), p99)
ratios = [v['A'][0] / v['S'][0] for v in by.values() if 'A' in v and 'S' in v and v['S'][0] > 0]
s = [v['S'][0] for v in by.values() if 'S' in v]; a = [v['A'][0] for v in by.values() if 'A' in v]
if ratios:
    print('CPU per call: S (alone) %.1f-%.1f us, A (fleet node) %.1f-%.1f us' % (min(s), max(s), min(a), max(a)))
    print('ratio A/S per phase: %s; median %.3f, mean of A / mean of S %.3f'
          % (', '.join('%.3f' % r for r in ratios), st.median(ratios), st.mean(a) / st.mean(s)))
PY
# where the difference goes: each thread group's CPU (clearip_threads_cpu_seconds_total), % of a
# core, mean over the measured phases, S beside A
python3 - "$OUT" "$NPH" <<'PY' | tee -a "$OUT/summary.txt"
import sys, os
out, nph = sys.argv[1], int(sys.argv[2])
def groups(f):
    v = {}
    for line in open(f) if os.path.exists(f) else []:
        if line.startswith('clearip_threads_cpu_seconds_total{group="'):
            v[line.split('"')[1]] = float(line.split()[-1])
    return v
tot = {'s': {}, 'a': {}}
for ph in range(1, nph + 1):
    w0, w1 = map(float, open(os.path.join(out, 'phase%d' % ph, 'wall')).read().split())
    secs = w1 - w0
    for n in 's', 'a':
        g0, g1 = groups(os.path.join(out, 'phase%d' % ph, n + '0.prom')), groups(os.path.join(out, 'phase%d' % ph, n + '1.prom'))
        for g in g1:
            tot[n][g] = tot[n].get(g, 0) + 100 * (g1[g] - g0.get(g, 0)) / secs / nph
print('thread groups, % of a core (S / A): ' + ', '.join(
    '%s %.2f / %.2f' % (g, tot['s'].get(g, 0), tot['a'].get(g, 0)) for g in sorted(set(tot['s']) | set(tot['a']))))
PY
