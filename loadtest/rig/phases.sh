#!/usr/bin/env bash
# phases.sh - several bounded SIPp loads, one after the other, against ONE clearip-proxy process,
# on the comparison rig's emulator, destinations and scenarios (the rig's bench.sh starts a new
# proxy for every run, so it cannot show warm-up-then-measure, or overload-then-recovery).
#
# usage: phases.sh SCENARIO RATE:SECONDS[:LABEL] [RATE:SECONDS[:LABEL] ...]
#   SCENARIO  tls503 | inline | reroute (same meaning as in the rig's bench.sh), or
#             overload: tls-proxy mode, ClearIP blocks every call (603), so the calls the
#             overload control refused (its 503) are timed apart from the calls it admitted
#   e.g. phases.sh tls503 1500:20:warmup 3000:30:measured
#        phases.sh tls503 3000:20:normal 6000:60:overload 3000:20:after
#
# Environment:
#   RIG_DIR     the comparison rig's folder (default: ../shared/rig from the repository root)
#   RIG_WORK    writable folder for certificates and runs (default: $TMPDIR/clearip-rig)
#   JAVA_OPTS, PROXY_EXTRA_CONF   passed to clearip-proxy-under-test.sh
#   RECV_TIMEOUT_MS   SIPp per-message timeout (default 8000, as bench.sh)
#   PHASE_GAP   seconds between phases (default 2)
#   WAIT_READY  1 (default): the first phase starts once the proxy's /ready answers 200 (as a
#               switch that pings its routes with OPTIONS would send calls only then; a fresh
#               proxy warms up first), the time from listening to ready is printed; 0: one
#               second after the UDP port is bound
#   PROXY_CPUS, LOAD_CPUS   pin the proxy, and SIPp plus the emulator and destinations, to these
#               CPUs (taskset lists, e.g. 1 and 0), so the load generator keeps a core of its own
#               when the proxy is overloaded; unset: no pinning
#   PROXY_CPU_QUOTA   cap the proxy at this % of one core (e.g. 50) with a CPU cgroup made for
#               the run (cgroup v1 cpu controller, 10 ms period so throttling adds little
#               latency; needs root): an overload test can then offer
#               twice what the proxy can do without the load generator running out of CPU first.
#               PROXY_CPU_PERIOD_MS sets the period (Kubernetes and Docker use 100)
#   PROXY_CPU_HOG=1   with PROXY_CPUS: also run a busy loop on the proxy's CPUs, so the proxy gets
#               about half of them by the scheduler's fair share (finer-grained than a quota: a
#               proxy thread woken by a packet preempts the loop at once); stopped by its PID.
#               PROXY_CPU_HOG_NICE (e.g. -3, needs root) gives the loop more of the CPUs
#   PROXY_KIND  ours (default) or kamailio: the rig's Kamailio with its proxy.cfg (as bench.sh
#               starts it; KAM_CHILDREN, KAM_TCP_CHILDREN, default 4), for a side-by-side run
#   CAPTURE=1   record each phase's SIP at the proxy's UDP port with dumpcap, and report the time
#               from each switch INVITE's arrival there to its first final leaving (microseconds,
#               every call; the same measure for either proxy; needs dumpcap, Debian: tshark)
#   SIPP_BUFF   SIPp's socket buffers in bytes (default 4194304, the host's rmem_max here): with
#               the OS default (208 KB) SIPp itself drops the answers at 10,000 calls/s
#   SIPP_PROCS  the switch side as this many SIPp processes (default 1, at most 8), each with
#               an equal share of the rate on its own port (5090, 5092, ...): for rates one
#               SIPp process cannot offer (one thread; about 15,000 calls/s on a core of its own
#               here). Their calls are counted and timed together.
#
# Output: one line per phase (calls, failures, cps, INVITE->final percentiles as SIPp sees them
# and as the proxy measured them (its answer-time histogram, microseconds), proxy CPU and
# CPU per call, RSS, UDP drops, the proxy's own 503s from /metrics), in RUN/phases.tsv, plus
# jstat -gc (1 s) of the proxy in RUN/jstat.log. Everything binds to 127.0.0.1; every process
# started here is stopped here by its PID; each SIPp is bounded by -m and a timeout.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
RIG_DIR="$(cd "${RIG_DIR:-$repo/../shared/rig}" && pwd)" || { echo "RIG_DIR not found" >&2; exit 2; }
export RIG_WORK="${RIG_WORK:-${TMPDIR:-/tmp}/clearip-rig}"
RECV_TIMEOUT_MS="${RECV_TIMEOUT_MS:-8000}"
SCEN="${1:?usage: phases.sh SCENARIO RATE:SECONDS[:LABEL]...}"; shift
(( $# >= 1 )) || { echo "give at least one RATE:SECONDS phase" >&2; exit 2; }
for p in "$@"; do
  [[ "$p" =~ ^[0-9]+:[0-9]+(:[A-Za-z0-9_-]+)?$ ]] || { echo "bad phase $p" >&2; exit 2; }
  r=${p%%:*}; s=${p#*:}; s=${s%%:*}
  (( r >= 1 && r <= 20000 && s >= 1 && s <= 300 )) || { echo "phase $p out of bounds (rate 1..20000, 1..300 s)" >&2; exit 2; }
done
SIPP_PROCS="${SIPP_PROCS:-1}"
[[ "$SIPP_PROCS" =~ ^[1-8]$ ]] || { echo "SIPP_PROCS must be 1..8" >&2; exit 2; }
PROXY_KIND="${PROXY_KIND:-ours}"
[[ $PROXY_KIND == ours || $PROXY_KIND == kamailio ]] || { echo "PROXY_KIND must be ours or kamailio" >&2; exit 2; }
for b in sipp kamailio ss java jstat; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 2; }; done
if [[ "${CAPTURE:-}" == 1 ]]; then
  command -v dumpcap >/dev/null || { echo "CAPTURE=1 needs dumpcap (Debian: tshark)" >&2; exit 2; }
fi

PROXY_MODE=tls; UAC_XML=uac_screen.xml; DEST1_XML=; DEST2_XML=; UAC_DIR="$RIG_DIR/scenarios"
case "$SCEN" in
  tls503) NUMBER=5125550100 ;;
  overload) NUMBER=6125550100; UAC_DIR="$repo/loadtest/sipp"; UAC_XML=uac_overload.xml ;;
  inline) PROXY_MODE=inline; UAC_XML=uac_call.xml; NUMBER=12125550100; DEST1_XML=uas_dest.xml; DEST2_XML=uas_dest.xml ;;
  reroute) PROXY_MODE=inline; UAC_XML=uac_call.xml; NUMBER=12125550100; DEST1_XML=uas_503.xml; DEST2_XML=uas_dest.xml ;;
  *) echo "unknown scenario $SCEN" >&2; exit 2 ;;
esac

(cd "$RIG_DIR" && ./certs.sh >/dev/null) || { echo "certs.sh failed" >&2; exit 2; }
CERTS="$RIG_WORK/certs"
RUN="$RIG_WORK/phases/$(date +%Y%m%d-%H%M%S)_$SCEN"
mkdir -p "$RUN"
ulimit -n 20000 2>/dev/null || true

PROXYPIN=(); LOADPIN=()
[[ -n "${PROXY_CPUS:-}" ]] && PROXYPIN=(taskset -c "$PROXY_CPUS")
[[ -n "${LOAD_CPUS:-}" ]] && LOADPIN=(taskset -c "$LOAD_CPUS")
CGROUP=
if [[ -n "${PROXY_CPU_QUOTA:-}" ]]; then
  [[ "$PROXY_CPU_QUOTA" =~ ^[0-9]+$ ]] && (( PROXY_CPU_QUOTA >= 10 && PROXY_CPU_QUOTA <= 800 )) ||
    { echo "PROXY_CPU_QUOTA must be 10..800 (% of one core)" >&2; exit 2; }
  PERIOD_MS=${PROXY_CPU_PERIOD_MS:-10}
  [[ "$PERIOD_MS" =~ ^[0-9]+$ ]] && (( PERIOD_MS >= 1 && PERIOD_MS <= 1000 )) ||
    { echo "PROXY_CPU_PERIOD_MS must be 1..1000" >&2; exit 2; }
  [[ -w /sys/fs/cgroup/cpu ]] || { echo "PROXY_CPU_QUOTA needs the cgroup v1 cpu controller at /sys/fs/cgroup/cpu (and root)" >&2; exit 2; }
  CGROUP=/sys/fs/cgroup/cpu/clearip-phases-$$
  mkdir "$CGROUP" && echo $(( PERIOD_MS * 1000 )) >"$CGROUP/cpu.cfs_period_us" && echo $(( PROXY_CPU_QUOTA * PERIOD_MS * 10 )) >"$CGROUP/cpu.cfs_quota_us" ||
    { echo "cannot make the CPU cgroup $CGROUP" >&2; exit 2; }
  PROXYPIN=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CGROUP" "${PROXYPIN[@]}")
fi
PIDS=(); UACPIDS=()
stop_all() {
  local i pid
  # a phase's SIPp processes (each under time and timeout), whole trees
  for pid in "${UACPIDS[@]}"; do for q in $(tree "$pid" 2>/dev/null); do kill -TERM "$q" 2>/dev/null; done; done
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do kill -TERM "${PIDS[$i]}" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  PIDS=()
  [[ -n "$CGROUP" ]] && rmdir "$CGROUP" 2>/dev/null
  CGROUP=
}
trap stop_all EXIT
trap 'exit 130' INT TERM
wait_listen() { local i; for (( i=0; i<$3*10; i++ )); do ss -Hln"$1" "sport = :$2" | grep -q . && return 0; sleep 0.1; done; return 1; }
UAC_PORTS=(); for (( i=0; i<SIPP_PROCS; i++ )); do UAC_PORTS+=("u:$(( 5090 + 2 * i ))"); done
for pp in u:5060 t:5061 t:5070 u:5080 u:5082 "${UAC_PORTS[@]}" t:9060; do
  ss -Hln"${pp%%:*}" "sport = :${pp##*:}" | grep -q . && { echo "port ${pp##*:} busy" >&2; exit 3; }
done

TOTAL=0; for p in "$@"; do s=${p#*:}; s=${s%%:*}; TOTAL=$(( TOTAL + s * 3 + 30 )); done
HELPER_TMO=$(( TOTAL + 120 ))

mkdir -p "$RUN/kemu"
(cd "$RIG_DIR" && exec "${LOADPIN[@]}" timeout -s TERM "$HELPER_TMO" kamailio -f kamailio/emulator.cfg -DD -E -m 256 -M 8 -Y "$RUN/kemu" \
  -P "$RUN/kemu/kamailio.pid" -A "TLS_CERT=\"$CERTS/server.crt\"" -A "TLS_KEY=\"$CERTS/server.key\"" \
  -A "TLS_CA=\"$CERTS/ca.crt\"") >"$RUN/emulator.log" 2>&1 &
PIDS+=($!)
wait_listen t 5061 10 || { echo "emulator did not start" >&2; exit 4; }
start_uas() {
  (cd "$RUN" && exec "${LOADPIN[@]}" timeout -s TERM "$HELPER_TMO" sipp -sf "$RIG_DIR/scenarios/$2" -i 127.0.0.1 -p "$3" -t u1 \
     -nostdin -timeout "${HELPER_TMO}s" -trace_err -error_file "$1_err.log" -max_log_size 2000000) >"$RUN/$1.out" 2>&1 &
  PIDS+=($!); wait_listen u "$3" 10 || { echo "UAS $1 did not start" >&2; exit 4; }
}
[[ -n "$DEST1_XML" ]] && start_uas dest1 "$DEST1_XML" 5080
[[ -n "$DEST2_XML" ]] && start_uas dest2 "$DEST2_XML" 5082

export PROXY_MODE UPSTREAM_URI="sip:127.0.0.1:5061;transport=tls" RIG_CA="$CERTS/ca.crt" \
  RIG_CERT="$CERTS/server.crt" RIG_KEY="$CERTS/server.key" RIG_RUN_DIR="$RUN"
if [[ $PROXY_KIND == kamailio ]]; then
  mkdir -p "$RUN/kproxy"; KDEFS=()
  [[ $PROXY_MODE == inline ]] && KDEFS+=(-A INLINE)
  (cd "$RIG_DIR" && exec "${PROXYPIN[@]}" kamailio -f kamailio/proxy.cfg -DD -E -m 512 -M 16 \
    -n "${KAM_CHILDREN:-4}" -N "${KAM_TCP_CHILDREN:-4}" -Y "$RUN/kproxy" -P "$RUN/kproxy/kamailio.pid" \
    -A "TLS_CERT=\"$CERTS/server.crt\"" -A "TLS_KEY=\"$CERTS/server.key\"" -A "TLS_CA=\"$CERTS/ca.crt\"" \
    "${KDEFS[@]}") >"$RUN/proxy.log" 2>&1 &   # -DD: stays in the foreground, its workers are its children
else
  "${PROXYPIN[@]}" "$here/clearip-proxy-under-test.sh" >"$RUN/proxy.log" 2>&1 &   # execs java: this PID is the JVM
fi
JPID=$!; PIDS+=($JPID)
wait_listen u 5060 60 || { echo "proxy did not listen, see $RUN/proxy.log" >&2; exit 4; }
LISTENING=$(date +%s.%N)
if [[ $PROXY_KIND == ours && "${WAIT_READY:-1}" == 1 ]]; then
  # as a switch that pings its routes with OPTIONS: traffic only once the proxy says it takes
  # calls (a fresh proxy warms up first, answering 503 meanwhile; /ready tells the same)
  for (( i=0; i<1200; i++ )); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9060/ready 2>/dev/null)" == 200 ]] && break
    sleep 0.1
  done
  echo "proxy ready $(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$LISTENING" "$(date +%s.%N)") s after it listened"
else
  sleep 1
fi
HOGPID=
if [[ "${PROXY_CPU_HOG:-}" == 1 ]]; then
  [[ -n "${PROXY_CPUS:-}" ]] || { echo "PROXY_CPU_HOG needs PROXY_CPUS" >&2; exit 2; }
  timeout -s TERM "$HELPER_TMO" nice -n "${PROXY_CPU_HOG_NICE:-0}" taskset -c "$PROXY_CPUS" sh -c 'while :; do :; done' &
  HOGPID=$!; PIDS+=($HOGPID)
fi
if [[ $PROXY_KIND == ours ]]; then
  timeout -s TERM "$HELPER_TMO" jstat -gc "$JPID" 1000 >"$RUN/jstat.log" 2>&1 &
  PIDS+=($!)
fi

HZ=$(getconf CLK_TCK)
ticks() { local f; f=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }; f="${f##*) }"; set -- $f; echo $(( ${12} + ${13} )); }
tree() { local c; echo "$1"; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree "$c"; done; }
proxy_ticks() { local t=0 q; for q in $(tree "$JPID"); do t=$(( t + $(ticks "$q") )); done; echo "$t"; }
rig_ticks() {   # emulator, destinations and jstat (everything started here but the proxy)
  local t=0 p q
  for p in "${PIDS[@]}"; do [[ $p == "$JPID" || $p == "$HOGPID" ]] && continue; for q in $(tree "$p"); do t=$(( t + $(ticks "$q") )); done; done
  echo "$t"
}
rss_mb() { awk '/^VmRSS/{printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo -; }
udp_err() { awk '/^Udp:/{ if (!h) {for(i=1;i<=NF;i++) k[$i]=i; h=1} else print $k["RcvbufErrors"] }' /proc/net/snmp; }
# datagrams dropped at the proxy's own socket (127.0.0.1:5060), not at SIPp's or the emulator's
# (an IPv4 socket, or an IPv6 one bound to ::ffff:127.0.0.1, so both tables are read)
sock_drops() { cat /proc/net/udp /proc/net/udp6 | awk '$2 ~ /(0100007F|FFFF00000100007F):13C4$/ {d+=$NF} END{print d+0}'; }
# with PROXY_CPU_QUOTA: CFS periods so far, those the proxy was throttled in, and for how long (ms)
throttled() { [[ -n "$CGROUP" ]] && awk '{v[$1]=$2} END{printf "%d %d %d", v["nr_periods"], v["nr_throttled"], v["throttled_time"]/1e6}' "$CGROUP/cpu.stat"; }
sys_busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
# one scrape of the proxy's /metrics per phase boundary (empty for Kamailio), kept in the phase's folder
scrape() { curl -s --max-time 2 http://127.0.0.1:9060/metrics >"$1" 2>/dev/null || : >"$1"; }
proxy503() {   # calls the proxy answered 503 itself (clearip_calls_fail_open_total: overload, queue full, timeout, upstream down)
  awk '/^clearip_calls_fail_open_total/ {s+=$NF} END{printf "%d", s}' "$1"
}
TSV="$RUN/phases.tsv"
printf 'phase\tscenario\trate\tseconds\tcreated\tsuccess\tfailed\tfail_pct\tachieved_cps\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tcpu_proxy\tus_per_call\trss_mb\tudp_drops\tproxy_503\tcpu_uac\tcpu_rig\tother_pct\talive\tproxy_socket_drops\trefused_timed\trefused_p50_ms\trefused_p99_ms\tanswer_p50_us\tanswer_p90_us\tanswer_p99_us\n' >"$TSV"
echo "run folder: $RUN  proxy pid $JPID  ($(uptime))"
n=0
for p in "$@"; do
  n=$((n+1)); RATE=${p%%:*}; rest=${p#*:}; DUR=${rest%%:*}; LABEL=phase$n; [[ "$rest" == *:* ]] && LABEL=${rest#*:}
  PD="$RUN/$n-$LABEL"; mkdir -p "$PD"
  GT=$(( DUR * 3 + RECV_TIMEOUT_MS / 1000 + 30 ))
  CAPPID=
  if [[ "${CAPTURE:-}" == 1 ]]; then
    dumpcap -q -P -i lo -f "udp port 5060" -B 64 -s 2000 -w "$PD/proxy.pcap" >"$PD/dumpcap.log" 2>&1 &
    CAPPID=$!
    for _ in $(seq 1 50); do [[ -s "$PD/proxy.pcap" ]] && break; sleep 0.1; done
  fi
  TH0=$(throttled); T0=$(proxy_ticks); K0=$(rig_ticks); U0=$(udp_err); D0=$(sock_drops); scrape "$PD/metrics0.prom"; R0=$(proxy503 "$PD/metrics0.prom"); read -r SB0 ST0 < <(sys_busy); W0=$(date +%s.%N)
  # one SIPp per share of the rate (the first ones take the remainder), all started together
  UACPIDS=()
  for (( i=0; i<SIPP_PROCS; i++ )); do
    R=$(( RATE / SIPP_PROCS + (i < RATE % SIPP_PROCS ? 1 : 0) )); (( R >= 1 )) || continue
    L=$(( R * 4 )); (( L < 200 )) && L=200; sfx=; (( SIPP_PROCS > 1 )) && sfx=$i
    (cd "$PD" && exec "${LOADPIN[@]}" /usr/bin/time -f "%U %S %e" -o "uac_time$sfx.txt" timeout -s TERM $(( GT + 10 )) sipp 127.0.0.1:5060 \
       -sf "$UAC_DIR/$UAC_XML" -s "$NUMBER" -i 127.0.0.1 -p $(( 5090 + 2 * i )) -t u1 -r "$R" -rp 1000 -m $(( R * DUR )) \
       -l "$L" -recv_timeout "$RECV_TIMEOUT_MS" -timeout "${GT}s" -nostdin -trace_stat -stf "uac_stat$sfx.csv" -fd 1 \
       -buff_size "${SIPP_BUFF:-4194304}" -trace_rtt -rtt_freq 1 -trace_err -error_file "uac_err$sfx.log" -max_log_size 2000000) >"$PD/uac$sfx.out" 2>&1 &
    UACPIDS+=($!)
  done
  wait "${UACPIDS[@]}"; UACPIDS=()
  W1=$(date +%s.%N); TH1=$(throttled); T1=$(proxy_ticks); K1=$(rig_ticks); U1=$(udp_err); D1=$(sock_drops); scrape "$PD/metrics1.prom"; R1=$(proxy503 "$PD/metrics1.prom"); read -r SB1 ST1 < <(sys_busy)
  if [[ -n "$CAPPID" ]]; then kill -INT "$CAPPID" 2>/dev/null; wait "$CAPPID" 2>/dev/null; fi
  ALIVE=yes; kill -0 "$JPID" 2>/dev/null || ALIVE=no
  # SIPp's CPU (user, system seconds), all its processes
  read -r UU US < <(for f in "$PD"/uac_time*.txt; do tail -n 1 "$f"; done 2>/dev/null | awk '{u+=$1; s+=$2} END{print u+0, s+0}')
  python3 - "$PD" "$p" "$SCEN" "$RATE" "$DUR" "$T0" "$T1" "$HZ" "$W0" "$W1" "$((U1-U0))" "$((R1-R0))" \
    "$(rss_mb "$JPID")" "$ALIVE" "$SB0" "$ST0" "$SB1" "$ST1" "$(nproc)" "$UU" "$US" "$LABEL" "$((K1-K0))" "$(( ${D1:-0} - ${D0:-0} ))" >>"$TSV" <<'PY'
import sys,glob,os
(d,p,scen,rate,dur,t0,t1,hz,w0,w1,drops,r503,rss,alive,sb0,st0,sb1,st1,ncpu,uu,us,label,rigt,sockdrops)=sys.argv[1:]
wall=float(w1)-float(w0); cpu=100*(int(t1)-int(t0))/int(hz)/wall
# the last line of each SIPp's statistics: counts add up, the longest elapsed time counts
created=succ=fail=0; elapsed=0
for sf in sorted(glob.glob(os.path.join(d,'uac_stat*.csv'))):
    last=None; hdr=None
    for line in open(sf):
        f=line.rstrip('\n').split(';')
        if hdr is None: hdr=f
        else: last=dict(zip(hdr,f))
    if not last: continue
    g=lambda k: int(last.get(k,0) or 0)
    created,succ,fail=created+g('TotalCallCreated'),succ+g('SuccessfulCall(C)'),fail+g('FailedCall(C)')
    el=last.get('ElapsedTime(C)','0:0:0:0').split(':')
    if len(el)>=4: elapsed=max(elapsed,int(el[0])*3600+int(el[1])*60+int(el[2])+int(el[3])/1000)
elapsed=elapsed or wall
cps=succ/elapsed if elapsed else 0
# response time 1: INVITE -> final; 2 in the overload scenario: INVITE -> the proxy's own 503
# (the other scenarios use 2 for something else, not reported here)
rt={'1':[],'2':[]} if scen=='overload' else {'1':[]}
for f in glob.glob(os.path.join(d,'*_rtt.csv')):
    for line in open(f):
        x=line.split(';')
        if len(x)>2 and x[2].strip() in rt:
            try: rt[x[2].strip()].append(float(x[1]))
            except ValueError: pass
for k in rt: rt[k].sort()
pct=lambda v,pc: '%.2f'%v[min(len(v)-1,max(0,int(len(v)*pc/100+0.5)-1))] if v else '?'
q=lambda pc: pct(rt['1'],pc)
# the proxy's answer time over this phase (screened calls: decoded INVITE -> final sent), from
# the difference of two scrapes of its histogram; each percentile is its bucket's upper bound
# (fixed buckets 100, 250, 500 us, 1, 2.5, 5 ms, ...: README's metrics table)
def buckets(f):
    b={}
    for line in open(f) if os.path.exists(f) else []:
        if not line.startswith('clearip_calls_answer_time_seconds_bucket{path="screened"') or 'le="+Inf"' in line: continue
        le=float(line.split('le="')[1].split('"')[0]); b[le]=float(line.split()[-1])
    return b
b0,b1=buckets(os.path.join(d,'metrics0.prom')),buckets(os.path.join(d,'metrics1.prom'))
les=sorted(b1); n=(b1[les[-1]]-b0.get(les[-1],0)) if les else 0
def inproxy(pc):
    for le in les:
        if n and b1[le]-b0.get(le,0) >= n*pc/100: return '%.0f'%(le*1e6)
    return '?'
busy=100*int(ncpu)*(float(sb1)-float(sb0))/(float(st1)-float(st0)) if float(st1)>float(st0) else 0
uac=100*(float(uu)+float(us))/wall
rig=100*int(rigt)/int(hz)/wall
other=max(0,busy-cpu-uac-rig)  # CPU used by anything this script did not start
fp=100*fail/created if created else 100
upc=1e6*cpu/100/cps if cps else 0
print('\t'.join(map(str,[label,scen,rate,dur,created,succ,fail,'%.2f'%fp,'%.1f'%cps,q(50),q(90),q(99),q(100),
      '%.0f'%cpu,'%.0f'%upc,rss,drops,r503,'%.0f'%uac,'%.0f'%rig,'%.0f'%other,alive,sockdrops,
      len(rt.get('2',[])),pct(rt.get('2',[]),50),pct(rt.get('2',[]),99),
      inproxy(50),inproxy(90),inproxy(99)])))
PY
  tail -n 1 "$TSV" | awk -F'\t' '{printf "%-10s rate %-5s %ss created %-7s ok %-7s fail %s (%s%%) cps %s p50 %s p90 %s p99 %s max %s | proxy cpu %s%% = %s us/call, rss %s MB, udp drops %s (proxy socket %s), proxy 503s %s | uac %s%% emulator+dest %s%% other %s%% | alive %s%s%s\n",$1,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$23,$18,$19,$20,$21,$22,
    ($24 > 0 ? sprintf(" | refused %s: p50 %s p99 %s", $24, $25, $26) : ""),
    ($27 != "?" ? sprintf(" | in proxy: p50 %s p90 %s p99 %s us", $27, $28, $29) : "")}'
  if [[ -n "$CAPPID" ]]; then
    python3 "$here/answer_times.py" "$PD/proxy.pcap" >"$PD/answer_times.txt" 2>&1
    echo "           at the proxy's socket: $(cat "$PD/answer_times.txt")"
  fi
  if [[ -n "$CGROUP" ]]; then
    read -r tp0 tt0 tm0 <<<"$TH0"; read -r tp1 tt1 tm1 <<<"$TH1"
    echo "           cpu cgroup: throttled in $(( tt1 - tt0 )) of $(( tp1 - tp0 )) periods, $(( tm1 - tm0 )) ms in all"
  fi
  if [[ $PROXY_KIND == ours ]]; then
    # where the proxy's CPU went, by thread group (its clearip_threads_cpu_seconds_total)
    echo "           threads, % of a core: $(python3 - "$PD" "$W0" "$W1" <<'PY'
import sys,os
d,w0,w1=sys.argv[1],float(sys.argv[2]),float(sys.argv[3])
def read(f):
    v={}
    for line in open(f) if os.path.exists(f) else []:
        if line.startswith('clearip_threads_cpu_seconds_total{group="'):
            v[line.split('"')[1]]=float(line.split()[-1])
    return v
a,b=read(os.path.join(d,'metrics0.prom')),read(os.path.join(d,'metrics1.prom'))
print(', '.join('%s %.1f'%(g,100*(b[g]-a.get(g,0))/(w1-w0)) for g in b) or '?')
PY
)"
  fi
  [[ $ALIVE == yes ]] || { echo "proxy process is gone, see $RUN/proxy.log" >&2; break; }
  sleep "${PHASE_GAP:-2}"
done
if [[ $PROXY_KIND == ours ]]; then
  echo "jstat -gc (KB, 1 s): $RUN/jstat.log; heap after the run: $(jcmd "$JPID" GC.heap_info 2>/dev/null | sed -n 2p)"
fi
