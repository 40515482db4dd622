#!/usr/bin/env bash
# fleet-idle.sh - what being a fleet node costs when no call comes: the CPU of an idle proxy
# that is node A of a 3-node fleet, against an idle proxy with cluster.enabled = off, over the
# same SECONDS of one run, per thread group (the fleet's own threads are named clearip-fleet-*).
#
# usage: [SETTLE=S] fleet-idle.sh [SECONDS [ROUNDS]]     (default 30 1; measured after SETTLE
#   seconds, default 30: the JIT compiles the fleet's code for minutes, a little at a time)
#   Needs openssl (the fleet's certificates go to $RIG_WORK/fleet-certs, shared with
#   cluster-side-by-side.sh) and the shaded jar (mvn -B -q package -DskipTests). Linux only (/proc).
#   A_JAVA_OPTS: extra JVM options for node A (e.g. a flight recording). PROXY_JAR: the jar
#   to run (default: this checkout's build), e.g. to compare two builds.
# Everything binds to 127.0.0.1; the four proxies started here are stopped by their PIDs.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="${PROXY_JAR:-$here/../../ops/target/clearip-proxy.jar}"
[ -f "$jar" ] || { echo "$jar not found; build first: mvn -B -q package -DskipTests" >&2; exit 2; }
SECS="${1:-30}"; ROUNDS="${2:-1}"
# shellcheck source=fleet-lib.sh
. "$here/fleet-lib.sh"
OUT="$RIG_WORK/fleet-idle-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$OUT"
fleet_certs || exit 2
SEEDS='["127.0.0.1:25532", "127.0.0.1:25533", "127.0.0.1:25531"]'
start() { # name sip-port [cluster-port]
  { idle_proxy_conf "$2" "sip:127.0.0.1:9;transport=tcp"
    if [ -n "${3:-}" ]; then cluster_conf "$1" "$3"; fi
  } >"$OUT/$1.conf"
  opts=(); [ "$1" = a ] && [ -n "${A_JAVA_OPTS:-}" ] && read -ra opts <<<"$A_JAVA_OPTS"
  java -Xms128m -Xmx256m "${opts[@]}" -jar "$jar" run --config "$OUT/$1.conf" >"$OUT/$1.log" 2>&1 &
  PIDS+=($!)
}
start b 5192 25532; start c 5193 25533; start a 5191 25531; A=${PIDS[2]}
start alone 5194; ALONE=${PIDS[3]}
# the fleet forms within seconds; the rest of SETTLE (default 30 s) lets start-up work end
sleep "${SETTLE:-30}"
tick=$(getconf CLK_TCK)
# per thread group: utime+stime in ticks, the thread name with its trailing number removed
sample() { # pid
  # thread names from the JVM (the kernel keeps 15 characters of them), by native id
  jcmd "$1" Thread.print 2>/dev/null | sed -n 's/^"\([^"]*\)".* nid=\(0x[0-9a-f]*\).*/\2 \1/p' \
    | while read -r nid name; do echo "$((nid)) ${name// /_}"; done | sort >"$OUT/names"
  for t in /proc/"$1"/task/*; do
    stat=$(cat "$t/stat" 2>/dev/null) || continue
    rest=${stat##*) }; set -- $rest
    echo "${t##*/} $(( ${12} + ${13} ))"
  done | sort | join -a1 -e unnamed -o 1.2,2.2 - "$OUT/names" \
    | awk '{n = $2; sub(/-[0-9]+$/, "", n); s[n] += $1} END {for (k in s) print k, s[k]}' | sort
}
for r in $(seq 1 "$ROUNDS"); do
  sample "$A" >"$OUT/a0"; sample "$ALONE" >"$OUT/alone0"
  sleep "$SECS"
  sample "$A" >"$OUT/a1"; sample "$ALONE" >"$OUT/alone1"
  for who in a alone; do
    join -a2 -e 0 -o 0,1.2,2.2 "$OUT/${who}0" "$OUT/${who}1" \
      | awk -v s="$SECS" -v t="$tick" -v w="$who" '{d = ($3 - $2) * 1000 / t; tot += d;
          if ($1 ~ /^clearip-fleet/) fl += d; if (d > 0) printf "  %-6s %-60s %6.0f ms\n", w, $1, d}
        END { printf "round %s %-6s total %.2f %% of a core, fleet threads %.2f %%\n", r, w, tot / s / 10, fl / s / 10 }' r="$r"
  done | tee -a "$OUT/results.txt"
done
echo "results: $OUT/results.txt"
