# fleet-lib.sh - sourced by cluster-side-by-side.sh and fleet-idle.sh: a 3-node test fleet's
# work folders, certificates, configuration, and the processes started for it. Sourcing sets
# RIG_WORK, CERTS (the certificates' folder) and PIDS, and stops every PID in PIDS at exit;
# cluster_conf reads SEEDS (the seed-nodes list, HOCON).
export RIG_WORK="${RIG_WORK:-${TMPDIR:-/tmp}/clearip-rig}"
CERTS="$RIG_WORK/fleet-certs"
PIDS=()
stop_started() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
}
trap stop_started EXIT

# A root CA and RSA node certificates a, b and c sharing the name clearip-fleet (Pekko's TLS
# provider reads RSA keys only, and checks that peers share a name), in $CERTS; made again when
# missing or expiring within a day (they are valid for two).
fleet_certs() {
  local n stale=
  mkdir -p "$CERTS"
  command -v openssl >/dev/null || { echo "openssl is needed for the fleet's certificates" >&2; return 2; }
  mkdir -p "$CERTS"
  for n in ca a b c; do
    openssl x509 -checkend 86400 -noout -in "$CERTS/$n.crt" >/dev/null 2>&1 || { stale=1; break; }
  done
  [ -n "$stale" ] || return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Fleet CA" \
    -keyout "$CERTS/ca.key" -out "$CERTS/ca.crt" 2>/dev/null || return 2
  for n in a b c; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=node-$n" -keyout "$CERTS/$n.key" \
      -out "$CERTS/$n.csr" 2>/dev/null || return 2
    printf 'subjectAltName=DNS:clearip-fleet,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' \
      >"$CERTS/$n.ext"
    openssl x509 -req -in "$CERTS/$n.csr" -CA "$CERTS/ca.crt" -CAkey "$CERTS/ca.key" \
      -CAcreateserial -days 2 -extfile "$CERTS/$n.ext" -out "$CERTS/$n.crt" 2>/dev/null || return 2
  done
}

# An idle proxy listening for SIP on UDP 127.0.0.1:$1 only, relaying to ClearIP at URI $2, with
# no admin endpoint and no warm-up.
idle_proxy_conf() {
  cat <<CONF
clearip-proxy {
  listen { udp = ["127.0.0.1:$1"], tcp = [], tls = [] }
  admin.listen = ""
  warmup.enabled = off
  upstream.uri = "$2"
}
CONF
}

# The cluster block of node $1 (a, b or c) bound to 127.0.0.1:$2.
cluster_conf() {
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
