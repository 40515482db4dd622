#!/bin/sh
# Installs clearip-proxy as a systemd service. Idempotent: run it again to upgrade the jar and
# the unit; an existing configuration file is never overwritten.
#
#   install.sh [--jar FILE] [--prefix DIR] [--sysconfdir DIR] [--statedir DIR]
#              [--unitdir DIR] [--user NAME] [--java PATH] [--no-enable]
#
# Defaults: jar ops/target/clearip-proxy.jar of this checkout (or clearip-proxy.jar beside this
# script), prefix /opt/clearip-proxy, sysconfdir /etc/clearip-proxy, statedir
# /var/lib/clearip-proxy, unitdir /etc/systemd/system, user clearip-proxy, java from PATH.
# DESTDIR=/some/root installs below that directory (for packaging and tests): no user is
# created, nothing is chowned and systemd is not touched.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
jar=""
prefix=/opt/clearip-proxy
sysconfdir=/etc/clearip-proxy
statedir=/var/lib/clearip-proxy
unitdir=/etc/systemd/system
user=clearip-proxy
java=""
enable=yes
root=${DESTDIR:-}

die() { echo "install.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --sysconfdir) sysconfdir=$2; shift 2 ;;
    --statedir) statedir=$2; shift 2 ;;
    --unitdir) unitdir=$2; shift 2 ;;
    --user) user=$2; shift 2 ;;
    --java) java=$2; shift 2 ;;
    --no-enable) enable=no; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done

if [ -z "$jar" ]; then
  for candidate in "$here/../../target/clearip-proxy.jar" "$here/clearip-proxy.jar"; do
    if [ -f "$candidate" ]; then jar=$candidate; break; fi
  done
fi
[ -n "$jar" ] && [ -f "$jar" ] || die "no jar found; build it (mvn -B -q package -DskipTests) or pass --jar FILE"
if [ -z "$java" ]; then
  java=$(command -v java || true)
  [ -n "$java" ] || die "java not found on PATH; install Java 17+ or pass --java PATH"
fi
case "$java" in /*) ;; *) die "--java must be an absolute path" ;; esac

live=no
if [ -z "$root" ]; then
  [ "$(id -u)" -eq 0 ] || die "run as root (or set DESTDIR to install into a directory)"
  live=yes
fi

# the unprivileged system user the service runs as
if [ "$live" = yes ] && ! getent passwd "$user" >/dev/null 2>&1; then
  nologin=/usr/sbin/nologin
  [ -x "$nologin" ] || nologin=/sbin/nologin
  useradd --system --user-group --no-create-home --home-dir "$statedir" \
    --shell "$nologin" --comment "clearip-proxy" "$user"
  echo "created system user $user"
fi

install -d -m 0755 "$root$prefix/lib" "$root$unitdir"
install -d -m 0750 "$root$sysconfdir" "$root$statedir" "$root$statedir/traces"
install -m 0644 "$jar" "$root$prefix/lib/clearip-proxy.jar.new"
mv -f "$root$prefix/lib/clearip-proxy.jar.new" "$root$prefix/lib/clearip-proxy.jar"
echo "installed $root$prefix/lib/clearip-proxy.jar"

conf="$root$sysconfdir/clearip-proxy.conf"
if [ -e "$conf" ]; then
  echo "kept $conf"
else
  sed -e "s|/var/lib/clearip-proxy/|$statedir/|g" "$here/clearip-proxy.conf" > "$conf.new"
  chmod 0640 "$conf.new"
  mv -f "$conf.new" "$conf"
  echo "installed $conf (edit access.allow and the TLS listener, then start the service)"
fi

sed -e "s|@PREFIX@|$prefix|g" -e "s|@SYSCONFDIR@|$sysconfdir|g" \
    -e "s|@STATEDIR@|$statedir|g" -e "s|@USER@|$user|g" -e "s|@JAVA@|$java|g" \
    -e "s|@JAR@|$prefix/lib/clearip-proxy.jar|g" \
    "$here/clearip-proxy.service" > "$root$unitdir/clearip-proxy.service.new"
chmod 0644 "$root$unitdir/clearip-proxy.service.new"
mv -f "$root$unitdir/clearip-proxy.service.new" "$root$unitdir/clearip-proxy.service"
echo "installed $root$unitdir/clearip-proxy.service"

if [ "$live" = yes ]; then
  chown -R "root:$user" "$sysconfdir"
  chown -R "$user:$user" "$statedir"
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    if [ "$enable" = yes ]; then systemctl enable clearip-proxy.service; fi
    echo "start with: systemctl start clearip-proxy; logs: journalctl -u clearip-proxy -f"
  else
    echo "systemd is not running here: the unit is installed but not enabled"
  fi
fi
