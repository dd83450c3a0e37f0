#!/usr/bin/env bash
# Checks the deployment files without a container engine or a cluster:
#   1. docker-compose.yml: `docker-compose config -q` (installs docker-compose 1.29 from Debian when missing),
#      then the structure the docs promise (healthchecks, start order, a scalable `process`, local-only ports);
#   2. deploy/Dockerfile and .dockerignore: the runtime shape (non-root, entrypoint, volume, ports) and that the
#      files the build copies exist and are inside the build context;
#   3. deploy/kubernetes: every manifest parses as YAML and has apiVersion, kind, metadata.name and (namespaced
#      kinds) metadata.namespace; kustomization.yaml lists what exists; plus the security contract: least-privilege
#      RBAC, no tokens for collector/processor, hardened securityContexts, probes, resources, consistent references.
# Prints every failure and exits 1 if there was any. Usage: tests/deploy/check.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { echo "check.sh: $*"; }

apt_install() {
  local sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  log "installing $*"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@" >/dev/null
}

# --- tools -------------------------------------------------------------------------------------------------
if ! command -v docker-compose >/dev/null 2>&1; then
  apt_install docker-compose
fi

# A Python with PyYAML: the Debian one comes with docker-compose (python3-yaml, python3-docker); prefer it.
PYTHON=""
for candidate in /usr/bin/python3 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import yaml' >/dev/null 2>&1; then
    PYTHON="$candidate"
    break
  fi
done
if [ -z "$PYTHON" ]; then
  apt_install python3-yaml
  PYTHON=/usr/bin/python3
fi

failed=0

# --- 1. compose ----------------------------------------------------------------------------------------------
log "docker-compose -f docker-compose.yml config -q ($(docker-compose version --short 2>/dev/null || echo '?'))"
if ! docker-compose -f docker-compose.yml config -q; then
  log "FAIL: docker-compose.yml does not validate"
  failed=1
fi
compose_resolved="$(mktemp)"
trap 'rm -f "$compose_resolved"' EXIT
docker-compose -f docker-compose.yml config > "$compose_resolved" 2>/dev/null || true

if ! sh -n deploy/docker/kafka/create-topics.sh; then
  log "FAIL: deploy/docker/kafka/create-topics.sh has a syntax error"
  failed=1
fi
if command -v shellcheck >/dev/null 2>&1; then
  shellcheck deploy/docker/kafka/create-topics.sh tests/deploy/check.sh || { log "FAIL: shellcheck"; failed=1; }
fi

# --- 2 and 3. structure checks -----------------------------------------------------------------------------------
if ! "$PYTHON" - "$compose_resolved" <<'PY'
import glob
import os
import re
import sys

import yaml

failures = []


def fail(where, message):
    failures.append(f"{where}: {message}")


# ---------------------------------------------------------------- compose (as resolved by docker-compose config)
def check_compose(path):
    try:
        with open(path) as f:
            compose = yaml.safe_load(f) or {}
    except yaml.YAMLError as e:
        fail("docker-compose.yml", f"resolved configuration does not parse: {e}")
        return
    services = compose.get("services") or {}
    where = "docker-compose.yml"
    for name in ["kafka", "kafka-init", "elasticsearch", "kibana", "collect", "process", "control"]:
        if name not in services:
            fail(where, f"service '{name}' is missing")
    if failures:
        return

    for name in ["kafka", "elasticsearch", "kibana"]:
        if not (services[name].get("healthcheck") or {}).get("test"):
            fail(where, f"{name} has no healthcheck")

    def condition(service, dependency):
        return ((services[service].get("depends_on") or {}).get(dependency) or {}).get("condition")

    expected = [("kafka-init", "kafka", "service_healthy"), ("kibana", "elasticsearch", "service_healthy")]
    expected += [(s, "kafka-init", "service_completed_successfully") for s in ["collect", "process", "control"]]
    for service, dependency, cond in expected:
        if condition(service, dependency) != cond:
            fail(where, f"{service} must depend on {dependency} with condition {cond} (has {condition(service, dependency)})")

    init = services["kafka-init"]
    if str(init.get("restart", "no")) != "no":
        fail(where, "kafka-init is a one-shot job and must not restart")
    script = "deploy/docker/kafka/create-topics.sh"
    if not any(script in str(v) for v in init.get("volumes") or []):
        fail(where, f"kafka-init does not mount {script}")
    with open(script) as f:
        text = f.read()
    for topic in ["netsec.flows", "netsec.alerts", "netsec.deadletter"]:
        if not re.search(rf"^create {re.escape(topic)}\s", text, re.MULTILINE):
            fail(script, f"does not create {topic}")
    if "--if-not-exists" not in text:
        fail(script, "must be idempotent (--if-not-exists)")

    for name in ["collect", "process", "control"]:
        s = services[name]
        build = s.get("build") or {}
        if build.get("dockerfile") != "deploy/Dockerfile":
            fail(where, f"{name} must build deploy/Dockerfile (has {build.get('dockerfile')})")
        if os.path.realpath(str(build.get("context", ""))) != os.path.realpath("."):
            fail(where, f"{name} must build with the repository root as context")
        env = s.get("environment") or {}
        if env.get("NETSEC__Kafka__BootstrapServers") != "kafka:9092":
            fail(where, f"{name} must use NETSEC__Kafka__BootstrapServers=kafka:9092")
        bad = [k for k in env if k.startswith("NETSEC") and not k.startswith("NETSEC__")]
        if bad:
            fail(where, f"{name}: settings must use the NETSEC__ prefix: {bad}")
        if s.get("restart") not in ("unless-stopped", "always", "on-failure"):
            fail(where, f"{name} needs a restart policy")
    if services["collect"].get("command", [None])[0] != "collect" or "--input" not in services["collect"].get("command", []):
        fail(where, "collect must run `collect --input <file>`")
    if (services["process"].get("environment") or {}).get("NETSEC__Kafka__GroupId") != "netsec-process":
        fail(where, "process must join consumer group netsec-process")
    # Scalable: nothing that two replicas would fight over.
    for key in ["container_name", "ports"]:
        if services["process"].get(key):
            fail(where, f"process sets {key}, so `--scale process=N` would conflict")
    named = [v for v in services["process"].get("volumes") or [] if not str(v).startswith("/")]
    if named:
        fail(where, f"process shares named volumes between replicas: {named}")
    for name, s in services.items():
        if not s.get("mem_limit") and name != "kafka-init":
            fail(where, f"{name} needs a memory limit")
        for port in s.get("ports") or []:
            if not str(port).startswith("127.0.0.1:"):
                fail(where, f"{name} publishes {port} on every interface; bind it to 127.0.0.1")


# ---------------------------------------------------------------- Dockerfile and .dockerignore
def check_dockerfile():
    where = "deploy/Dockerfile"
    with open(where) as f:
        lines = f.read().replace("\\\n", " ").splitlines()
    instructions = [l.strip() for l in lines if l.strip() and not l.strip().startswith("#")]

    def all_of(keyword):
        return [i[len(keyword):].strip() for i in instructions if i.upper().startswith(keyword + " ")]

    froms = all_of("FROM")
    if not any("mcr.microsoft.com/dotnet/sdk" in f for f in froms):
        fail(where, "must build with mcr.microsoft.com/dotnet/sdk")
    if not froms or "mcr.microsoft.com/dotnet/aspnet" not in froms[-1]:
        fail(where, "final stage must be mcr.microsoft.com/dotnet/aspnet")
    users = all_of("USER")
    if not users or users[-1] in ("root", "0", "0:0"):
        fail(where, "must end as a non-root USER")
    if all_of("ENTRYPOINT") != ['["dotnet", "/app/netsec.dll"]']:
        fail(where, f'ENTRYPOINT must be ["dotnet", "/app/netsec.dll"] (has {all_of("ENTRYPOINT")})')
    exposed = " ".join(all_of("EXPOSE")).split()
    for port in ["9464", "8080"]:
        if port not in exposed:
            fail(where, f"must EXPOSE {port}")
    if not any("/var/lib/netsec" in v for v in all_of("VOLUME")):
        fail(where, "must declare VOLUME /var/lib/netsec")
    if not all_of("HEALTHCHECK") or "/healthz" not in " ".join(all_of("HEALTHCHECK")):
        fail(where, "must have a HEALTHCHECK on /healthz")
    if not any("dotnet publish" in r and "-o /app" in r for r in all_of("RUN")):
        fail(where, "must `dotnet publish ... -o /app`")

    # Sources copied from the build context (not --from=stage) must exist and survive .dockerignore.
    sources = []
    for copy in all_of("COPY"):
        if "--from" in copy:
            continue
        parts = [p for p in copy.split() if not p.startswith("--")]
        sources += parts[:-1]
    patterns = []
    if os.path.exists(".dockerignore"):
        with open(".dockerignore") as f:
            patterns = [l.strip() for l in f if l.strip() and not l.strip().startswith("#")]
    try:
        from docker.utils.build import exclude_paths  # python3-docker, installed with docker-compose
        context = set(exclude_paths(".", patterns))
    except ImportError:
        context = None
        print("check.sh: note: python3-docker missing, .dockerignore not simulated")
    for source in sources:
        matches = [m for m in glob.glob(source.rstrip("/")) if os.path.exists(m)]
        if not matches:
            fail(where, f"COPY source '{source}' does not exist")
            continue
        if context is not None and not any(c == m or c.startswith(m.rstrip("/") + "/") for m in matches for c in context):
            fail(".dockerignore", f"excludes '{source}', which deploy/Dockerfile copies")
    if context is not None:
        for required in ["src/NetSecStream.Cli/NetSecStream.Cli.csproj", "Directory.Packages.props", "global.json"]:
            if required not in context:
                fail(".dockerignore", f"build context lacks {required}")
        for intel in glob.glob("deploy/intel/*.txt") + glob.glob("deploy/intel/*.csv"):
            if intel not in context:
                fail(".dockerignore", f"build context lacks {intel} (shipped at /app/intel)")
        junk = [c for c in context if re.search(r"(^|/)(bin|obj|\.git|netsec-data|TestResults)/", c)]
        if junk:
            fail(".dockerignore", f"build context carries build output or data, e.g. {junk[:3]}")


# ---------------------------------------------------------------- Kubernetes
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass", "CustomResourceDefinition",
                  "PersistentVolume", "StorageClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"}
WORKLOADS = {"Deployment", "DaemonSet", "StatefulSet"}
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
ROOT_REASON = "netsecstream.io/runs-as-root"
ALLOWED_RBAC = {
    ("cilium.io", "ciliumnetworkpolicies"): {"get", "list", "watch", "create", "update", "patch", "delete"},
    ("networking.k8s.io", "networkpolicies"): {"get", "list", "watch", "create", "update", "patch", "delete"},
    ("", "namespaces"): {"get", "list", "watch"},
    ("", "pods"): {"get", "list", "watch"},
}
NO_TOKEN = {"netsec-collector", "netsec-processor"}


def load_manifests(root):
    docs = []
    files = sorted(glob.glob(f"{root}/**/*.yaml", recursive=True) + glob.glob(f"{root}/**/*.yml", recursive=True))
    if not files:
        fail(root, "no manifests found")
    for path in files:
        if os.path.basename(path) == "kustomization.yaml":
            continue
        try:
            with open(path) as f:
                loaded = list(yaml.safe_load_all(f))
        except yaml.YAMLError as e:
            fail(path, f"is not valid YAML: {e}")
            continue
        for index, doc in enumerate(loaded):
            if doc is None:
                continue
            where = f"{path}#{index}"
            if not isinstance(doc, dict):
                fail(where, "is not a mapping")
                continue
            meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
            for field, value in [("apiVersion", doc.get("apiVersion")), ("kind", doc.get("kind")),
                                 ("metadata.name", meta.get("name"))]:
                if not value:
                    fail(where, f"has no {field}")
            name = str(meta.get("name", ""))
            if name and not DNS_SUBDOMAIN.match(name):
                fail(where, f"metadata.name '{name}' is not a valid Kubernetes name")
            if doc.get("kind") not in CLUSTER_SCOPED and not meta.get("namespace"):
                fail(where, f"{doc.get('kind')} {name} is namespaced but has no metadata.namespace")
            if doc.get("kind") in CLUSTER_SCOPED and meta.get("namespace"):
                fail(where, f"{doc.get('kind')} is cluster-scoped and must not set metadata.namespace")
            docs.append((path, where, doc))
    return docs


def check_kustomization(root, docs):
    path = f"{root}/kustomization.yaml"
    if not os.path.exists(path):
        fail(root, "has no kustomization.yaml")
        return []
    with open(path) as f:
        kustomization = yaml.safe_load(f) or {}
    for field in ["apiVersion", "kind"]:
        if not kustomization.get(field):
            fail(path, f"has no {field}")
    if kustomization.get("kind") != "Kustomization":
        fail(path, "kind must be Kustomization")
    resources = kustomization.get("resources") or []
    for resource in resources:
        if not os.path.exists(os.path.join(root, resource)):
            fail(path, f"lists '{resource}', which does not exist")
    # Every top-level manifest is listed, except the credentials example (placeholders must not be applied).
    for manifest in sorted(glob.glob(f"{root}/*.yaml")):
        base = os.path.basename(manifest)
        if base == "kustomization.yaml" or base.endswith(".example.yaml"):
            continue
        if base not in resources:
            fail(path, f"does not list {base}")
    namespace = kustomization.get("namespace")
    applied = [(p, w, d) for p, w, d in docs if os.path.basename(p) in resources]
    for _, where, doc in applied:
        ns = doc["metadata"].get("namespace")
        if ns and namespace and ns != namespace:
            fail(where, f"namespace {ns} differs from the kustomization's {namespace}")
    images = {i.get("name") for i in kustomization.get("images") or []}
    for _, where, doc in applied:
        for container in pod_spec(doc).get("containers", []) if doc.get("kind") in WORKLOADS else []:
            image = container.get("image", "")
            if image.split(":")[0] not in images:
                fail(where, f"image {image} is not covered by the kustomization's images")
    return applied


def pod_spec(doc):
    return ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}


def check_kubernetes(root):
    docs = load_manifests(root)
    applied = check_kustomization(root, docs)
    by_kind = {}
    for path, where, doc in applied:
        by_kind.setdefault(doc["kind"], []).append((where, doc))

    def names(kind):
        return {d["metadata"]["name"] for _, d in by_kind.get(kind, [])}

    if "netsec" not in names("Namespace"):
        fail(root, "no Namespace netsec")
    for required in ["netsec-collector", "netsec-processor", "netsec-control"]:
        if required not in names("ServiceAccount"):
            fail(root, f"no ServiceAccount {required}")
    if "netsec-collector" not in names("DaemonSet"):
        fail(root, "no collector DaemonSet netsec-collector")
    for required in ["netsec-processor", "netsec-control"]:
        if required not in names("Deployment"):
            fail(root, f"no Deployment {required}")
    for kind, name in [("Service", "netsec-control"), ("ClusterRole", "netsec-control"),
                       ("ClusterRoleBinding", "netsec-control"), ("PodDisruptionBudget", "netsec-processor"),
                       ("ConfigMap", "netsec-config")]:
        if name not in names(kind):
            fail(root, f"no {kind} {name}")

    # ServiceAccounts: no token for the roles that never call the API server.
    for where, sa in by_kind.get("ServiceAccount", []):
        if sa["metadata"]["name"] in NO_TOKEN and sa.get("automountServiceAccountToken") is not False:
            fail(where, f"{sa['metadata']['name']} must set automountServiceAccountToken: false")

    # RBAC: only the control plane, only the allowed verbs on the allowed resources.
    for where, role in by_kind.get("ClusterRole", []) + by_kind.get("Role", []):
        for rule in role.get("rules") or []:
            if rule.get("nonResourceURLs"):
                fail(where, "nonResourceURLs are not needed")
            for group in rule.get("apiGroups") or []:
                for resource in rule.get("resources") or []:
                    allowed = ALLOWED_RBAC.get((group, resource))
                    if allowed is None:
                        fail(where, f"grants {group or 'core'}/{resource}, which the control plane does not need")
                        continue
                    extra = set(rule.get("verbs") or []) - allowed
                    if extra:
                        fail(where, f"grants {sorted(extra)} on {group or 'core'}/{resource}")
    granted = set()
    for where, role in by_kind.get("ClusterRole", []):
        for rule in role.get("rules") or []:
            for group in rule.get("apiGroups") or []:
                for resource in rule.get("resources") or []:
                    for verb in rule.get("verbs") or []:
                        granted.add((group, resource, verb))
    for (group, resource), verbs in ALLOWED_RBAC.items():
        for verb in verbs:
            if (group, resource, verb) not in granted:
                fail(root, f"the control plane lacks {verb} on {group or 'core'}/{resource}")
    for where, binding in by_kind.get("ClusterRoleBinding", []) + by_kind.get("RoleBinding", []):
        role_ref = binding.get("roleRef") or {}
        if role_ref.get("name") not in names(role_ref.get("kind", "")):
            fail(where, f"binds {role_ref.get('kind')} {role_ref.get('name')}, which is not defined")
        for subject in binding.get("subjects") or []:
            if subject.get("kind") != "ServiceAccount":
                fail(where, f"binds a {subject.get('kind')}; only the control plane's ServiceAccount should be bound")
            elif subject.get("name") in NO_TOKEN:
                fail(where, f"gives permissions to {subject.get('name')}, which must have none")
            elif subject.get("name") not in names("ServiceAccount"):
                fail(where, f"binds ServiceAccount {subject.get('name')}, which is not defined")
            elif not subject.get("namespace"):
                fail(where, "a ServiceAccount subject needs a namespace")

    config_maps = {d["metadata"]["name"]: d for _, d in by_kind.get("ConfigMap", [])}
    for key in (config_maps.get("netsec-config") or {}).get("data") or {}:
        if not key.startswith(("NETSEC__", "DOTNET_")):
            fail(root, f"ConfigMap netsec-config key {key} is not a NETSEC__ setting")

    # Workloads: the hardening contract.
    workload_labels = []
    for kind in sorted(WORKLOADS):
        for where, doc in by_kind.get(kind, []):
            name = doc["metadata"]["name"]
            spec = doc.get("spec") or {}
            template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
            workload_labels.append((name, template_labels))
            selector = (spec.get("selector") or {}).get("matchLabels") or {}
            if not selector or any(template_labels.get(k) != v for k, v in selector.items()):
                fail(where, "selector.matchLabels must match the pod template's labels")
            pod = pod_spec(doc)
            sa = pod.get("serviceAccountName")
            if sa not in names("ServiceAccount"):
                fail(where, f"serviceAccountName {sa} is not defined")
            if sa in NO_TOKEN and pod.get("automountServiceAccountToken") is not False:
                fail(where, "must set automountServiceAccountToken: false")
            pod_sc = pod.get("securityContext") or {}
            if (pod_sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
                fail(where, "pod securityContext.seccompProfile.type must be RuntimeDefault")
            runs_as_root_reason = (doc["metadata"].get("annotations") or {}).get(ROOT_REASON)
            if pod_sc.get("runAsNonRoot") is not True and not runs_as_root_reason:
                fail(where, f"must set runAsNonRoot: true (or explain why not in annotation {ROOT_REASON})")
            if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
                fail(where, "must not share the host's network, PID or IPC namespaces")
            volumes = {v.get("name"): v for v in pod.get("volumes") or []}
            for volume in volumes.values():
                if "configMap" in volume and volume["configMap"].get("name") not in config_maps:
                    fail(where, f"volume {volume.get('name')} mounts ConfigMap {volume['configMap'].get('name')}, which is not defined")
                if "hostPath" in volume and kind != "DaemonSet":
                    fail(where, f"only the collector DaemonSet may mount host paths ({volume.get('name')})")
            containers = pod.get("containers") or []
            if not containers:
                fail(where, "has no containers")
            for container in containers + (pod.get("initContainers") or []):
                cwhere = f"{where} container {container.get('name')}"
                sc = container.get("securityContext") or {}
                if sc.get("allowPrivilegeEscalation") is not False:
                    fail(cwhere, "must set allowPrivilegeEscalation: false")
                if sc.get("readOnlyRootFilesystem") is not True:
                    fail(cwhere, "must set readOnlyRootFilesystem: true")
                if sc.get("privileged"):
                    fail(cwhere, "must not be privileged")
                capabilities = sc.get("capabilities") or {}
                if "ALL" not in (capabilities.get("drop") or []):
                    fail(cwhere, "must drop ALL capabilities")
                if capabilities.get("add"):
                    fail(cwhere, f"adds capabilities {capabilities.get('add')}")
                if sc.get("runAsUser") == 0 and not runs_as_root_reason:
                    fail(cwhere, "runs as root without a reason")
                port_names = {p.get("name") for p in container.get("ports") or []}
                for probe in ["livenessProbe", "readinessProbe"]:
                    if not container.get(probe):
                        fail(cwhere, f"has no {probe}")
                for probe in ["livenessProbe", "readinessProbe", "startupProbe"]:
                    port = ((container.get(probe) or {}).get("httpGet") or {}).get("port")
                    if isinstance(port, str) and port not in port_names:
                        fail(cwhere, f"{probe} uses port '{port}', which the container does not declare")
                resources = container.get("resources") or {}
                for section in ["requests", "limits"]:
                    for resource in ["cpu", "memory"]:
                        if not (resources.get(section) or {}).get(resource):
                            fail(cwhere, f"has no resources.{section}.{resource}")
                for mount in container.get("volumeMounts") or []:
                    volume = volumes.get(mount.get("name"))
                    if volume is None:
                        fail(cwhere, f"mounts volume {mount.get('name')}, which the pod does not define")
                    elif "hostPath" in volume and mount.get("readOnly") is not True:
                        fail(cwhere, f"host path {volume['hostPath'].get('path')} must be mounted read-only")
                if sc.get("readOnlyRootFilesystem") and not any(m.get("mountPath") == "/tmp" for m in container.get("volumeMounts") or []):
                    fail(cwhere, "has a read-only root filesystem but no writable /tmp")
                for source in container.get("envFrom") or []:
                    ref = source.get("configMapRef")
                    if ref and ref.get("name") not in config_maps and not ref.get("optional"):
                        fail(cwhere, f"envFrom ConfigMap {ref.get('name')} is not defined")

    # Services, PDBs and HPAs point at something that exists.
    for where, service in by_kind.get("Service", []):
        selector = (service.get("spec") or {}).get("selector") or {}
        if not any(all(labels.get(k) == v for k, v in selector.items()) for _, labels in workload_labels):
            fail(where, f"selector {selector} matches no workload")
    for where, pdb in by_kind.get("PodDisruptionBudget", []):
        selector = ((pdb.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if not any(all(labels.get(k) == v for k, v in selector.items()) for _, labels in workload_labels):
            fail(where, f"selector {selector} matches no workload")
    for where, hpa in by_kind.get("HorizontalPodAutoscaler", []):
        target = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        if target.get("name") not in names(target.get("kind", "")):
            fail(where, f"scales {target.get('kind')} {target.get('name')}, which is not defined")

    # The credentials example carries placeholders only.
    for path, where, doc in docs:
        if doc.get("kind") == "Secret":
            for key, value in (doc.get("stringData") or {}).items():
                if "password" in key.lower() and "CHANGE-ME" not in str(value):
                    fail(where, f"{key} must be a CHANGE-ME placeholder, not a credential")
            if doc.get("data"):
                fail(where, "example Secrets use stringData placeholders, not data")


check_compose(sys.argv[1])
check_dockerfile()
check_kubernetes("deploy/kubernetes")

for failure in failures:
    print(f"check.sh: FAIL: {failure}")
if failures:
    sys.exit(1)
print("check.sh: compose structure, Dockerfile, .dockerignore and Kubernetes manifests OK")
PY
then
  failed=1
fi

if [ "$failed" -ne 0 ]; then
  log "FAILED"
  exit 1
fi
log "all deployment checks passed"
