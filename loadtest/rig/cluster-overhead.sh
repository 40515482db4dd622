#!/usr/bin/env bash
# cluster-overhead.sh - what being one node of a fleet costs a call: the tls503 scenario through
# ONE proxy, alternately with cluster.enabled = off and as node A of a 3-node fleet (nodes B and
# C started here, idle, on loopback), ROUNDS times each, in one run; prints each phase's CPU per
# call and p99, and the ratio of the means (fleet / alone). Goal: within 5 %.
#
# usage: cluster-overhead.sh [RATE [SECONDS [ROUNDS]]]     (default 1500 20 2)
#   Each run is phases.sh tls503 with WARMUP_PHASES phases RATE:WARMUP_S (default 1 of 10 s),
#   then MEASURED_PHASES phases RATE:SECONDS (default 1), each measured phase one row of the
#   results. A is a fresh JVM in every run, and the JIT compiles the fleet's code for minutes, a
#   little at a time: to measure a node that has run for a while, e.g.
#   WARMUP_S=300 WARMUP_PHASES=2 MEASURED_PHASES=3 cluster-overhead.sh 1500 30 1
#   (the rig's emulator, scenarios and SIPp; see phases.sh for RIG_DIR, RIG_WORK, PROXY_CPUS ...).
#   With PROXY_CPUS=1 LOAD_CPUS=0, nodes B and C run on the load's CPU: A's CPU per call is then
#   not inflated by two more JVMs on its core, as on separate VMs.
#   Needs openssl (the fleet's certificates are made here, in $RIG_WORK/fleet-certs) and the
#   shaded jar (mvn -B -q package -DskipTests).
# Everything binds to 127.0.0.1; B and C are stopped by their PIDs at the end.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="$here/../../ops/target/clearip-proxy.jar"
[ -f "$jar" ] || { echo "$jar not found; build first: mvn -B -q package -DskipTests" >&2; exit 2; }
RATE="${1:-1500}"; SECS="${2:-20}"; ROUNDS="${3:-2}"; WARMUP_S="${WARMUP_S:-10}"
WARMUP_PHASES="${WARMUP_PHASES:-1}"; MEASURED_PHASES="${MEASURED_PHASES:-1}"
[[ "$WARMUP_PHASES" =~ ^[1-9]$ && "$MEASURED_PHASES" =~ ^[1-9]$ ]] ||
  { echo "WARMUP_PHASES and MEASURED_PHASES must be 1..9" >&2; exit 2; }
PHASES=()
for i in $(seq 1 "$WARMUP_PHASES"); do PHASES+=("$RATE:$WARMUP_S:warmup$i"); done
for i in $(seq 1 "$MEASURED_PHASES"); do PHASES+=("$RATE:$SECS:measured$i"); done
# shellcheck source=fleet-lib.sh
. "$here/fleet-lib.sh"
OUT="$RIG_WORK/cluster-overhead-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$OUT"
fleet_certs || exit 2
# B first: B and C form the fleet before the first measured run; A joins it at each start, as a
# restarted node does (the first seed is the one that forms a fleet)
SEEDS='["127.0.0.1:25522", "127.0.0.1:25523", "127.0.0.1:25521"]'

# B and C: idle fleet members, no admin endpoint, SIP on ports of their own
for spec in b:25522:5160 c:25523:5260; do
  IFS=: read -r n cport sport <<<"$spec"
  { idle_proxy_conf "$sport" "sip:127.0.0.1:5061;transport=tls"
    cluster_conf "$n" "$cport"; } >"$OUT/$n.conf"
  # with LOAD_CPUS, B and C run beside the load, so that only A (PROXY_CPUS) is on its core
  pin=(); [[ -n "${LOAD_CPUS:-}" ]] && pin=(taskset -c "$LOAD_CPUS")
  "${pin[@]}" java -Xmx256m -jar "$jar" run --config "$OUT/$n.conf" >"$OUT/$n.log" 2>&1 &
  PIDS+=($!)
done

printf 'round\tcluster\tus_per_call\tp99_ms\tanswer_p99_us\tcps\trun\n' >"$OUT/results.tsv"
for r in $(seq 1 "$ROUNDS"); do
  for mode in off on; do
    extra=''
    [ "$mode" = on ] && extra="$(cluster_conf a 25521)"
    log="$OUT/round$r-$mode.log"
    PROXY_EXTRA_CONF="$extra" "$here/phases.sh" tls503 "${PHASES[@]}" >"$log" 2>&1
    run="$(sed -n 's/^run folder: \([^ ]*\).*/\1/p' "$log")"
    # phases.tsv: $1 label, $9 achieved cps, $12 p99 ms, $15 us per call, $29 in-proxy answer p99 us
    awk -F'\t' -v r="$r" -v m="$mode" -v run="$run" '$1 ~ /^measured/ \
      {printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r, m, $15, $12, $29, $9, run}' "$run/phases.tsv" 2>/dev/null \
      | tee -a "$OUT/results.tsv"
  done
done
# per round (runs side by side in time) and over all rounds: the machine's noise shows as the
# spread of the per-round ratios
# a run that did not measure (a port busy, the proxy gone: see its log) has an empty row: skipped
awk -F'\t' 'NR > 1 && $3 > 0 { if ($2 == "off") { off[$1] += $3; noff[$1]++ } else { on[$1] += $3; non[$1]++ } }
  END { for (r in on) if (r in off) printf "round %s: CPU per call ratio %.3f\n", r, (on[r]/non[r])/(off[r]/noff[r]) }' \
  "$OUT/results.tsv" | sort | tee "$OUT/rounds.txt"
awk -F'\t' 'NR > 1 && $3 > 0 { n[$2]++; cpu[$2] += $3; p99[$2] += $4 }
  END { if (n["off"] && n["on"] && cpu["off"] > 0) {
    printf "CPU per call: alone %.1f us, fleet node %.1f us, ratio %.3f\n", cpu["off"]/n["off"], cpu["on"]/n["on"], (cpu["on"]/n["on"])/(cpu["off"]/n["off"]);
    printf "p99: alone %.2f ms, fleet node %.2f ms\n", p99["off"]/n["off"], p99["on"]/n["on"] } }' \
  "$OUT/results.tsv" | tee "$OUT/summary.txt"
echo "results: $OUT/results.tsv"
