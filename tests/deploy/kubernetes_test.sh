#!/usr/bin/env bash
# deploy/kubernetes/sidecard.yaml: a ConfigMap, a Deployment and a Service;
# native gRPC liveness/readiness probes (plaintext) on the daemon's
# health-listen port; a TLS TCP listener with a token file, which an init
# container copies out of its Secret with mode 0600; a termination grace
# period above drain-notice + grace-period; and a configuration the daemon
# accepts, and starts with (throwaway certificate and tokens).
#
#   tests/deploy/kubernetes_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir=$1
build_dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 - "$source_dir/deploy/kubernetes/sidecard.yaml" "$tmp/sidecard.conf" <<'PY'
import re
import sys

import yaml

manifest, conf_out = sys.argv[1], sys.argv[2]
with open(manifest) as f:
    docs = [d for d in yaml.safe_load_all(f) if d]
by_kind = {d["kind"]: d for d in docs}
assert set(by_kind) == {"ConfigMap", "Deployment", "Service"}, by_kind.keys()

conf = by_kind["ConfigMap"]["data"]["sidecard.conf"]
settings = [l.split("=", 1) for l in conf.splitlines() if l and not l.startswith("#")]
tcp_ports = {int(v.rsplit(":", 1)[1]) for k, v in settings if k == "listen" and not v.startswith("unix:")}
assert tcp_ports, "clients need a TCP listener"
values = dict(settings)
# TCP listeners: TLS and tokens, never plaintext.
assert "insecure" not in values, values
assert {"tls-cert", "tls-key", "token-file"} <= set(values), values
health_port = int(values["health-listen"].rsplit(":", 1)[1])

pod = by_kind["Deployment"]["spec"]["template"]["spec"]
container = pod["containers"][0]
assert container["args"] == ["--config", "/etc/sidecard/sidecard.conf"], container["args"]
live, ready = container["livenessProbe"]["grpc"], container["readinessProbe"]["grpc"]
assert live["port"] == health_port and ready["port"] == health_port, (live, ready, health_port)
init = pod["initContainers"][0]
assert init["command"][:3] == ["install", "-m", "0600"], init["command"]
assert init["command"][-1] == values["token-file"], (init["command"], values["token-file"])
assert live.get("service", "") == "", live
assert ready["service"] == "sidecar.v1.SidecarService", ready
stop = float(values.get("drain-notice", 0)) + float(values.get("grace-period", 10))
assert pod["terminationGracePeriodSeconds"] > stop, (pod["terminationGracePeriodSeconds"], stop)
mounts = {m["mountPath"] for m in container["volumeMounts"]}
assert {"/etc/sidecard", "/run/sidecard", values["allowed-root"]} <= mounts, mounts
assert values["tls-cert"].rsplit("/", 1)[0] in mounts, (values["tls-cert"], mounts)
assert values["token-file"].rsplit("/", 1)[0] in mounts, (values["token-file"], mounts)
service_ports = {p["port"] for p in by_kind["Service"]["spec"]["ports"]}
assert tcp_ports <= service_ports, (tcp_ports, service_ports)

with open(conf_out, "w") as f:
    f.write(conf)
print("manifest: ConfigMap, Deployment, Service; TLS on", sorted(tcp_ports),
      "; gRPC probes on", health_port)
PY

# Every line of the ConfigMap's configuration is a flag the daemon knows
# (--help returns after parsing all of them).
"$build_dir/server/sidecard" --config "$tmp/sidecard.conf" --help >/dev/null ||
  { echo "FAIL: the ConfigMap's sidecard.conf does not parse" >&2; exit 1; }

# The daemon starts with that configuration, its paths moved into $tmp and its
# ports made free ones: a throwaway certificate and token file stand in for
# the Secrets. The probe port answers SERVING in plaintext.
mkdir -p "$tmp/photos"
(cd "$tmp" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout tls.key -out tls.crt -days 1 -subj /CN=localhost 2>/dev/null)
printf 'read-write %s\n' "$(openssl rand -hex 16)" >"$tmp/tokens"
chmod 600 "$tmp/tokens"
sed -e "s|^allowed-root=.*|allowed-root=$tmp/photos|" \
    -e "s|^listen=unix:.*|listen=unix:$tmp/sidecard.sock|" \
    -e "s|=0.0.0.0:[0-9]*|=127.0.0.1:0|" \
    -e "s|^tls-cert=.*|tls-cert=$tmp/tls.crt|" -e "s|^tls-key=.*|tls-key=$tmp/tls.key|" \
    -e "s|^token-file=.*|token-file=$tmp/tokens|" \
    "$tmp/sidecard.conf" >"$tmp/local.conf"
"$build_dir/server/sidecard" --config "$tmp/local.conf" 2>"$tmp/log" &
daemon=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*health checks .* on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/log")
  [[ -n "$port" ]] && break
  kill -0 "$daemon" 2>/dev/null || break
  sleep 0.1
done
status=0
if [[ -z "$port" ]]; then
  echo "FAIL: the daemon did not start with the ConfigMap's configuration:" >&2
  cat "$tmp/log" >&2
  status=1
elif ! "$build_dir/client/cpp/sidecarctl" --address "127.0.0.1:$port" --timeout 5 \
    health --service sidecar.v1.SidecarService; then
  echo "FAIL: the probe port does not answer SERVING" >&2
  status=1
fi
kill -TERM "$daemon" 2>/dev/null || true
wait "$daemon" || { echo "FAIL: the daemon did not stop cleanly" >&2; cat "$tmp/log" >&2; status=1; }
((status == 0)) && echo "PASS"
exit "$status"
