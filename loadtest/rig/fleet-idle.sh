#!/usr/bin/env bash
# fleet-idle.sh - what being a fleet node costs when no call comes: the CPU of an idle proxy
# that is node A of a 3-node fleet, against an idle proxy with cluster.enabled = off, over the
# same SECONDS of one run, per thread group (the fleet's own threads are named clearip-fleet-*).
#
# usage: fleet-idle.sh [SECONDS [ROUNDS]]     (default 30 1)
#   Needs openssl (the fleet's certificates go to $RIG_WORK/fleet-certs, as cluster-overhead.sh
#   makes them) and the shaded jar (mvn -B -q package -DskipTests). Linux only (/proc).
# Everything binds to 127.0.0.1; the four proxies started here are stopped by their PIDs.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="$here/../../ops/target/clearip-proxy.jar"
[ -f "$jar" ] || { echo "$jar not found; build first: mvn -B -q package -DskipTests" >&2; exit 2; }
command -v openssl >/dev/null || { echo "openssl is needed for the fleet's certificates" >&2; exit 2; }
SECS="${1:-30}"; ROUNDS="${2:-1}"
export RIG_WORK="${RIG_WORK:-${TMPDIR:-/tmp}/clearip-rig}"
CERTS="$RIG_WORK/fleet-certs"; mkdir -p "$CERTS"
OUT="$RIG_WORK/fleet-idle-$(date +%Y%m%d-%H%M%S)"; mkdir -p "$OUT"
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
SEEDS='["127.0.0.1:25532", "127.0.0.1:25533", "127.0.0.1:25531"]'
PIDS=()
stop_all() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done; }
trap stop_all EXIT
start() { # name sip-port [cluster-port]
  { cat <<CONF
clearip-proxy {
  listen { udp = ["127.0.0.1:$2"], tcp = [], tls = [] }
  admin.listen = ""
  warmup.enabled = off
  upstream.uri = "sip:127.0.0.1:9;transport=tcp"
}
CONF
    if [ -n "${3:-}" ]; then cat <<CONF
clearip-proxy.cluster {
  enabled = on
  bind = "127.0.0.1:$3"
  seed-nodes = $SEEDS
  tls-certificate = "$CERTS/${1}.crt"
  tls-private-key = "$CERTS/${1}.key"
  tls-ca-file = "$CERTS/ca.crt"
}
CONF
    fi; } >"$OUT/$1.conf"
  opts=(); [ "$1" = a ] && [ -n "${A_JAVA_OPTS:-}" ] && read -ra opts <<<"$A_JAVA_OPTS"
  java -Xms128m -Xmx256m "${opts[@]}" -jar "$jar" run --config "$OUT/$1.conf" >"$OUT/$1.log" 2>&1 &
  PIDS+=($!)
}
start b 5192 25532; start c 5193 25533; start a 5191 25531; A=${PIDS[2]}
start alone 5194; ALONE=${PIDS[3]}
# wait until A is Up in the fleet (its log says so) and both have settled
for _ in $(seq 1 120); do grep -q 'Welcome from\|is Up\|joined the fleet\|Member is Up' "$OUT/a.log" 2>/dev/null && break; sleep 0.5; done
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
