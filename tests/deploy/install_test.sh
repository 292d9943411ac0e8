#!/usr/bin/env bash
# Installation: `cmake --install` into a staging prefix puts every piece where
# deploy/install.cmake says; the INSTALLED daemon, sidecarctl, Python package
# and C++ CMake package work from there; CPack builds a .deb with the unit, the
# configuration as a conffile, the maintainer scripts and shared-library
# dependencies.
#
#   tests/deploy/install_test.sh SOURCE_DIR BUILD_DIR
#
# Daemons listen on a Unix socket in a temporary directory and are stopped
# (SIGTERM) before the test ends, whatever happens.
set -euo pipefail
source_dir=$1
build_dir=$2

tmp=$(mktemp -d)
daemon_pid=
cleanup() {
  if [[ -n $daemon_pid ]] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid"
    wait "$daemon_pid" || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f $tmp/daemon.log ]] && { echo "--- daemon log ---" >&2; cat "$tmp/daemon.log" >&2; }
  exit 1
}

# --- layout -------------------------------------------------------------------
stage=$tmp/stage
cmake --install "$build_dir" --prefix "$stage" >"$tmp/install.log"
for path in bin/sidecard bin/sidecarctl bin/sportball-sidecar-rust bin/image-sidecar-rust \
  libexec/sidecard/rust-cli \
  lib/systemd/system/sidecard.service etc/sidecard/sidecard.conf \
  share/doc/sidecard/OPERATING.md share/doc/sidecard/examples/sidecard.conf \
  share/doc/sidecard/examples/sidecard.yaml \
  include/sidecard/client/cpp/client.h include/sidecard/client/cpp/request_path.h \
  include/sidecard/sidecar/v1/sidecar.grpc.pb.h \
  include/sidecard/grpc/health/v1/health.grpc.pb.h \
  lib/cmake/sidecard/sidecardConfig.cmake lib/cmake/sidecard/sidecardTargets.cmake \
  lib/python3/dist-packages/sidecard/__init__.py \
  lib/python3/dist-packages/sidecard/_gen/sidecar/v1/sidecar_pb2.py \
  share/sidecard/python-compat/image_sidecar_rust/__init__.py; do
  [[ -e $stage/$path ]] || fail "not installed: $path"
done
cmp -s "$source_dir/deploy/sidecard.conf" "$stage/etc/sidecard/sidecard.conf" ||
  fail "etc/sidecard/sidecard.conf is not deploy/sidecard.conf"
# A second install keeps the administrator's configuration.
echo "allowed-root=/edited" >>"$stage/etc/sidecard/sidecard.conf"
cmake --install "$build_dir" --prefix "$stage" >"$tmp/install2.log"
grep -q "Keeping: $stage/etc/sidecard/sidecard.conf" "$tmp/install2.log" ||
  fail "no 'Keeping' line on reinstall"
grep -qx "allowed-root=/edited" "$stage/etc/sidecard/sidecard.conf" ||
  fail "a reinstall overwrote the configuration"
echo "layout: ok"

# --- the installed daemon and clients -------------------------------------------
photos=$tmp/photos
mkdir -p "$photos/game"
printf 'jpeg' >"$photos/game/IMG_1.jpg"
printf 'jpeg' >"$photos/game/IMG_2.jpg"
socket=$tmp/sidecard.sock
cat >"$tmp/sidecard.conf" <<CONF
allowed-root=$photos
listen=unix:$socket
workers=1
CONF
"$stage/bin/sidecard" --config "$tmp/sidecard.conf" 2>"$tmp/daemon.log" &
daemon_pid=$!
ctl=("$stage/bin/sidecarctl" --address "unix:$socket" --timeout 10)
for _ in $(seq 1 500); do
  [[ -S $socket ]] && break
  kill -0 "$daemon_pid" 2>/dev/null || fail "the installed daemon exited"
  sleep 0.02
done
health=$("${ctl[@]}" health) || fail "health: exit $?"
[[ $health == SERVING ]] || fail "health said '$health'"
stats=$("${ctl[@]}" --json stats "$photos") || fail "stats: exit $?"
/usr/bin/python3 -c 'import json, sys; s = json.loads(sys.argv[1]); assert s["total_images"] == 2, s' \
  "$stats" || fail "stats: $stats"
echo "installed daemon and sidecarctl: SERVING, stats total_images=2"

# The Python package from the staged dist-packages (the compat command too).
PYTHONPATH="$stage/lib/python3/dist-packages" /usr/bin/python3 - "unix:$socket" "$photos" "$stage" <<'PY' ||
import sys

import sidecard

client = sidecard.Client(sys.argv[1])
assert client.health() == "SERVING"
stats = client.stats(sys.argv[2])
assert stats["total_images"] == 2, stats
assert sidecard.__file__.startswith(sys.argv[3] + "/"), sidecard.__file__
print("installed Python package:", sidecard.__file__)
PY
  fail "the installed Python package"
"$stage/bin/image-sidecar-rust" --help >/dev/null || fail "installed image-sidecar-rust --help"
# The native command hands SIDECARD_AUTOSTART calls to the installed Python
# implementation, found beside it.
PYTHONPATH="$stage/lib/python3/dist-packages" "$stage/libexec/sidecard/rust-cli" --help \
  >/dev/null || fail "installed libexec/sidecard/rust-cli --help"

# A C++ program built against the staged CMake package.
mkdir -p "$tmp/consumer"
# The example of the README's "From C++" section, as written there.
/usr/bin/python3 - "$source_dir/README.md" "$tmp/consumer" <<'PY' || fail "README.md has no From C++ example"
import re, sys
text = open(sys.argv[1]).read()
section = re.search(r"^## From C\+\+\n(.*?)(?=^## )", text, re.M | re.S).group(1)
cmake = re.search(r"^```cmake\n(.*?)^```", section, re.M | re.S).group(1)
cpp = re.search(r"^```cpp\n(.*?)^```", section, re.M | re.S).group(1)
open(sys.argv[2] + "/CMakeLists.txt", "w").write(cmake)
open(sys.argv[2] + "/probe.cc", "w").write(cpp)
PY
cmake -S "$tmp/consumer" -B "$tmp/consumer/build" -G Ninja -DCMAKE_PREFIX_PATH="$stage" \
  >"$tmp/consumer.log" 2>&1 || { cat "$tmp/consumer.log" >&2; fail "find_package(sidecard)"; }
cmake --build "$tmp/consumer/build" >>"$tmp/consumer.log" 2>&1 ||
  { cat "$tmp/consumer.log" >&2; fail "building against sidecard::client"; }
probe=$("$tmp/consumer/build/probe" "unix:$socket") || fail "the consumer's call failed"
[[ $probe == "$("$stage/bin/sidecard" --version | cut -d' ' -f2) 1" ]] || fail "consumer said '$probe'"
echo "find_package(sidecard) consumer: $probe"

kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "the installed daemon exited with $? on SIGTERM"
daemon_pid=

# --- the .deb -------------------------------------------------------------------
cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log" >&2; fail "cpack"; }
deb=$(ls "$tmp"/pkg/sidecard_*_*.deb)
[[ $(dpkg-deb -f "$deb" Package) == sidecard ]] || fail "package name"
depends=$(dpkg-deb -f "$deb" Depends)
for dependency in adduser libsystemd0 'libgrpc++' libprometheus-cpp-pull; do
  grep -q "$dependency" <<<"$depends" || fail "Depends lacks $dependency: $depends"
done
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/sidecard ./usr/bin/sidecarctl ./usr/lib/systemd/system/sidecard.service \
  ./etc/sidecard/sidecard.conf ./usr/share/doc/sidecard/OPERATING.md \
  ./usr/include/sidecard/client/cpp/client.h ./usr/lib/cmake/sidecard/sidecardConfig.cmake \
  ./usr/lib/python3/dist-packages/sidecard/__init__.py; do
  grep -qxF "$path" <<<"$contents" || fail "the .deb lacks $path"
done
dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/sidecard/sidecard.conf "$tmp/control/conffiles" || fail "conffiles"
grep -q 'adduser --system' "$tmp/control/postinst" || fail "postinst does not create the user"
for script in postinst prerm postrm; do sh -n "$tmp/control/$script" || fail "$script syntax"; done
dpkg-deb -x "$deb" "$tmp/root"
grep -qx 'ExecStart=/usr/bin/sidecard --config /etc/sidecard/sidecard.conf' \
  "$tmp/root/usr/lib/systemd/system/sidecard.service" || fail "the packaged unit's ExecStart"
echo "deb: $(basename "$deb"), Depends: $depends"
echo "PASS"
