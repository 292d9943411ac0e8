#!/usr/bin/env bash
# Installation: `cmake --install` into a staging prefix puts every piece where
# deploy/install.cmake says; the installed man pages render and name every
# flag of the installed programs' help, and the bash and zsh completion
# complete every command and flag; the INSTALLED daemon, sidecarctl, Python
# package and C++ CMake package work from there; CPack builds a .deb with the unit, the
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
  share/sidecard/python-compat/image_sidecar_rust/__init__.py \
  share/sidecard/python-compat/image_sidecar_rust/image_sidecar_rust.py \
  share/man/man8/sidecard.8 share/man/man1/sidecarctl.1 \
  share/bash-completion/completions/sidecarctl share/zsh/vendor-completions/_sidecarctl \
  share/sidecard/proto/sidecar/v1/sidecar.proto \
  share/doc/sidecard/CHANGELOG.md share/doc/sidecard/copyright; do
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
cmp -s "$source_dir/LICENSE" "$stage/share/doc/sidecard/copyright" ||
  fail "share/doc/sidecard/copyright is not LICENSE"
echo "layout: ok"

# --- as shipped: every line of the configuration is commented out ----------------
# The installed daemon refuses to start with exit status 2 (which the unit
# does not retry) and says which file to edit: what `systemctl status` shows.
pristine=$stage/share/doc/sidecard/examples/sidecard.conf
if "$stage/bin/sidecard" --config "$pristine" 2>"$tmp/unconfigured.log"; then
  fail "the daemon started with the shipped configuration"
else
  status=$?
fi
[[ $status == 2 ]] || fail "unconfigured daemon: exit $status, not 2"
grep -qF "no allowed roots configured: edit $pristine and add allowed-root=DIR" \
  "$tmp/unconfigured.log" || fail "unconfigured daemon said: $(cat "$tmp/unconfigured.log")"
grep -qx 'RestartPreventExitStatus=2' "$source_dir/deploy/sidecard.service" ||
  fail "the unit retries a configuration error"
# The package says so at install time (postinst's note, run on the files).
sed -n '/^# --- unconfigured: begin/,/^# --- unconfigured: end/p' \
  "$source_dir/deploy/debian/postinst" >"$tmp/note.sh"
[[ -s $tmp/note.sh ]] || fail "postinst has no unconfigured note"
note=$(sh -c '. "$1"; unconfigured "$2"' sh "$tmp/note.sh" "$pristine" 2>&1)
grep -q "names no photo folder yet" <<<"$note" || fail "no note for the shipped file: '$note'"
grep -q "allowed-root=/srv/photos" <<<"$note" || fail "the note does not say what to add"
printf '# photos\nallowed-root=/srv/photos\n' >"$tmp/edited.conf"
note=$(sh -c '. "$1"; unconfigured "$2"' sh "$tmp/note.sh" "$tmp/edited.conf" 2>&1)
[[ -z $note ]] || fail "a note for a configured file: '$note'"
echo "as shipped: refused with exit 2 and the file to edit; postinst notes it"

# --- manuals, completion, the contract -------------------------------------------
# Each page renders without warnings, carries the version, and names every
# flag (and command) the installed program's help lists, so they cannot drift.
version=$("$stage/bin/sidecard" --version | cut -d' ' -f2)
render() {
  LC_ALL=C MANWIDTH=200 man --warnings -l "$1" 2>"$tmp/man.err" || fail "man -l $1"
  [[ ! -s $tmp/man.err ]] || { cat "$tmp/man.err" >&2; fail "man -l $1 warns"; }
}
render "$stage/share/man/man8/sidecard.8" >"$tmp/sidecard.8.txt"
render "$stage/share/man/man1/sidecarctl.1" >"$tmp/sidecarctl.1.txt"
for page in sidecard.8 sidecarctl.1; do
  grep -q "^NAME" "$tmp/$page.txt" || fail "$page renders without a NAME section"
  grep -q "sidecard $version" "$tmp/$page.txt" || fail "$page does not say version $version"
done
# Flags as help lists them: entry lines ("  --name ...") and usage lines.
# (A command may have none: read, info.)
flags_of() {
  { grep -E '^ *(-h, )?--[a-z]|^Usage' | grep -oE -- '--[a-z][a-z-]*' | grep -vx -- --no- || true; } |
    sort -u
}
for flag in $("$stage/bin/sidecard" --help | flags_of); do
  grep -qe "$flag\b" "$tmp/sidecard.8.txt" || fail "sidecard.8 lacks $flag"
done
ctl_help=$("$stage/bin/sidecarctl" --help)
commands=$(sed -n '/^Commands:/,/^$/p' <<<"$ctl_help" | awk 'NF > 1 {print $1}')
[[ $(wc -w <<<"$commands") -ge 11 ]] || fail "sidecarctl --help lists commands: $commands"
global_flags=$(flags_of <<<"$ctl_help")
for flag in $global_flags; do
  grep -qe "$flag\b" "$tmp/sidecarctl.1.txt" || fail "sidecarctl.1 lacks $flag"
done
declare -A command_flags
for command in $commands; do
  grep -qE "^ {7}$command\b" "$tmp/sidecarctl.1.txt" || fail "sidecarctl.1 lacks command $command"
  [[ $command == help ]] && continue
  command_flags[$command]=$("$stage/bin/sidecarctl" help "$command" | flags_of)
  for flag in ${command_flags[$command]}; do
    grep -qe "$flag\b" "$tmp/sidecarctl.1.txt" || fail "sidecarctl.1 lacks $flag of $command"
  done
done
echo "man pages: render, version $version, every flag and command of --help"

# bash: the installed completion, sourced alone, completes every command and
# every flag each command's help lists.
bash_complete() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _sidecarctl; printf "%s\n" "${COMPREPLY[@]}"' - \
    "$stage/share/bash-completion/completions/sidecarctl" sidecarctl "$@"
}
for command in $commands; do
  # (Here strings, not pipes: grep -q would end the writer with SIGPIPE.)
  grep -qx "$command" <<<"$(bash_complete "${command:0:2}")" || fail "bash does not complete $command"
  [[ $command == help ]] && continue
  offered=$(bash_complete "$command" --)
  for flag in ${command_flags[$command]}; do
    grep -qx -- "$flag" <<<"$offered" || fail "bash does not complete $command $flag"
  done
done
grep -qx jsonl <<<"$(bash_complete --address unix:/x export --format '')" ||
  fail "bash does not complete export --format"
grep -qx json <<<"$(bash_complete convert --to = j)" || fail "bash does not complete convert --to=j"
grep -qx "$stage/share" <<<"$(bash_complete validate "$stage/sh")" ||
  fail "bash does not complete a directory"
echo "bash completion: every command and flag"

# zsh: the same through the completion system on a pseudo-terminal.
if command -v zsh >/dev/null; then
  zsh -n "$stage/share/zsh/vendor-completions/_sidecarctl" || fail "_sidecarctl syntax"
  zsh_complete() {
    timeout 30 zsh "$source_dir/tests/deploy/zsh_complete.zsh" \
      "$stage/share/zsh/vendor-completions" "sidecarctl $1" | sort -u
  }
  offered=$(zsh_complete '')
  for command in $commands; do
    grep -qx "$command" <<<"$offered" || fail "zsh does not complete $command (offered: $offered)"
  done
  for command in $commands; do
    [[ $command == help ]] && continue
    offered=$(zsh_complete "$command --")
    for flag in ${command_flags[$command]}; do
      grep -qx -- "$flag" <<<"$offered" || fail "zsh does not complete $command $flag"
    done
  done
  grep -qx jsonl <<<"$(zsh_complete 'export --format ')" || fail "zsh does not complete export --format"
  echo "zsh completion: every command and flag"
else
  echo "zsh completion: SKIPPED, zsh is not installed (scripts/setup installs it)"
fi

# The installed contract compiles on its own (what a client in another
# language starts from).
protoc -I "$stage/share/sidecard/proto" --descriptor_set_out="$tmp/sidecar.pb" \
  sidecar/v1/sidecar.proto || fail "protoc on the installed sidecar.proto"
echo "proto: share/sidecard/proto/sidecar/v1/sidecar.proto compiles alone"

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
for dependency in adduser libsystemd0 'libgrpc++' libprometheus-cpp-core libcivetweb; do
  grep -q "$dependency" <<<"$depends" || fail "Depends lacks $dependency: $depends"
done
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for path in ./usr/bin/sidecard ./usr/bin/sidecarctl ./usr/lib/systemd/system/sidecard.service \
  ./etc/sidecard/sidecard.conf ./usr/share/doc/sidecard/OPERATING.md \
  ./usr/include/sidecard/client/cpp/client.h ./usr/lib/cmake/sidecard/sidecardConfig.cmake \
  ./usr/lib/python3/dist-packages/sidecard/__init__.py \
  ./usr/share/man/man8/sidecard.8 ./usr/share/man/man1/sidecarctl.1 \
  ./usr/share/bash-completion/completions/sidecarctl \
  ./usr/share/zsh/vendor-completions/_sidecarctl \
  ./usr/share/sidecard/proto/sidecar/v1/sidecar.proto \
  ./usr/share/doc/sidecard/copyright ./usr/share/doc/sidecard/CHANGELOG.md; do
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
