#!/usr/bin/env bash
# Builds the clearip-proxy container image (OCI) without a container engine or a registry:
#
#   build-image.sh [--jar FILE] [--out DIR] [--tag TAG]
#
# The image holds a Java runtime made by jlink from this machine's JDK (only the modules the
# proxy uses), the few shared libraries that runtime loads (the C library, libstdc++, zlib,
# copied from this machine's Debian packages, listed in
# /usr/share/doc/clearip-proxy/image-packages.txt, their copyright files beside it), the proxy's jar and a starter configuration,
# and a non-root user (clearip-proxy, 10001:10001). No shell, no package manager.
#
# Writes DIR/oci (an OCI image layout, tag TAG) and DIR/clearip-proxy-TAG.tar (the same image as
# a docker-archive: `docker load -i` or `podman load -i` it). Defaults: the jar and DIR
# target/image of the ops module, TAG the jar's version.
# Needs: jlink and the jmods of a JDK 17 (Debian 12: openjdk-17-jdk-headless has both),
# umoci, skopeo, ldd, dpkg. Run it as root (the files' owners go into the image as they are);
# as another user the traces directory is made world-writable instead.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
jar="$here/../../../target/clearip-proxy.jar"
out="$here/../../../target/image"
tag=""
die() { echo "build-image.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --jar) jar=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown option $1 (try --help)" ;;
  esac
done

[ -f "$jar" ] || die "no jar at $jar; build it: mvn -B -q package -DskipTests"
for tool in jlink umoci skopeo ldd; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
jdk=$(dirname "$(dirname "$(readlink -f "$(command -v jlink)")")")
[ -d "$jdk/jmods" ] || die "no jmods in $jdk (Debian 12: apt-get install openjdk-17-jdk-headless)"
if [ -z "$tag" ]; then
  tag=$("$jdk/bin/java" -Xmx64m -jar "$jar" version | sed -n 's/^clearip-proxy //p')
  [ -n "$tag" ] || die "cannot read the version of $jar"
fi

uid=10001
user=clearip-proxy
rootless=()
[ "$(id -u)" -eq 0 ] || rootless=(--rootless)

rm -rf "$out"
mkdir -p "$out"
rootfs="$out/rootfs"
mkdir -p "$rootfs"

# The runtime. jdeps on the jar names java.base, java.desktop (java.beans, for Jackson),
# java.naming, java.rmi, java.sql, jdk.attach, jdk.jfr, jdk.management, jdk.unsupported; with
# the TLS curves (jdk.crypto.ec), the remote JMX agent (jdk.management.agent) and zip file
# systems. java.desktop's native libraries (graphics, fonts, sound) are never loaded: left out,
# and with them X11, freetype and ALSA.
modules=java.base,java.desktop,java.naming,java.rmi,java.sql,jdk.attach,jdk.jfr,jdk.management
modules=$modules,jdk.unsupported,jdk.crypto.ec,jdk.management.agent,jdk.zipfs
jlink --module-path "$jdk/jmods" --add-modules "$modules" \
  --strip-debug --no-man-pages --no-header-files --compress=2 \
  --exclude-files="$(printf 'glob:**/lib/lib%s.so,' awt awt_headless awt_xawt fontmanager \
    javajpeg jawt jsound lcms mlib_image splashscreen)" \
  --output "$rootfs/opt/java"

# The shared libraries it loads, from the Debian packages installed here, at the same paths.
mkdir -p "$rootfs/usr/share/doc/clearip-proxy"
libs=$( { ldd "$rootfs/opt/java/bin/java"; find "$rootfs/opt/java" -name '*.so' -exec ldd {} \; ; } \
  | awk '/libjvm.so => not found/ { next }  # loaded by the launcher before the others
         /not found/ { print "MISSING " $1; next }
         /=> \// { print $3; next }
         /^[[:space:]]*\/[^ ]*ld-linux/ { print $1 }' | sort -u)
if echo "$libs" | grep -q '^MISSING'; then die "libraries not found: $(echo "$libs" | grep MISSING)"; fi
: > "$rootfs/usr/share/doc/clearip-proxy/image-packages.txt"
for lib in $libs; do
  case "$lib" in "$rootfs"/*) continue ;; esac
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
  # dpkg knows a file by the path its package names (/lib/... or /usr/lib/..., before or
  # after the link to the versioned file)
  real=$(readlink -f "$lib")
  pkg=""
  for known in "$lib" "$real" "${real#/usr}" "/usr$lib" "$(dirname "$lib")/$(basename "$real")"; do
    pkg=$(dpkg -S "$known" 2>/dev/null | head -1 | sed 's/: .*//' || true)
    [ -z "$pkg" ] || break
  done
  if [ -n "$pkg" ]; then
    echo "$lib $pkg $(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null)" \
      >> "$rootfs/usr/share/doc/clearip-proxy/image-packages.txt"
    copyright="/usr/share/doc/${pkg%%:*}/copyright"
    if [ -f "$copyright" ]; then install -D -m 0644 "$copyright" "$rootfs$copyright"; fi
  else
    echo "$lib (not from a package)" >> "$rootfs/usr/share/doc/clearip-proxy/image-packages.txt"
  fi
done

# The proxy, its starter configuration (the admin endpoint on every address: a container's
# loopback is its own), the user, the state directory.
install -D -m 0644 "$jar" "$rootfs/usr/share/clearip-proxy/clearip-proxy.jar"
mkdir -p "$rootfs/etc/clearip-proxy"
sed -e 's|^  # admin.listen = "127.0.0.1:9060"|  # on every address: publish it to a management network only (no authentication)\n  admin.listen = "0.0.0.0:9060"|' \
  "$here/../clearip-proxy.conf" > "$rootfs/etc/clearip-proxy/clearip-proxy.conf"
grep -q '^  admin.listen = "0.0.0.0:9060"' "$rootfs/etc/clearip-proxy/clearip-proxy.conf" \
  || die "clearip-proxy.conf has no admin.listen line to adapt"
chmod 0644 "$rootfs/etc/clearip-proxy/clearip-proxy.conf"
printf 'root:x:0:0:root:/root:/sbin/nologin\n%s:x:%s:%s:clearip-proxy:/var/lib/clearip-proxy:/sbin/nologin\n' \
  "$user" "$uid" "$uid" > "$rootfs/etc/passwd"
printf 'root:x:0:\n%s:x:%s:\n' "$user" "$uid" > "$rootfs/etc/group"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group" "$rootfs/etc/nsswitch.conf"
install -d -m 1777 "$rootfs/tmp"
install -d -m 0755 "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
install -d -m 0750 "$rootfs/var/lib/clearip-proxy" "$rootfs/var/lib/clearip-proxy/traces"
if [ ${#rootless[@]} -eq 0 ]; then
  chown -R "$uid:$uid" "$rootfs/var/lib/clearip-proxy"
else
  chmod 1777 "$rootfs/var/lib/clearip-proxy" "$rootfs/var/lib/clearip-proxy/traces"
fi

# One layer on an empty image, then the configuration.
image="$out/oci:$tag"
umoci init --layout "$out/oci"
umoci new --image "$image"
umoci insert "${rootless[@]}" --image "$image" "$rootfs" /
umoci config --image "$image" \
  --config.user "$uid:$uid" \
  --config.workingdir /var/lib/clearip-proxy \
  --config.env "JDK_JAVA_OPTIONS=-Xms512m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20" \
  --config.env "CLEARIP_LOG_LEVEL=INFO" \
  --config.entrypoint /opt/java/bin/java \
  --config.entrypoint -jar \
  --config.entrypoint /usr/share/clearip-proxy/clearip-proxy.jar \
  --config.cmd run --config.cmd --config --config.cmd /etc/clearip-proxy/clearip-proxy.conf \
  --config.exposedports 5060/udp --config.exposedports 5060/tcp \
  --config.exposedports 5061/tcp --config.exposedports 9060/tcp \
  --config.stopsignal SIGTERM \
  --config.label "org.opencontainers.image.title=clearip-proxy" \
  --config.label "org.opencontainers.image.version=$tag" \
  --config.label "org.opencontainers.image.description=SIP proxy between carriers' switches and the ClearIP call-screening cloud"
umoci gc --layout "$out/oci"
rm -rf "$rootfs"

skopeo copy --quiet "oci:$image" "docker-archive:$out/clearip-proxy-$tag.tar:clearip-proxy:$tag"
echo "built clearip-proxy:$tag: $out/oci (OCI layout), $out/clearip-proxy-$tag.tar (docker load -i / podman load -i)"
