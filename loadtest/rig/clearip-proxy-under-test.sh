#!/usr/bin/env bash
# clearip-proxy-under-test.sh - runs clearip-proxy as the "proxy under test" of the
# comparison rig (a SIPp switch -> proxy -> ClearIP emulator rig that also runs Kamailio).
#
# The rig starts it in the foreground (PROXY_CMD) and stops it with SIGTERM. It turns the
# rig's environment into a proxy configuration file and execs the JVM (so SIGTERM reaches it):
#   PROXY_MODE    tls | inline (inline: record-route on and udp-max-size 0, like the rig's
#                 Kamailio, which Record-Routes and sends UDP whatever the size)
#   UPSTREAM_URI  sip URI of the screening service, e.g. sip:127.0.0.1:5061;transport=tls
#   RIG_CA        PEM CA that signed the service's certificate (SAN 127.0.0.1)
#   RIG_CERT/RIG_KEY  certificate and key for our own TLS listener (off unless PROXY_TLS_LISTEN=1)
#   RIG_RUN_DIR   scratch folder of the run: proxy.conf is written there
# Optional:
#   JAVA_OPTS           JVM options (default: 512 MB-1 GB heap, G1)
#   PROXY_EXTRA_CONF    HOCON appended to the generated file (e.g. dispatcher settings)
#   PROXY_TLS_LISTEN=1  also listen for TLS on 127.0.0.1:5061+1000 with RIG_CERT/RIG_KEY
#   PROXY_JFR=SECONDS   record a Java Flight Recording of that length into RIG_RUN_DIR
#   PROXY_JAR           the shaded jar to run (default: this checkout's build), e.g. an older
#                       build kept aside to compare two versions on the same rig
#
# The per-call summary logger is set to WARN unless CLEARIP_CALL_LOG_LEVEL is given: one INFO
# line per call on the console would otherwise be part of what is measured.
#
# usage (from the rig's folder):
#   PROXY_NAME=ours PROXY_CMD=/path/to/loadtest/rig/clearip-proxy-under-test.sh ./bench.sh tls503 3000 20
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
jar="${PROXY_JAR:-$here/../../ops/target/clearip-proxy.jar}"
[ -f "$jar" ] || { echo "clearip-proxy-under-test: $jar not found; build first: mvn -B -q package -DskipTests" >&2; exit 2; }
: "${UPSTREAM_URI:?}" "${RIG_CA:?}" "${RIG_RUN_DIR:?}"

inline_conf=''
case "${PROXY_MODE:-tls}" in
  tls) mode=tls-proxy ;;
  inline) mode=inline
          inline_conf='inline {
    record-route = on
    udp-max-size = 0
  }' ;;
  *) echo "clearip-proxy-under-test: unknown PROXY_MODE ${PROXY_MODE}" >&2; exit 2 ;;
esac

if [ "${PROXY_TLS_LISTEN:-0}" = 1 ]; then
  tls_listen='tls = ["127.0.0.1:6061"]'
  tls_cert="tls-certificate = \"${RIG_CERT:?}\""
  tls_key="tls-private-key = \"${RIG_KEY:?}\""
else
  tls_listen='tls = []'; tls_cert=''; tls_key=''
fi

conf="$RIG_RUN_DIR/proxy.conf"
cat > "$conf" <<CONF
clearip-proxy {
  mode = $mode
  listen {
    udp = ["127.0.0.1:5060"]
    tcp = []
    $tls_listen
    $tls_cert
    $tls_key
  }
  access.allow = ["127.0.0.0/8", "::1/128"]
  upstream {
    uri = "$UPSTREAM_URI"
    # like the rig's Kamailio: 2 s screening timeout, one persistent connection
    timeout = 2s
    connections = 1
    tls.ca-file = "$RIG_CA"
  }
  $inline_conf
}
${PROXY_EXTRA_CONF:-}
CONF

export CLEARIP_CALL_LOG_LEVEL="${CLEARIP_CALL_LOG_LEVEL:-WARN}"
opts="${JAVA_OPTS:--Xms512m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20}"
if [ -n "${PROXY_JFR:-}" ]; then
  opts="$opts -XX:StartFlightRecording=delay=5s,duration=${PROXY_JFR}s,settings=profile,filename=$RIG_RUN_DIR/proxy.jfr"
fi
# shellcheck disable=SC2086
exec java $opts -jar "$jar" run --config "$conf"
