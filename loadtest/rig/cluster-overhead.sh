#!/usr/bin/env bash
# cluster-overhead.sh - what being one node of a fleet costs a call: the tls503 scenario through
# ONE proxy, alternately with cluster.enabled = off and as node A of a 3-node fleet (nodes B and
# C started here, idle, on loopback), ROUNDS times each, in one run; prints each phase's CPU per
# call and p99, and the ratio of the means (fleet / alone). Goal: within 5 %.
#
# usage: cluster-overhead.sh [RATE [SECONDS [ROUNDS]]]     (default 1500 20 2)
#   Each run is phases.sh tls503 RATE:10:warmup RATE:SECONDS:measured (the rig's emulator,
#   scenarios and SIPp; see phases.sh for RIG_DIR, RIG_WORK, PROXY_CPUS, LOAD_CPUS ...).
#   With PROXY_CPUS=1 LOAD_CPUS=0, nodes B and C run on the load's CPU: A's CPU per call is then
#   not inflated by two more JVMs on its core, as on separate VMs.
#   Needs openssl (the fleet's certificates are made here, in $RIG_WORK/fleet-certs) and the
#   shaded jar (mvn -B -q package -DskipTests).
# Everything binds to 127.0.0.1; B and C are stopped by their PIDs at the end.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="$here/../../ops/target/clearip-proxy.jar"
[ -f "$jar" ] || { echo "$jar not found; build first: mvn -B -q package -DskipTests" >&2; exit 2; }
command -v openssl >/dev/null || { echo "openssl is needed for the fleet's certificates" >&2; exit 2; }
RATE="${1:-1500}"; SECS="${2:-20}"; ROUNDS="${3:-2}"
export RIG_WORK="${RIG_WORK:-${TMPDIR:-/tmp}/clearip-rig}"
CERTS="$RIG_WORK/fleet-certs"; mkdir -p "$CERTS"
OUT="$RIG_WORK/cluster-overhead-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$OUT"

# a root CA and three RSA node certificates sharing the name clearip-fleet (Pekko's TLS
# provider reads RSA keys only, and checks that peers share a name)
if [ ! -f "$CERTS/ca.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Fleet CA" \
    -keyout "$CERTS/ca.key" -out "$CERTS/ca.crt" 2>/dev/null
  for n in a b c; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=node-$n" -keyout "$CERTS/$n.key" \
      -out "$CERTS/$n.csr" 2>/dev/null
    printf 'subjectAltName=DNS:clearip-fleet,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' \
      >"$CERTS/$n.ext"
    openssl x509 -req -in "$CERTS/$n.csr" -CA "$CERTS/ca.crt" -CAkey "$CERTS/ca.key" \
      -CAcreateserial -days 2 -extfile "$CERTS/$n.ext" -out "$CERTS/$n.crt" 2>/dev/null
  done
fi
# B first: B and C form the fleet before the first measured run; A joins it at each start, as a
# restarted node does (the first seed is the one that forms a fleet)
SEEDS='["127.0.0.1:25522", "127.0.0.1:25523", "127.0.0.1:25521"]'
cluster_conf() { # node-letter port
  cat <<CONF
clearip-proxy.cluster {
  enabled = on
  bind = "127.0.0.1:$2"
  seed-nodes = $SEEDS
  tls-certificate = "$CERTS/$1.crt"
  tls-private-key = "$CERTS/$1.key"
  tls-ca-file = "$CERTS/ca.crt"
}
CONF
}

# B and C: idle fleet members, no admin endpoint, SIP on ports of their own
PIDS=()
stop_fleet() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done; }
trap stop_fleet EXIT
for spec in b:25522:5160 c:25523:5260; do
  IFS=: read -r n cport sport <<<"$spec"
  { cat <<CONF
clearip-proxy {
  listen { udp = ["127.0.0.1:$sport"], tcp = [], tls = [] }
  admin.listen = ""
  warmup.enabled = off
  upstream.uri = "sip:127.0.0.1:5061;transport=tls"
}
CONF
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
    PROXY_EXTRA_CONF="$extra" "$here/phases.sh" tls503 "$RATE:10:warmup" "$RATE:$SECS:measured" \
      >"$log" 2>&1
    run="$(sed -n 's/^run folder: \([^ ]*\).*/\1/p' "$log")"
    line="$(tail -n 1 "$run/phases.tsv" 2>/dev/null)"
    # phases.tsv: $9 achieved cps, $12 p99 ms, $15 us per call, $29 in-proxy answer p99 us
    echo "$line" | awk -F'\t' -v r="$r" -v m="$mode" -v run="$run" \
      '{printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r, m, $15, $12, $29, $9, run}' >>"$OUT/results.tsv"
    tail -n 1 "$OUT/results.tsv"
  done
done
# per round (runs side by side in time) and over all rounds: the machine's noise shows as the
# spread of the per-round ratios
# a run that did not measure (a port busy, the proxy gone: see its log) has an empty row: skipped
awk -F'\t' 'NR > 1 && $3 > 0 { if ($2 == "off") off[$1] = $3; else on[$1] = $3 }
  END { for (r in on) if (r in off) printf "round %s: CPU per call ratio %.3f\n", r, on[r]/off[r] }' \
  "$OUT/results.tsv" | sort | tee "$OUT/rounds.txt"
awk -F'\t' 'NR > 1 && $3 > 0 { n[$2]++; cpu[$2] += $3; p99[$2] += $4 }
  END { if (n["off"] && n["on"] && cpu["off"] > 0) {
    printf "CPU per call: alone %.1f us, fleet node %.1f us, ratio %.3f\n", cpu["off"]/n["off"], cpu["on"]/n["on"], (cpu["on"]/n["on"])/(cpu["off"]/n["off"]);
    printf "p99: alone %.2f ms, fleet node %.2f ms\n", p99["off"]/n["off"], p99["on"]/n["on"] } }' \
  "$OUT/results.tsv" | tee "$OUT/summary.txt"
echo "results: $OUT/results.tsv"
