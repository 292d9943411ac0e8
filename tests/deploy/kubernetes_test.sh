#!/usr/bin/env bash
# deploy/kubernetes/sidecard.yaml: a ConfigMap, a Deployment and a Service;
# native gRPC liveness/readiness probes on a TCP port the daemon listens on;
# a termination grace period above drain-notice + grace-period; and a
# configuration the daemon accepts.
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
assert tcp_ports, "probes need a TCP listener"
values = dict(settings)

pod = by_kind["Deployment"]["spec"]["template"]["spec"]
container = pod["containers"][0]
assert container["args"] == ["--config", "/etc/sidecard/sidecard.conf"], container["args"]
live, ready = container["livenessProbe"]["grpc"], container["readinessProbe"]["grpc"]
assert live["port"] in tcp_ports and ready["port"] in tcp_ports, (live, ready, tcp_ports)
assert live.get("service", "") == "", live
assert ready["service"] == "sidecar.v1.SidecarService", ready
stop = float(values.get("drain-notice", 0)) + float(values.get("grace-period", 10))
assert pod["terminationGracePeriodSeconds"] > stop, (pod["terminationGracePeriodSeconds"], stop)
mounts = {m["mountPath"] for m in container["volumeMounts"]}
assert {"/etc/sidecard", "/run/sidecard", values["allowed-root"]} <= mounts, mounts
service_ports = {p["port"] for p in by_kind["Service"]["spec"]["ports"]}
assert tcp_ports <= service_ports, (tcp_ports, service_ports)

with open(conf_out, "w") as f:
    f.write(conf)
print("manifest: ConfigMap, Deployment, Service; gRPC probes on port(s)", sorted(tcp_ports))
PY

# Every line of the ConfigMap's configuration is a flag the daemon knows
# (--help returns after parsing all of them).
"$build_dir/server/sidecard" --config "$tmp/sidecard.conf" --help >/dev/null ||
  { echo "FAIL: the ConfigMap's sidecard.conf does not parse" >&2; exit 1; }
echo "PASS"
