#!/usr/bin/env bash
# The systemd unit: `systemd-analyze security --offline=true` rates it 2.0 or
# lower, and `systemd-analyze verify` finds nothing to say about it.
#
#   tests/deploy/systemd_unit_test.sh SOURCE_DIR BUILD_DIR
#
# verify checks that ExecStart's binary exists, which /usr/bin/sidecard does
# not on a build machine. So the test installs the build into a staging
# prefix and verifies the installed unit, whose ExecStart (and --config) the
# install pointed into that prefix; it is otherwise the committed unit, which
# the test also checks. Needs no running systemd.
set -euo pipefail
source_dir=$1
build_dir=$2
committed="$source_dir/deploy/sidecard.service"
max_exposure=2.0

fail() { echo "FAIL: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze is missing (scripts/setup installs systemd)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build_dir" --prefix "$tmp/stage" >/dev/null
installed="$tmp/stage/lib/systemd/system/sidecard.service"
[[ -f $installed ]] || fail "cmake --install did not install $installed"

# The installed unit is the committed one with its paths in the prefix.
grep -qx "ExecStart=$tmp/stage/bin/sidecard --config $tmp/stage/etc/sidecard/sidecard.conf" \
  "$installed" || fail "installed ExecStart: $(grep ^ExecStart "$installed")"
diff <(grep -v '^#' "$committed") \
  <(grep -v '^#' "$installed" | sed "s#$tmp/stage/bin/#/usr/bin/#; s#$tmp/stage/etc/#/etc/#; s#$tmp/stage/share/#/usr/share/#") \
  || fail "the installed unit differs from deploy/sidecard.service beyond its paths"

# What the daemon relies on.
for line in Type=notify NotifyAccess=main 'ExecReload=/bin/kill -HUP $MAINPID' WatchdogSec=30s \
  RuntimeDirectory=sidecard User=sidecard ProtectSystem=strict NoNewPrivileges=yes \
  PrivateTmp=yes 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
  SystemCallFilter=@system-service CapabilityBoundingSet=; do
  grep -qxF "$line" "$committed" || fail "deploy/sidecard.service lacks '$line'"
done

verify_output=$(systemd-analyze verify "$installed" 2>&1) || fail "systemd-analyze verify: $verify_output"
[[ -z $verify_output ]] || fail "systemd-analyze verify is not clean: $verify_output"
echo "systemd-analyze verify: clean"

for unit in "$committed" "$installed"; do
  report=$(systemd-analyze security --offline=true "$unit" 2>&1) || true
  exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$report")
  [[ -n $exposure ]] || fail "no exposure level in: $report"
  echo "systemd-analyze security: $exposure ($unit)"
  awk -v e="$exposure" -v max="$max_exposure" 'BEGIN { exit !(e <= max) }' ||
    fail "exposure $exposure is above $max_exposure:"$'\n'"$(grep '✗' <<<"$report")"
done
echo "PASS"
