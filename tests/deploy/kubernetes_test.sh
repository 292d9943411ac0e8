#!/usr/bin/env bash
# deploy/kubernetes: sidecard.yaml (a ConfigMap, a Deployment and a Service)
# and sidecard-daemonset.yaml (a ConfigMap, a DaemonSet and a node-local
# Service). Both: native gRPC liveness/readiness probes (plaintext) on the
# daemon's health-listen port; a TLS TCP listener with a token file, which an
# init container copies out of its Secret with mode 0600; a termination grace
# period above drain-notice + grace-period; the image deploy/container builds,
# tagged with the project's version, run as its user; and a configuration the
# daemon accepts, and starts with (throwaway certificate and tokens).
#
# The DaemonSet besides: one daemon per labelled node, never two at once on
# one node; the node's hostPath mounted where it is on the node; the allowed
# root /srv/photos/NODE from the node's name; the gRPC port a hostPort; the
# Service internalTrafficPolicy: Local. Two daemons stand in for two nodes:
# OPERATING.md's routing (shell and Python) sends each path to the daemon of
# its node, which serves it, and the other node's daemon refuses it.
#
#   tests/deploy/kubernetes_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir=$1
build_dir=$2
tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for log in "$tmp"/*.log; do [[ -f $log ]] && { echo "--- $log" >&2; cat "$log" >&2; }; done
  exit 1
}

sidecard=$build_dir/server/sidecard
sidecarctl=$build_dir/client/cpp/sidecarctl
version=$("$sidecard" --version | awk '{print $2}')

# --- the manifests ---------------------------------------------------------------
# Writes, per manifest, NAME.conf (the ConfigMap's configuration) and
# NAME.args (the container's arguments after --config FILE, one per line).
/usr/bin/python3 - "$source_dir/deploy/kubernetes" "$tmp" "$version" <<'PY'
import sys

import yaml

manifest_dir, out, version = sys.argv[1:]
image = f"localhost/sidecard:{version}"


def check(name, workload_kind):
    with open(f"{manifest_dir}/{name}.yaml") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {d["kind"]: d for d in docs}
    assert set(by_kind) == {"ConfigMap", workload_kind, "Service"}, (name, by_kind.keys())
    assert len(docs) == 3, (name, [d["kind"] for d in docs])

    conf = by_kind["ConfigMap"]["data"]["sidecard.conf"]
    settings = [l.split("=", 1) for l in conf.splitlines() if l and not l.startswith("#")]
    tcp_ports = {int(v.rsplit(":", 1)[1]) for k, v in settings
                 if k == "listen" and not v.startswith("unix:")}
    assert tcp_ports, "clients need a TCP listener"
    values = dict(settings)
    # TCP listeners: TLS and tokens, never plaintext.
    assert "insecure" not in values, values
    assert {"tls-cert", "tls-key", "token-file"} <= set(values), values
    health_port = int(values["health-listen"].rsplit(":", 1)[1])

    workload = by_kind[workload_kind]
    pod = workload["spec"]["template"]["spec"]
    assert workload["spec"]["selector"]["matchLabels"].items() <= \
        workload["spec"]["template"]["metadata"]["labels"].items(), name
    container = pod["containers"][0]
    assert container["args"][:2] == ["--config", "/etc/sidecard/sidecard.conf"], container["args"]
    assert by_kind["ConfigMap"]["metadata"]["name"] == next(
        v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v), name
    live, ready = container["livenessProbe"]["grpc"], container["readinessProbe"]["grpc"]
    assert live["port"] == health_port and ready["port"] == health_port, (live, ready, health_port)
    init = pod["initContainers"][0]
    assert init["command"][:3] == ["install", "-m", "0600"], init["command"]
    assert init["command"][-1] == values["token-file"], (init["command"], values["token-file"])
    assert live.get("service", "") == "", live
    assert ready["service"] == "sidecar.v1.SidecarService", ready
    stop = float(values.get("drain-notice", 0)) + float(values.get("grace-period", 10))
    assert pod["terminationGracePeriodSeconds"] > stop, (pod["terminationGracePeriodSeconds"], stop)
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert {"/etc/sidecard", "/run/sidecard"} <= mounts.keys(), mounts
    assert values["tls-cert"].rsplit("/", 1)[0] in mounts, (values["tls-cert"], mounts)
    assert values["token-file"].rsplit("/", 1)[0] in mounts, (values["token-file"], mounts)
    service = by_kind["Service"]["spec"]
    assert service["selector"].items() <= workload["spec"]["template"]["metadata"]["labels"].items()
    service_ports = {p["port"] for p in service["ports"]}
    assert tcp_ports <= service_ports, (tcp_ports, service_ports)

    # The image deploy/container builds (OPERATING.md's tag, checked by
    # container_test.sh), at the project's version, run as its user.
    for c in pod["initContainers"] + pod["containers"]:
        assert c["image"] == image, (name, c["name"], c["image"], image)
        assert c.get("imagePullPolicy") == "IfNotPresent", (name, c["name"])
    security = pod["securityContext"]
    assert security["runAsNonRoot"] is True, security
    assert (security["runAsUser"], security["runAsGroup"]) == (10001, 10001), security

    with open(f"{out}/{name}.conf", "w") as f:
        f.write(conf)
    with open(f"{out}/{name}.args", "w") as f:
        f.write("".join(a + "\n" for a in container["args"][2:]))
    return values, pod, container, service, mounts, tcp_ports, health_port


values, pod, container, service, mounts, tcp_ports, health_port = check("sidecard", "Deployment")
assert values["allowed-root"] in mounts, (values["allowed-root"], mounts)
print("sidecard.yaml: ConfigMap, Deployment, Service; TLS on", sorted(tcp_ports),
      "; gRPC probes on", health_port, "; image", image)

# One daemon per storage node, on that node's own photos.
values, pod, container, service, mounts, tcp_ports, health_port = check(
    "sidecard-daemonset", "DaemonSet")
daemonset = yaml.safe_load_all(open(f"{manifest_dir}/sidecard-daemonset.yaml"))
spec = next(d for d in daemonset if d["kind"] == "DaemonSet")["spec"]
rolling = spec["updateStrategy"]["rollingUpdate"]
assert spec["updateStrategy"]["type"] == "RollingUpdate" and rolling["maxSurge"] == 0, \
    "two daemons would write one node's photos during an update"
assert pod["nodeSelector"] == {"sidecard/photos": "true"}, pod["nodeSelector"]
assert "allowed-root" not in values, "the allowed root is the node's, from the arguments"
env = {e["name"]: e for e in container["env"]}
assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName", env
assert container["args"][2:] == ["--allowed-root=/srv/photos/$(NODE_NAME)"], container["args"]
photos = next(v for v in pod["volumes"] if v["name"] == mounts["/srv/photos"])
assert photos["hostPath"] == {"path": "/srv/photos", "type": "Directory"}, photos
grpc = next(p for p in container["ports"] if p["name"] == "grpc")
assert grpc["containerPort"] == grpc["hostPort"] and grpc["containerPort"] in tcp_ports, grpc
assert service["internalTrafficPolicy"] == "Local", service
with open(f"{out}/hostport", "w") as f:
    f.write(str(grpc["hostPort"]))
print("sidecard-daemonset.yaml: ConfigMap, DaemonSet (maxSurge 0, hostPath /srv/photos,",
      "root /srv/photos/$(NODE_NAME), hostPort", grpc["hostPort"], "), Service (Local)")
PY

# Every line of each ConfigMap's configuration, with the container's
# arguments, is a flag the daemon knows (--help returns after parsing all).
for name in sidecard sidecard-daemonset; do
  mapfile -t args <"$tmp/$name.args"
  "$sidecard" --config "$tmp/$name.conf" "${args[@]}" --help >/dev/null ||
    fail "$name.yaml: the ConfigMap's sidecard.conf and the arguments do not parse"
done

# --- the daemon starts with them --------------------------------------------------
# Their paths moved into $tmp and their ports made free ones: a throwaway
# certificate and token file stand in for the Secrets.
(cd "$tmp" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout tls.key -out tls.crt -days 1 -subj /CN=localhost 2>/dev/null)
printf 'read-write %s\n' "$(openssl rand -hex 16)" >"$tmp/tokens"
chmod 600 "$tmp/tokens"

# start NAME CONF [ARG...]: starts the daemon with CONF localised (socket
# $tmp/NAME.sock), waits for its health port and sets $health_port.
start() {
  local name=$1 conf=$2
  shift 2
  sed -e "s|^allowed-root=/|allowed-root=$tmp/|" \
      -e "s|^listen=unix:.*|listen=unix:$tmp/$name.sock|" \
      -e "s|=0.0.0.0:[0-9]*|=127.0.0.1:0|" \
      -e "s|^tls-cert=.*|tls-cert=$tmp/tls.crt|" -e "s|^tls-key=.*|tls-key=$tmp/tls.key|" \
      -e "s|^token-file=.*|token-file=$tmp/tokens|" \
      "$conf" >"$tmp/$name.local.conf"
  "$sidecard" --config "$tmp/$name.local.conf" "$@" 2>"$tmp/$name.log" &
  pids+=($!)
  health_port=""
  for _ in $(seq 100); do
    health_port=$(sed -n 's/.*health checks .* on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/$name.log")
    [[ -n $health_port ]] && break
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n $health_port ]] || fail "$name: the daemon did not start with the manifest's configuration"
  "$sidecarctl" --address "127.0.0.1:$health_port" --timeout 5 \
    health --service sidecar.v1.SidecarService >/dev/null ||
    fail "$name: the probe port does not answer SERVING"
}
stop_all() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid"
    wait "$pid" || fail "a daemon did not stop cleanly"
  done
  pids=()
}

mkdir -p "$tmp/photos"
start deployment "$tmp/sidecard.conf"
echo "sidecard.yaml: the daemon starts with its configuration; the probe port is SERVING"

# Two nodes, each with its library under /srv/photos/NODE (here $tmp/srv/...),
# the same relative path in both.
hostport=$(cat "$tmp/hostport")
for node in node-a node-b; do
  mkdir -p "$tmp/srv/photos/$node/game"
  printf 'jpeg' >"$tmp/srv/photos/$node/game/IMG_1.jpg"
  # $(NODE_NAME) expanded as Kubernetes does; /srv/... moved into $tmp.
  mapfile -t args < <(sed -e "s|[$](NODE_NAME)|$node|g" -e "s|=/srv/|=$tmp/srv/|" \
    "$tmp/sidecard-daemonset.args")
  start "$node" "$tmp/sidecard-daemonset.conf" "${args[@]}"
done

# OPERATING.md's routing, in shell and in Python.
/usr/bin/python3 - "$source_dir/deploy/OPERATING.md" "$tmp" <<'PY' || fail "OPERATING.md's routing"
import re, sys
text = open(sys.argv[1]).read()
section = re.search(r"^### A library per node\n(.*?)(?=^##|\Z)", text, re.M | re.S).group(1)
sh = re.findall(r"^```sh\n.*?^(sidecard_node_address\(\) \{.*?^\}\n)", section, re.M | re.S)
py = re.findall(r"^```python\n.*?^(def sidecard_node_address\(.*?)(?=^\S)", section, re.M | re.S)
assert len(sh) == 1 and len(py) == 1, ("one shell and one Python sidecard_node_address", sh, py)
open(sys.argv[2] + "/route.sh", "w").write(sh[0])
open(sys.argv[2] + "/route.py", "w").write(py[0])
PY
# shellcheck source=/dev/null
source "$tmp/route.sh"
route_py() {
  /usr/bin/python3 -c 'import sys; exec(open(sys.argv[1]).read())
print(sidecard_node_address(sys.argv[2]))' "$tmp/route.py" "$1"
}
for case in "/srv/photos/node-a/game/IMG_1.jpg node-a" "/srv/photos/node-b/game node-b" \
  "/srv/photos/node-b node-b"; do
  read -r path node <<<"$case"
  [[ $(sidecard_node_address "$path") == "$node:$hostport" ]] ||
    fail "shell routing: $path → $(sidecard_node_address "$path"), not $node:$hostport"
  [[ $(route_py "$path") == "$node:$hostport" ]] ||
    fail "Python routing: $path → $(route_py "$path"), not $node:$hostport"
done
for path in /srv/other/x.jpg /srv/photos /srv/photos/ /srv/photos/../x.jpg relative/x.jpg; do
  if sidecard_node_address "$path" >/dev/null 2>&1; then fail "shell routing accepted '$path'"; fi
  if route_py "$path" >/dev/null 2>&1; then fail "Python routing accepted '$path'"; fi
done

# Each path, routed, reaches the daemon that serves it; the other node's
# daemon refuses it.
for node in node-a node-b; do
  path=/srv/photos/$node/game
  address=$(sidecard_node_address "$path")
  routed=${address%:*}
  other=$([[ $routed == node-a ]] && echo node-b || echo node-a)
  stats=$("$sidecarctl" --address "unix:$tmp/$routed.sock" --timeout 10 --json stats "$tmp$path") ||
    fail "$routed's daemon refused its own $path"
  /usr/bin/python3 -c 'import json, sys; assert json.loads(sys.argv[1])["total_images"] == 1' \
    "$stats" || fail "$routed: stats $path: $stats"
  if "$sidecarctl" --address "unix:$tmp/$other.sock" --timeout 10 stats "$tmp$path" \
      >"$tmp/misrouted.out" 2>&1; then
    fail "$other's daemon served $path, which $routed holds"
  fi
  grep -qi "allowed root" "$tmp/misrouted.out" ||
    fail "$other's refusal of $path does not say why: $(cat "$tmp/misrouted.out")"
done
echo "sidecard-daemonset.yaml: two node daemons start; each path is routed to its node," \
  "the other node's daemon refuses it ($(head -1 "$tmp/misrouted.out"))"

stop_all
echo "PASS"
