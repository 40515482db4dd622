#!/usr/bin/env bash
# harness.sh - one command for a whole-proxy load test on the comparison rig: it starts the
# ClearIP emulator, the destinations and a proxy (ours, or Kamailio with the rig's own
# configuration), runs a bounded SIPp load, and reports calls per second, failures, INVITE->final
# latency percentiles, proxy CPU per call and proxy memory; a sweep finds the highest rate with
# < 0.5 % failed calls. Results go to a CSV plus a PNG chart (latency and failures against offered
# load, ours beside Kamailio).
#
# It is a thin layer over the rig's bench.sh (one bounded run each; the rig starts and stops
# every process by PID, binds to 127.0.0.1 only) and our plug-in script
# loadtest/rig/clearip-proxy-under-test.sh.
#
# usage:
#   harness.sh run   SCENARIO RATE [SECONDS]           one run per proxy at RATE
#   harness.sh sweep SCENARIO SECONDS RATE [RATE...]   rising rates; a proxy drops out after two
#                                                      failing rates in a row
#   harness.sh chart CSV [CSV...]                      redraw the PNG from earlier CSV files
# SCENARIO: tls503 tls603 tls403 tls302 inline reroute (see the rig's README)
#
# Options (environment):
#   PROXIES=ours,kamailio  which proxies, in this order at each rate (default both)
#   RESULTS=DIR            where CSV, PNG and the rig's run folders go
#                          (default ${TMPDIR:-/tmp}/clearip-harness); created if missing
#   RIG_DIR=DIR            the comparison rig (default ../shared/rig from the repository root)
#   JAVA_OPTS, PROXY_EXTRA_CONF   for our proxy (see clearip-proxy-under-test.sh)
#   KAM_CHILDREN, KAM_TCP_CHILDREN, KAM_SHM, UPSTREAM, RECV_TIMEOUT_MS   passed to bench.sh
#   WARM=RATE:SECONDS      measure ours warm instead: ONE proxy process gets this warm-up load,
#                          then every rate in turn (loadtest/rig/phases.sh); its rows are
#                          labelled ours-warm. Kamailio needs no warm-up and runs as usual.
#                          SIPP_PROCS=N (phases.sh) then offers each rate from N SIPp processes.
#   NO_INSTALL=1           do not apt-get install missing tools, just fail
# Bounds: RATE 1..20000 cps, SECONDS 1..300, at most 30 rates per sweep; every SIPp has -m and a
# timeout (bench.sh).
#
# CSV columns: date scenario proxy rate seconds created success failed fail_pct achieved_cps
# p50_ms p90_ms p99_ms max_ms cpu_proxy_pct us_per_call mem_peak_mb udp_drops other_pct verdict run
# proxy_socket_drops   (run: the rig's run folder, relative to RESULTS)
# mem_peak_mb is the peak proportional set size (PSS) of the proxy's processes, sampled every
# second: RSS for our single JVM; for Kamailio's processes it counts their shared memory once.
# udp_drops counts every UDP socket of the machine (SIPp's too); proxy_socket_drops only the
# proxy's (127.0.0.1:5060), read every second while it runs (the socket's counter goes with it).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
RIG_DIR="${RIG_DIR:-$repo/../shared/rig}"
RESULTS="${RESULTS:-${TMPDIR:-/tmp}/clearip-harness}"
PROXIES="${PROXIES:-ours,kamailio}"
CHART_PY=/usr/bin/python3     # Debian's python, where python3-matplotlib lives

usage() { sed -n '2,41p' "$0"; exit 2; }
die() { echo "harness: $*" >&2; exit 2; }

# ------------------------------------------------------------------ tools (Debian packages)
need_pkgs() {   # install what is missing, from Debian packages
  local missing=()
  command -v sipp >/dev/null || missing+=(sip-tester)
  command -v kamailio >/dev/null || missing+=(kamailio kamailio-tls-modules kamailio-extra-modules)
  [[ -n "$(ls /usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so /usr/lib/*/kamailio/modules/tls.so 2>/dev/null)" ]] \
    || missing+=(kamailio-tls-modules)
  command -v pidstat >/dev/null || missing+=(sysstat)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v ss >/dev/null || missing+=(iproute2)
  "$CHART_PY" -c 'import matplotlib' 2>/dev/null || missing+=(python3-matplotlib)
  (( ${#missing[@]} == 0 )) && return 0
  [[ "${NO_INSTALL:-0}" == 1 ]] && die "missing packages: ${missing[*]} (NO_INSTALL=1)"
  local sudo=; (( EUID == 0 )) || sudo=sudo
  echo "harness: installing ${missing[*]} (Debian packages)" >&2
  $sudo apt-get update -q >/dev/null
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  # a system kamailio service must not hold the rig's ports
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null; $sudo chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  local rc=$?
  $sudo rm -f /usr/sbin/policy-rc.d
  (( rc == 0 )) || die "apt-get install ${missing[*]} failed"
}

need_jar() {
  [[ -f "$repo/ops/target/clearip-proxy.jar" ]] && return 0
  command -v mvn >/dev/null || die "ops/target/clearip-proxy.jar missing and no mvn to build it"
  echo "harness: building the proxy (mvn package)" >&2
  (cd "$repo" && mvn -B -q -T1 package -DskipTests) || die "build failed"
}

# ------------------------------------------------------------------ memory sampler
# PIDs of the process listening on udp :5060 and its same-named relatives (Kamailio's workers)
proxy_tree() {
  local pids root p pp
  pids=$(ss -Hlunp 'sport = :5060' 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -n | uniq)
  [[ -n "$pids" ]] || return 0
  root=$(echo "$pids" | head -1)
  while pp=$(ps -o ppid= -p "$root" 2>/dev/null | tr -d ' ') && [[ -n "$pp" && "$pp" != 1 ]] &&
        [[ "$(ps -o comm= -p "$pp")" == "$(ps -o comm= -p "$root")" ]]; do root=$pp; done
  tree() { echo "$1"; for p in $(ps -o pid= --ppid "$1"); do tree "$p"; done; }
  tree "$root"
}
# datagrams dropped so far at the proxy's socket, 127.0.0.1:5060 (IPv4, or IPv6 mapped)
socket_drops() {
  cat /proc/net/udp /proc/net/udp6 2>/dev/null |
    awk '$2 ~ /(0100007F|FFFF00000100007F):13C4$/ {d+=$NF} END{print d+0}'
}
sample_proxy() {   # until told to stop: peak PSS (kB) of the proxy's processes to file $1, and
                   # the drops at its socket to $1.drops
  local peak=0 now p v drops=0 d
  while [[ ! -e "$1.stop" ]]; do
    now=0
    for p in $(proxy_tree); do
      v=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null); now=$(( now + ${v:-0} ))
    done
    (( now > peak )) && peak=$now && echo "$peak" >"$1"
    d=$(socket_drops); (( d > drops )) && drops=$d && echo "$drops" >"$1.drops"
    sleep 1
  done
}

# ------------------------------------------------------------------ one run
CSV_HEADER="date,scenario,proxy,rate,seconds,created,success,failed,fail_pct,achieved_cps,p50_ms,p90_ms,p99_ms,max_ms,cpu_proxy_pct,us_per_call,mem_peak_mb,udp_drops,other_pct,verdict,run,proxy_socket_drops"
one_run() {   # proxy scenario rate seconds -> appends a CSV line, returns bench.sh's status
  local proxy=$1 scen=$2 rate=$3 secs=$4 rc memf line
  memf="$RESULTS/.mem.$$"; rm -f "$memf" "$memf.stop"; echo 0 >"$memf"; echo 0 >"$memf.drops"
  sample_proxy "$memf" & local sampler=$!
  if [[ $proxy == ours ]]; then
    (cd "$RIG_DIR" && PROXY_NAME=ours PROXY_CMD="$repo/loadtest/rig/clearip-proxy-under-test.sh" \
       ./bench.sh "$scen" "$rate" "$secs") >"$RESULTS/last-run.out" 2>&1
  else
    (cd "$RIG_DIR" && env -u PROXY_CMD PROXY_NAME=kamailio ./bench.sh "$scen" "$rate" "$secs") >"$RESULTS/last-run.out" 2>&1
  fi
  rc=$?
  touch "$memf.stop"; wait "$sampler" 2>/dev/null
  local mem sdrops; mem=$(awk '{printf "%.0f", $1/1024}' "$memf"); sdrops=$(cat "$memf.drops")
  rm -f "$memf" "$memf.stop" "$memf.drops"
  line=$(tail -n 1 "$RIG_WORK/results/summary.tsv")
  if [[ "$(echo "$line" | cut -f2,3,6)" != "$(printf '%s\t%s\t%s' "$scen" "$proxy" "$rate")" ]]; then
    echo "harness: bench.sh gave no result for $proxy $scen $rate:" >&2; tail -5 "$RESULTS/last-run.out" >&2
    return 2
  fi
  echo "$line" | awk -F'\t' -v OFS=, -v s="$secs" -v mem="$mem" -v sd="$sdrops" -v w="rig" '{
    us = ($13 > 0 && $19 != "-") ? sprintf("%.0f", 1e6 * $19 / 100 / $13) : "";
    print $1,$2,$3,$6,s,$8,$9,$10,$11,$13,$14,$15,$16,$17,$19,us,mem,$25,$24,$26,w "/" $27,sd }' >>"$CSV"
  tail -n 1 "$CSV" | awk -F, '{printf "%-9s %-8s rate %-6s ok %-7s failed %-6s (%s %%) cps %-7s p50/p90/p99 %s/%s/%s ms  cpu %s%% = %s us/call  mem %s MB  udp drops %s (proxy socket %s)  other %s%%  %s\n",$3,$2,$4,$7,$8,$9,$10,$11,$12,$13,$15,$16,$17,$18,$22,$19,$20}'
  return $rc
}

warm_runs() {   # scenario seconds rates... -> one phases.sh run of ours, one CSV line per rate
  local scen=$1 secs=$2; shift 2
  local phases=("${WARM}:warmup") r out run
  for r in "$@"; do phases+=("$r:$secs:r$r"); done
  out="$RESULTS/last-warm.out"
  RIG_DIR="$RIG_DIR" "$repo/loadtest/rig/phases.sh" "$scen" "${phases[@]}" >"$out" 2>&1
  run=$(sed -n 's/^run folder: \([^ ]*\).*/\1/p' "$out" | head -1)
  [[ -n "$run" && -f "$run/phases.tsv" ]] || { echo "harness: phases.sh gave no result:" >&2; tail -5 "$out" >&2; return 2; }
  # phase scenario rate seconds created success failed fail_pct achieved_cps p50 p90 p99 max
  # cpu_proxy us_per_call rss_mb udp_drops proxy_503 cpu_uac cpu_rig other_pct alive socket_drops
  awk -F'\t' -v OFS=, -v d="$(date +%Y%m%d-%H%M%S)" -v run="${run#"$RESULTS"/}" 'NR > 2 {
    v = ($8 + 0 < 0.5 && $22 == "yes") ? "PASS" : "FAIL";
    print d,$2,"ours-warm",$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$21,v,run,$23 }' \
    "$run/phases.tsv" >>"$CSV"
  grep -v '^warmup' "$out" | grep -E '^r[0-9]+ ' | sed 's/^/ours-warm /'
}

chart() {   # PNG beside the first CSV
  local png="${1%.csv}.png"
  "$CHART_PY" "$here/chart.py" "$png" "$@" && echo "chart: $png"
}

# ------------------------------------------------------------------ main
cmd="${1:-}"; shift || true
case "$cmd" in
  run|sweep|chart) ;;
  *) usage ;;
esac
mkdir -p "$RESULTS" || die "cannot create $RESULTS"
RESULTS="$(cd "$RESULTS" && pwd)"
if [[ $cmd == chart ]]; then
  (( $# >= 1 )) || usage
  need_pkgs; chart "$@"; exit $?
fi
SCEN="${1:-}"; [[ -n "$SCEN" ]] || usage; shift
if [[ $cmd == run ]]; then
  RATES=("${1:?rate}"); SECS="${2:-30}"
else
  SECS="${1:?seconds}"; shift; (( $# >= 1 )) || usage; RATES=("$@")
fi
[[ "$SECS" =~ ^[0-9]+$ ]] && (( SECS >= 1 && SECS <= 300 )) || die "SECONDS must be 1..300"
(( ${#RATES[@]} <= 30 )) || die "at most 30 rates"
for r in "${RATES[@]}"; do [[ "$r" =~ ^[0-9]+$ ]] && (( r >= 1 && r <= 20000 )) || die "RATE must be 1..20000 ($r)"; done
[[ -x "$RIG_DIR/bench.sh" ]] || die "rig not found at $RIG_DIR (set RIG_DIR)"
RIG_DIR="$(cd "$RIG_DIR" && pwd)"
IFS=, read -r -a PLIST <<<"$PROXIES"
for p in "${PLIST[@]}"; do [[ $p == ours || $p == kamailio ]] || die "PROXIES: ours and/or kamailio"; done
need_pkgs
[[ " ${PLIST[*]} " == *" ours "* ]] && need_jar
export RIG_WORK="$RESULTS/rig"; mkdir -p "$RIG_WORK"

CSV="$RESULTS/${SCEN}-$(date +%Y%m%d-%H%M%S).csv"
echo "$CSV_HEADER" >"$CSV"
echo "harness: $cmd $SCEN ${SECS}s rates ${RATES[*]} proxies ${PLIST[*]}; results $CSV  ($(uptime | sed 's/^ *//'))"
declare -A FAILS BEST
for p in "${PLIST[@]}"; do FAILS[$p]=0; BEST[$p]=none; done
if [[ -n "${WARM:-}" && " ${PLIST[*]} " == *" ours "* ]]; then
  [[ "$WARM" =~ ^[0-9]+:[0-9]+$ ]] || die "WARM must be RATE:SECONDS"
  warm_runs "$SCEN" "$SECS" "${RATES[@]}"
  FAILS[ours]=2   # measured above
  BEST[ours]=$(awk -F, -v s="$SCEN" '$2 == s && $3 == "ours-warm" && $20 == "PASS" {b = $4} END {print b ? b : "none"}' "$CSV")
fi
for r in "${RATES[@]}"; do
  for p in "${PLIST[@]}"; do
    (( FAILS[$p] >= 2 )) && continue
    if one_run "$p" "$SCEN" "$r" "$SECS"; then
      FAILS[$p]=0; BEST[$p]=$r
    else
      FAILS[$p]=$(( FAILS[$p] + 1 ))
    fi
    sleep 2
  done
done
if [[ $cmd == sweep ]]; then
  for p in "${PLIST[@]}"; do echo "highest rate with < 0.5 % failed calls, $p: ${BEST[$p]} cps"; done
fi
chart "$CSV"
