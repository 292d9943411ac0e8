#!/usr/bin/env bash
# deploy/container/Containerfile, without a container engine (none runs
# here): builds the .deb, makes the build context as deploy/OPERATING.md
# ("Build the image") says, and checks the recipe against both:
#
#   - FROM debian:12-slim, one stage, only known instructions;
#   - USER numeric and not root, the uid and gid of a user sidecard that a RUN
#     creates before the .deb is installed (whose postinst keeps an existing
#     user), and those of the Kubernetes manifests' runAsUser/runAsGroup;
#   - every RUN parses (sh -n); apt-get update, install of the COPYed .deb
#     without recommends, lists removed;
#   - every COPY source is in the context; the image's configuration is
#     deploy/container/sidecard.conf, and the daemon parses it;
#   - ENTRYPOINT, CMD and HEALTHCHECK run programs the .deb installs; the
#     directories the configuration uses are created (install -d) for the
#     user, the socket's is a VOLUME; EXPOSE names the manifests' ports;
#   - the tag in OPERATING.md is localhost/sidecard:VERSION, as the manifests.
#
# Then it runs the image's command as the image would, with the .deb's files
# (dpkg-deb -x) and the image's paths moved into a scratch directory: the
# daemon starts with the image's configuration, the HEALTHCHECK command says
# SERVING, sidecarctl counts a photo, and SIGTERM stops it with status 0.
#
#   tests/deploy/container_test.sh SOURCE_DIR BUILD_DIR
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

# --- the .deb and the build context ----------------------------------------------
cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log" >&2; fail "cpack"; }
deb=$(ls "$tmp"/pkg/sidecard_*_*.deb)
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/contents"
dpkg-deb -e "$deb" "$tmp/control"
dpkg-deb -x "$deb" "$tmp/root"
for path in /usr/share/doc/sidecard/examples/sidecard-daemonset.yaml \
  /usr/share/doc/sidecard/examples/container/Containerfile \
  /usr/share/doc/sidecard/examples/container/sidecard.conf; do
  grep -qxF "$path" "$tmp/contents" || fail "the .deb lacks $path"
done

# The context: deploy/container (without any .deb left there) and this .deb.
mkdir "$tmp/context"
(cd "$source_dir/deploy/container" && find . -type f ! -name '*.deb' -print0 |
  xargs -0 cp --parents -t "$tmp/context")
cp "$deb" "$tmp/context/"

# --- the recipe ---------------------------------------------------------------------
# Writes run-N.sh (each RUN), image.argv (ENTRYPOINT + CMD), health.argv
# (HEALTHCHECK CMD), dirs (directories the RUNs create for the user) and
# image.conf (the configuration the image runs with).
/usr/bin/python3 - "$source_dir" "$tmp" "$(basename "$deb")" "$(dpkg-deb -f "$deb" Version)" <<'PY' ||
import fnmatch
import json
import os
import re
import shlex
import sys

import yaml

source_dir, tmp, deb_name, version = sys.argv[1:]
containerfile = f"{source_dir}/deploy/container/Containerfile"
contents = set(open(f"{tmp}/contents").read().split())
context = f"{tmp}/context"

# Logical lines: comments and blank lines dropped, continuations joined.
instructions, pending = [], ""
for line in open(containerfile).read().splitlines():
    if not pending and (not line.strip() or line.lstrip().startswith("#")):
        continue
    if line.endswith("\\"):
        pending += line[:-1]  # the engine joins the lines as they are
        continue
    text = pending + line
    pending = ""
    keyword, _, rest = text.strip().partition(" ")
    instructions.append((keyword.upper(), rest.strip()))
assert not pending, "a continuation at the end of the file"
known = {"FROM", "ARG", "ENV", "LABEL", "COPY", "ADD", "RUN", "USER", "WORKDIR", "VOLUME",
         "EXPOSE", "HEALTHCHECK", "ENTRYPOINT", "CMD", "STOPSIGNAL", "SHELL", "ONBUILD"}
unknown = [k for k, _ in instructions if k not in known]
assert not unknown, f"unknown instructions {unknown}"
by = lambda kind: [rest for k, rest in instructions if k == kind]


def exec_form(rest):
    value = json.loads(rest)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), rest
    return value


# One stage, Debian 12 slim.
assert [k for k, _ in instructions if k != "ARG"][0] == "FROM", "FROM first"
assert len(by("FROM")) == 1, by("FROM")
assert re.fullmatch(r"debian:12-slim(@sha256:[0-9a-f]{64})?", by("FROM")[0]), by("FROM")

# A non-root user: numeric (Kubernetes' runAsNonRoot checks numbers), the
# manifests' uid and gid.
users = by("USER")
assert users, "no USER: the image would run as root"
user = users[-1]
m = re.fullmatch(r"(\d+):(\d+)", user)
assert m, f"USER {user}: give uid:gid as numbers"
uid, gid = int(m[1]), int(m[2])
assert uid != 0 and gid != 0, f"USER {user} is root"
for name in ("sidecard", "sidecard-daemonset"):
    with open(f"{source_dir}/deploy/kubernetes/{name}.yaml") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    workload = next(d for d in docs if d["kind"] in ("Deployment", "DaemonSet"))
    pod = workload["spec"]["template"]["spec"]
    security = pod["securityContext"]
    assert (security["runAsUser"], security["runAsGroup"]) == (uid, gid), (name, security, user)
    ports = {p["containerPort"] for p in pod["containers"][0]["ports"]}
    exposed = {int(p.split("/")[0]) for rest in by("EXPOSE") for p in rest.split()}
    assert exposed == ports, f"EXPOSE {sorted(exposed)}, {name}.yaml's ports {sorted(ports)}"

# COPY: sources in the context (no flags such as --from: one stage).
copied = {}  # destination in the image -> file in the context
for rest in by("COPY"):
    *sources, destination = shlex.split(rest)
    assert not any(s.startswith("--") for s in sources), rest
    for source in sources:
        matches = sorted(f for f in os.listdir(context) if fnmatch.fnmatch(f, source))
        assert matches, f"COPY {source}: nothing in the build context matches"
        for match in matches:
            target = destination + match if destination.endswith("/") else destination
            copied[target] = f"{context}/{match}"
debs = [d for d in copied if fnmatch.fnmatch(os.path.basename(d), "sidecard_*.deb")]
assert len(debs) == 1, f"one .deb COPYed: {debs}"
deb_in_image = debs[0]

# RUN: shell form, parsed later by sh -n; what the commands do, in order.
runs = by("RUN")
for i, rest in enumerate(runs):
    assert not rest.startswith("["), f"RUN {rest}: use the shell form"
    with open(f"{tmp}/run-{i}.sh", "w") as f:
        f.write(rest + "\n")
commands = []
for rest in runs:
    for command in re.split(r"\s*(?:&&|;|\|\|)\s*", rest):
        words = shlex.split(command)
        while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
            words = words[1:]
        if words:
            commands.append(words)


def index(predicate, what):
    found = [i for i, c in enumerate(commands) if predicate(c)]
    assert found, f"no RUN command {what}"
    return found[0]


def option(words, *names):
    for i, w in enumerate(words):
        for n in names:
            if w == n and i + 1 < len(words):
                return words[i + 1]
            if n.startswith("--") and w.startswith(n + "="):
                return w.split("=", 1)[1]
    return None


group_at = index(lambda c: c[0] == "groupadd" and c[-1] == "sidecard"
                 and option(c, "--gid", "-g") == str(gid), f"groupadd --gid {gid} sidecard")
user_at = index(lambda c: c[0] == "useradd" and c[-1] == "sidecard"
                and option(c, "--uid", "-u") == str(uid), f"useradd --uid {uid} ... sidecard")
update_at = index(lambda c: c[:2] == ["apt-get", "update"], "apt-get update")
install_at = index(lambda c: c[:2] == ["apt-get", "install"], "apt-get install")
install = commands[install_at]
assert "--no-install-recommends" in install and ("-y" in install or "--yes" in install), install
installed = [w for w in install[2:] if not w.startswith("-")]
assert installed and all(fnmatch.fnmatch(deb_in_image, w) for w in installed), \
    f"apt-get install {installed} is not the COPYed {deb_in_image}"
assert group_at < install_at and user_at < install_at, "the user must exist before the package"
assert update_at < install_at, "apt-get update before the install"
clean_at = index(lambda c: c[:2] == ["rm", "-rf"] and "/var/lib/apt/lists/*" in c,
                 "rm -rf /var/lib/apt/lists/*")
assert clean_at > install_at, "the apt lists are removed after the install"
postinst = open(f"{tmp}/control/postinst").read()
assert re.search(r"if ! getent passwd sidecard\b", postinst) and \
    re.search(r"if ! getent group sidecard\b", postinst), \
    "the postinst no longer keeps an existing sidecard user, so the image's uid may change"
owners = {"sidecard", str(uid)}
dirs = [w for c in commands if c[0] == "install" and "-d" in c and option(c, "-o") in owners
        and option(c, "-g") in owners | {str(gid)}
        for w in c[1:] if w.startswith("/")]

# ENTRYPOINT + CMD and HEALTHCHECK: programs of the .deb, the configuration
# the COPYed deploy/container/sidecard.conf.
entrypoint, cmd = exec_form(by("ENTRYPOINT")[-1]), exec_form(by("CMD")[-1])
argv = entrypoint + cmd
health = by("HEALTHCHECK")[-1]
health_cmd = exec_form(health[health.index("CMD ") + 4:])
for program in (argv[0], health_cmd[0]):
    assert program in contents, f"{program}: the .deb does not install it"
    assert os.access(f"{tmp}/root{program}", os.X_OK), program
assert argv[0] == "/usr/bin/sidecard" and health_cmd[0] == "/usr/bin/sidecarctl", (argv, health_cmd)
config = argv[argv.index("--config") + 1]
assert config in copied, f"--config {config}: not COPYed into the image"
image_conf = open(copied[config]).read()
assert image_conf == open(f"{source_dir}/deploy/container/sidecard.conf").read()
settings = [l.split("=", 1) for l in image_conf.splitlines() if l and not l.startswith("#")]
sockets = [v[len("unix:"):] for k, v in settings if k == "listen" and v.startswith("unix:")]
assert sockets, "a Unix socket for the health check"
roots = [v for k, v in settings if k == "allowed-root"]
for needed in roots + [os.path.dirname(s) for s in sockets]:
    assert needed in dirs, f"{needed}: no RUN install -d -o sidecard creates it"
volumes = [v for rest in by("VOLUME") for v in (exec_form(rest) if rest.startswith("[")
                                                else rest.split())]
assert os.path.dirname(sockets[0]) in volumes, (sockets, volumes)
assert option(health_cmd, "--address") == "unix:" + sockets[0], (health_cmd, sockets)
assert health_cmd[-1] == "health", health_cmd

# OPERATING.md builds it as the manifests name it.
doc = open(f"{source_dir}/deploy/OPERATING.md").read()
section = re.search(r"^### Build the image\n(.*?)(?=^###)", doc, re.M | re.S).group(1)
block = next(body for lang, body in re.findall(r"^```(\w*)\n(.*?)^```\n", section, re.M | re.S)
             if lang == "sh")
lines = [shlex.split(l, comments=True) for l in block.replace("\\\n", " ").splitlines()]
cp = next(l for l in lines if l and l[0] == "cp")
assert cp[1:] == [f"build/{deb_name}", "deploy/container/"], (cp, deb_name)
build = next(l for l in lines if l[:2] == ["podman", "build"])
image = f"localhost/sidecard:{version}"
assert option(build, "-t", "--tag") == image, (build, image)
assert option(build, "-f", "--file") == "deploy/container/Containerfile", build
assert option(build, "--format") == "docker", "the OCI format drops the HEALTHCHECK"
assert build[-1] == "deploy/container", build
# The TCP configuration of "Run it" parses (below).
section = re.search(r"^### Run it\n(.*?)(?=^###)", doc, re.M | re.S).group(1)
tcp_conf = next(body for lang, body in re.findall(r"^```(\w*)\n(.*?)^```\n", section, re.M | re.S)
                if not lang)
assert "listen=0.0.0.0:50051" in tcp_conf and "token-file=" in tcp_conf, tcp_conf

# The image's paths, moved into the scratch directory.
def moved(path):
    path = re.sub(r"^/(run|srv|etc)/", tmp + r"/\1/", path)
    return re.sub(r"^/usr/", tmp + "/root/usr/", path)



with open(f"{tmp}/image.conf", "w") as f:
    for line in image_conf.splitlines():
        key, eq, value = line.partition("=")
        if eq and not line.startswith("#"):
            value = ("unix:" + moved(value[5:])) if value.startswith("unix:") else moved(value)
        f.write(key + eq + value + "\n")
os.makedirs(os.path.dirname(moved(config)))
os.rename(f"{tmp}/image.conf", moved(config))
with open(f"{tmp}/image.argv", "w") as f:
    f.write("".join(moved(a) + "\n" for a in argv))
with open(f"{tmp}/health.argv", "w") as f:
    f.write("".join(("unix:" + moved(a[5:]) if a.startswith("unix:") else moved(a)) + "\n"
                    for a in health_cmd))
with open(f"{tmp}/dirs", "w") as f:
    f.write("".join(moved(d) + "\n" for d in dirs))
with open(f"{tmp}/tcp.conf", "w") as f:
    f.write(tcp_conf)
with open(f"{tmp}/socket", "w") as f:
    f.write(moved(sockets[0]))
with open(f"{tmp}/root-dir", "w") as f:
    f.write(moved(roots[0]))
print(f"Containerfile: FROM debian:12-slim, USER {user},",
      f"installs {os.path.basename(deb_in_image)};",
      f"runs {' '.join(argv)}; health: {' '.join(health_cmd)}; image {image}")
PY
  fail "the Containerfile, against $(basename "$deb")"

for run in "$tmp"/run-*.sh; do
  dash -n "$run" || fail "a RUN command does not parse: $(cat "$run")"
done
"$build_dir/server/sidecard" --config "$tmp/tcp.conf" --help >/dev/null ||
  fail "OPERATING.md's TCP configuration for the container does not parse"

# --- the image's command, run ---------------------------------------------------------
mapfile -t dirs <"$tmp/dirs"
mkdir -p "${dirs[@]}"  # what the RUN's install -d did
mapfile -t argv <"$tmp/image.argv"
mapfile -t health <"$tmp/health.argv"
socket=$(cat "$tmp/socket")
photos=$(cat "$tmp/root-dir")
printf 'jpeg' >"$photos/IMG_1.jpg"
"${argv[@]}" 2>"$tmp/daemon.log" &
daemon_pid=$!
for _ in $(seq 1 500); do
  [[ -S $socket ]] && break
  kill -0 "$daemon_pid" 2>/dev/null || fail "the image's daemon exited: ${argv[*]}"
  sleep 0.02
done
said=$("${health[@]}") || fail "the HEALTHCHECK command failed (exit $?): ${health[*]}"
[[ $said == SERVING ]] || fail "the HEALTHCHECK command said '$said'"
stats=$("$tmp/root/usr/bin/sidecarctl" --address "unix:$socket" --timeout 10 \
  --json stats "$photos") || fail "stats: exit $?"
/usr/bin/python3 -c 'import json, sys; assert json.loads(sys.argv[1])["total_images"] == 1' \
  "$stats" || fail "stats: $stats"
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "the image's daemon exited with $? on SIGTERM"
daemon_pid=
echo "the image's command: the .deb's daemon serves its configuration; HEALTHCHECK: SERVING"
echo "PASS"
