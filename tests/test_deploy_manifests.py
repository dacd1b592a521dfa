"""Every overlay of deploy/ renders to objects the Kubernetes API accepts (offline schema
validation), that hold the promises of docs/deploy.md: hardened pods, probes, budgets,
autoscalers, spread over nodes, recommended labels, no committed secrets, and network
policies that let exactly the intended peers talk."""

from __future__ import annotations

import base64
import copy
import re

import kubernetes_validate
import pytest

from tests.deploy_model import SERVICES as CALLCENTER_SERVICES
from tests.kustomize_renderer import DEPLOY, OVERLAYS, REPO, containers_of, key_of, pod_specs, render_overlay
from tests.network_policies import Network, by_kind, selector_matches

# The oldest Kubernetes the manifests support, and the newest whose schemas are bundled.
KUBERNETES_VERSIONS = ["1.29.0", kubernetes_validate.latest_version()]
RECOMMENDED_LABELS = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
}
# Secrets an overlay refers to but leaves to the operator (docs/deploy.md tells how to make them):
# the gRPC certificates, callers and gateway token (`callcenter credentials init` or cert-manager)
# in every overlay, the Redis URL and the Ingress certificate in prod.
GRPC_SECRETS = {
    "callcenter-router-tls",
    "callcenter-stats-tls",
    "callcenter-recorder-tls",
    "callcenter-webhooks-tls",
    "callcenter-grpc-callers",
    "callcenter-gateway-grpc",
    "callcenter-webhooks-grpc",
}
EXTERNAL_SECRETS = {"dev": GRPC_SECRETS, "prod": {"callcenter-redis", "callcenter-gateway-tls"} | GRPC_SECRETS}
PBX_LABEL = {"callcenter/pbx-client": "true"}
MESSAGING_LABEL = {"callcenter/messaging-client": "true"}
# Custom resources (the Prometheus Operator's ServiceMonitor and PrometheusRule of
# deploy/components/monitoring) have no bundled schema: tests/test_deploy_monitoring.py checks
# them against the fields of their CRDs.
CUSTOM_RESOURCE_APIS = {"monitoring.coreos.com/v1"}
OPS_PORT = 9090


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request):
    return request.param, render_overlay(request.param)


def workloads(objects):
    return [obj for obj in objects if pod_specs(obj)]


# --- schemas ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_validates_against_the_kubernetes_schema(overlay, version):
    name, objects = overlay
    assert len(objects) > 20
    for obj in objects:
        if obj["apiVersion"] in CUSTOM_RESOURCE_APIS:
            continue
        # strict: unknown fields (a typo like `readinesProbe`) are errors too.
        kubernetes_validate.validate(obj, version, strict=True)


def test_the_schema_validation_catches_mistakes(overlay):
    _, objects = overlay
    router = copy.deepcopy(by_kind(objects, "Deployment")["router"])
    router["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"grpc": {"port": 50051}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(router, KUBERNETES_VERSIONS[-1], strict=True)
    router = copy.deepcopy(by_kind(objects, "Deployment")["router"])
    router["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "50051"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(router, KUBERNETES_VERSIONS[-1], strict=True)


def test_names_are_unique_and_everything_is_in_the_overlay_namespace(overlay):
    name, objects = overlay
    keys = [key_of(obj) for obj in objects]
    assert len(keys) == len(set(keys))
    namespaces = by_kind(objects, "Namespace")
    assert len(namespaces) == 1
    (namespace,) = namespaces
    assert namespaces[namespace]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert {obj["metadata"].get("namespace") for obj in objects if obj["kind"] != "Namespace"} == {namespace}


# --- what runs -------------------------------------------------------------------------------


def test_the_services_run_where_the_issue_says(overlay):
    name, objects = overlay
    deployments, statefulsets = by_kind(objects, "Deployment"), by_kind(objects, "StatefulSet")
    assert {"router", "stats", "gateway"} <= set(deployments)
    assert "recorder" in statefulsets
    autoscalers = by_kind(objects, "HorizontalPodAutoscaler")
    assert autoscalers["router"]["spec"]["minReplicas"] >= 2  # several routers, always
    # The recorder keeps audio on a PersistentVolume mounted where its data dir is.
    recorder = statefulsets["recorder"]
    (claim,) = recorder["spec"]["volumeClaimTemplates"]
    (container,) = recorder["spec"]["template"]["spec"]["containers"]
    assert claim["metadata"]["name"] in {m["name"] for m in container["volumeMounts"]}
    # Redis: in-cluster with persistence in dev, external (URL from a Secret) in prod.
    if name == "dev":
        redis = statefulsets["redis"]
        args = redis["spec"]["template"]["spec"]["containers"][0]["args"]
        assert args[args.index("--appendonly") + 1] == "yes"
        assert args[args.index("--maxmemory-policy") + 1] == "noeviction"
        assert redis["spec"]["volumeClaimTemplates"]
    else:
        assert "redis" not in statefulsets and "redis" not in by_kind(objects, "Service")


def test_pods_are_hardened(overlay):
    _, objects = overlay
    for obj in workloads(objects):
        spec = pod_specs(obj)[0]
        where = obj["metadata"]["name"]
        assert spec["automountServiceAccountToken"] is False, where
        pod_security = spec["securityContext"]
        assert pod_security["runAsNonRoot"] is True, where
        assert pod_security["runAsUser"] > 0, where
        assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}, where
        writable = {v["name"] for v in spec.get("volumes", []) if "emptyDir" in v}
        writable |= {c["metadata"]["name"] for c in obj["spec"].get("volumeClaimTemplates", [])}
        for container in containers_of(spec):
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where
            assert "privileged" not in security, where
            resources = container["resources"]
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[kind]), (where, kind)
            assert container["livenessProbe"] and container["readinessProbe"], where
            if container["command"][0] == "callcenter":
                # Read-only root: /tmp and the data dir are volumes of their own.
                mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
                assert mounts.get("/tmp") in writable, where
                assert mounts.get("/var/lib/callcenter") in writable, where


def test_callcenter_images_and_runas_user_match_the_dockerfile(overlay):
    name, objects = overlay
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    uid = int(re.search(r"^USER (\d+)", dockerfile, re.M).group(1))
    images = set()
    for obj in workloads(objects):
        spec = pod_specs(obj)[0]
        for container in containers_of(spec):
            if container["command"][0] == "callcenter":
                images.add(container["image"])
                assert spec["securityContext"]["runAsUser"] == uid
    assert len(images) == 1, images  # one image for every service
    (image,) = images
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), image
    if name == "prod":
        assert "/" in image  # pulled from a registry


def test_router_replicas_spread_over_nodes(overlay):
    _, objects = overlay
    router = by_kind(objects, "Deployment")["router"]
    template = router["spec"]["template"]
    constraints = template["spec"]["topologySpreadConstraints"]
    by_node = [c for c in constraints if c["topologyKey"] == "kubernetes.io/hostname"]
    assert by_node and by_node[0]["whenUnsatisfiable"] == "DoNotSchedule" and by_node[0]["maxSkew"] == 1
    for constraint in constraints:
        assert selector_matches(constraint["labelSelector"], template["metadata"]["labels"])


def test_budgets_and_autoscalers_cover_the_stateless_services(overlay):
    _, objects = overlay
    deployments = by_kind(objects, "Deployment")
    budgets = list(by_kind(objects, "PodDisruptionBudget").values())
    for name in ("router", "stats", "gateway"):
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        covering = [b for b in budgets if selector_matches(b["spec"]["selector"], labels)]
        assert len(covering) == 1, name
        assert covering[0]["spec"].get("maxUnavailable") == 1
    autoscalers = by_kind(objects, "HorizontalPodAutoscaler")
    assert {"router", "gateway"} <= set(autoscalers)
    scaled = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in autoscalers.values()}
    for name, deployment in deployments.items():
        if name not in scaled:
            assert deployment["spec"]["replicas"] >= 1, name
    for hpa in autoscalers.values():
        target = hpa["spec"]["scaleTargetRef"]
        deployment = deployments[target["name"]]
        assert target["kind"] == "Deployment"
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        # The autoscaler alone sets the count: re-applying must not reset a scaled-out Deployment.
        assert "replicas" not in deployment["spec"], target["name"]
        # CPU utilization needs CPU requests.
        assert all("cpu" in c["resources"]["requests"] for c in deployment["spec"]["template"]["spec"]["containers"])


def test_recommended_labels_everywhere_and_selectors_select(overlay):
    _, objects = overlay
    for obj in objects:
        assert RECOMMENDED_LABELS <= set(obj["metadata"].get("labels", {})), key_of(obj)
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "callcenter"
    for obj in workloads(objects):
        labels = obj["spec"]["template"]["metadata"]["labels"]
        assert RECOMMENDED_LABELS <= set(labels), key_of(obj)
        assert selector_matches(obj["spec"]["selector"], labels), key_of(obj)
        others = [o for o in workloads(objects) if o is not obj]
        assert not any(
            selector_matches(obj["spec"]["selector"], o["spec"]["template"]["metadata"]["labels"]) for o in others
        ), f"{key_of(obj)} selects another workload's pods"
    templates = [o["spec"]["template"] for o in workloads(objects)]
    for service in by_kind(objects, "Service").values():
        matched = [
            t
            for t in templates
            if selector_matches({"matchLabels": service["spec"]["selector"]}, t["metadata"]["labels"])
        ]
        assert len(matched) == 1, service["metadata"]["name"]
        ports = {p["name"]: p["containerPort"] for c in matched[0]["spec"]["containers"] for p in c["ports"]}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, (service["metadata"]["name"], port)


def test_ingress_sends_to_the_gateway_service(overlay):
    name, objects = overlay
    (ingress,) = by_kind(objects, "Ingress").values()
    services = by_kind(objects, "Service")
    for rule in ingress["spec"]["rules"]:
        assert rule["host"]
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == "gateway"
            assert backend["port"]["name"] in {p["name"] for p in services["gateway"]["spec"]["ports"]}
    if name == "prod":
        hosts = {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}
        assert hosts == {rule["host"] for rule in ingress["spec"]["rules"]}


# --- configuration and secrets --------------------------------------------------------------------


def referenced(objects):
    """(kind, name) of every ConfigMap and Secret the objects refer to."""
    from tests.kustomize_renderer import config_references

    return {(kind, holder[key]) for obj in objects for kind, holder, key in config_references(obj)}


def test_every_referenced_configmap_and_secret_exists_or_is_documented(overlay):
    name, objects = overlay
    present = {(obj["kind"], obj["metadata"]["name"]) for obj in objects if obj["kind"] in ("ConfigMap", "Secret")}
    missing = referenced(objects) - present
    assert all(kind == "Secret" for kind, _ in missing), missing
    assert {secret for _, secret in missing} == EXTERNAL_SECRETS[name]
    docs = (REPO / "docs" / "deploy.md").read_text()
    for secret in EXTERNAL_SECRETS[name]:
        assert "create secret" in docs and secret in docs, secret
    # Generated ConfigMaps carry a content hash: a new queue file rolls the pods that mount it.
    for kind, ref in referenced(objects):
        if kind == "ConfigMap":
            assert re.fullmatch(r".+-[a-z0-9]{10}", ref), ref


def secret_keys_made_by_credentials_init(folder) -> dict[str, set[str]]:
    """The Secrets (name -> keys) the `kubectl create secret generic` commands printed by
    `callcenter credentials init` make (`--from-file=key=file`, or a folder: a key per file)."""
    import pathlib

    from callcenter.tools.credentials import DEFAULT_SERVICES, init, kubectl_commands

    init(folder, namespace="ns")
    made = {}
    for command in kubectl_commands(folder, DEFAULT_SERVICES, "ns"):
        name = re.search(r"create secret generic (\S+)", command).group(1)
        keys = set()
        for source in re.findall(r"--from-file=(\S+)", command):
            key, sep, _ = source.partition("=")
            keys |= {key} if sep else {p.name for p in pathlib.Path(source).iterdir()}
        made[name] = keys
    return made


def test_grpc_credentials_come_from_the_secrets_credentials_init_makes(overlay, tmp_path):
    """Each callcenter container mounts its gRPC Secrets read-only as whole files (no subPath:
    an updated Secret reaches the running service), and those are the Secrets, with the keys,
    that the commands `callcenter credentials init` prints create."""
    _, objects = overlay
    made = secret_keys_made_by_credentials_init(tmp_path / "credentials")
    mounted = set()
    for obj in workloads(objects):
        spec = pod_specs(obj)[0]
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in containers_of(spec):
            for mount in container.get("volumeMounts", []):
                sources = volumes.get(mount["name"], {}).get("projected", {}).get("sources", [])
                for secret in (source["secret"] for source in sources if "secret" in source):
                    assert mount["readOnly"] is True and "subPath" not in mount, key_of(obj)
                    assert {item["key"] for item in secret["items"]} <= made[secret["name"]], secret
                    mounted.add(secret["name"])
    assert mounted == GRPC_SECRETS == set(made)


def test_the_cert_manager_certificates_are_the_tls_secrets_the_services_mount():
    """deploy/cert-manager (optional, for the prod namespace): a Certificate per gRPC service
    into the Secret its pods mount, for the names `callcenter credentials init` gives it,
    issued by the CA Issuer."""
    from callcenter.tools.credentials import DEFAULT_SERVICES, service_names
    from tests.kustomize_renderer import render

    objects, issued = render_overlay("prod"), render(DEPLOY / "cert-manager")
    (namespace,) = by_kind(objects, "Namespace")
    assert {obj["metadata"]["namespace"] for obj in issued} == {namespace} == {"callcenter"}
    issuers = {obj["metadata"]["name"]: obj for obj in issued if obj["kind"] == "Issuer"}
    certificates = [obj["spec"] for obj in issued if obj["kind"] == "Certificate"]
    (ca,) = [c for c in certificates if c.get("isCA")]
    served = {c["secretName"]: c for c in certificates if not c.get("isCA")}
    assert set(served) == {f"callcenter-{s}-tls" for s in DEFAULT_SERVICES} <= GRPC_SECRETS
    assert referenced(objects) >= {("Secret", secret) for secret in served}
    for service in DEFAULT_SERVICES:
        spec = served[f"callcenter-{service}-tls"]
        assert set(spec["dnsNames"]) | set(spec["ipAddresses"]) == set(service_names(service, "callcenter"))
        assert "server auth" in spec["usages"] and spec["privateKey"]["algorithm"] == "ECDSA"
        assert issuers[spec["issuerRef"]["name"]]["spec"]["ca"]["secretName"] == ca["secretName"]
    assert "selfSigned" in issuers[ca["issuerRef"]["name"]]["spec"]


def test_no_secret_values_are_committed(overlay):
    name, objects = overlay
    secrets = by_kind(objects, "Secret")
    if name == "prod":
        assert secrets == {}
    for secret in secrets.values():
        for key, value in secret.get("data", {}).items():
            text = base64.b64decode(value).decode()
            # Only the URL of the password-less in-cluster dev Redis: no user info, no password.
            assert re.fullmatch(r"redis://[a-z0-9.-]+:\d+/\d+", text), (key, text)
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "PRIVATE KEY" not in text, path
            assert not re.search(r"rediss?://[^/\s'\"]*:[^@/\s'\"]+@", text), path


def test_queue_configmap_is_the_routers_file_format(overlay, tmp_path):
    from callcenter.services.router.config_file import read_config_file

    _, objects = overlay
    queues = [cm for name, cm in by_kind(objects, "ConfigMap").items() if name.startswith("callcenter-queues-")]
    assert len(queues) == 1
    path = tmp_path / "queues.toml"
    path.write_text(queues[0]["data"]["queues.toml"])
    config = read_config_file(path)
    assert config["queues"] and config["agents"]


# --- network policies ---------------------------------------------------------------------------

DNS = {"namespace": {"kubernetes.io/metadata.name": "kube-system"}, "pod": {"k8s-app": "kube-dns"}}


def test_network_policies_deny_by_default(overlay):
    _, objects = overlay
    deny = [p for p in by_kind(objects, "NetworkPolicy").values() if p["spec"]["podSelector"] == {}]
    assert any(set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} and not p["spec"].get("ingress") for p in deny)


def test_network_policies_let_exactly_the_intended_peers_talk(overlay):
    name, objects = overlay
    net = Network(objects)
    pods = {component: net.pod(component) for component in CALLCENTER_SERVICES}
    pbx_elsewhere = {"namespace": {"kubernetes.io/metadata.name": "pbx", **PBX_LABEL}, "pod": {"app": "asterisk"}}
    pbx_here = {"namespace": net.namespace_labels, "pod": PBX_LABEL, "ours": True}
    stranger = {"namespace": {"kubernetes.io/metadata.name": "other"}, "pod": {"app": "x"}}
    ingress_controller = {"namespace": {"kubernetes.io/metadata.name": "ingress-nginx"}, "pod": {"app": "nginx"}}
    ports = {"router": 50051, "stats": 50052, "recorder": 50053, "gateway": 8080, "webhooks": 50054}

    may = {
        "router": {"gateway", "pbx", "webhooks"},  # webhooks: CRM client changes in
        "stats": {"gateway", "webhooks"},  # webhooks: CRM leads, invoices and payments in
        "recorder": {"gateway", "pbx"},  # the PBX uploads the recordings
        "gateway": {"ingress"},
        "webhooks": {"gateway"},  # its admins' CRM events in; else CRM tools labelled callcenter/crm-client
    }
    for target, allowed in may.items():
        sources = {**{c: pods[c] for c in CALLCENTER_SERVICES if c != target}, "stranger": stranger}
        sources["ingress"] = ingress_controller
        for source_name, source in sources.items():
            expected = source_name in allowed
            assert net.can_connect(source, pods[target], ports[target]) is expected, (source_name, target)
        pbx_allowed = "pbx" in allowed
        assert net.can_connect(pbx_elsewhere, pods[target], ports[target]) is pbx_allowed, target
        # Egress of a PBX pod in our namespace is not ours to allow; its ingress side is.
        assert net._allows(pods[target], "Ingress", pbx_here, ports[target], "TCP") is pbx_allowed, target
        # Only the service's own port is open.
        assert not net.can_connect(pods["gateway"], pods[target], 22), target

    # A messaging backend (role messaging: a chat widget's backend or messaging gateway) reaches
    # the router's gRPC port only, from a labelled namespace or a labelled pod of ours; the PBX
    # label does not stand in for it, nor it for the PBX's.
    chat_elsewhere = {"namespace": {"kubernetes.io/metadata.name": "chat", **MESSAGING_LABEL}, "pod": {"app": "w"}}
    chat_here = {"namespace": net.namespace_labels, "pod": MESSAGING_LABEL, "ours": True}
    for target in CALLCENTER_SERVICES:
        expected = target == "router"
        assert net.can_connect(chat_elsewhere, pods[target], ports[target]) is expected, target
        assert net._allows(pods[target], "Ingress", chat_here, ports[target], "TCP") is expected, target
        assert not net.can_connect(chat_elsewhere, pods[target], OPS_PORT), target
    assert not net.can_connect(chat_elsewhere, pods["router"], 22)
    unlabelled_chat = {"namespace": {"kubernetes.io/metadata.name": "chat"}, "pod": {"app": "w"}}
    assert not net.can_connect(unlabelled_chat, pods["router"], ports["router"])

    # Prometheus (namespace monitoring) scrapes every service's ops port, and only that port;
    # nobody else reaches the ops ports.
    prometheus = {"namespace": {"kubernetes.io/metadata.name": "monitoring"}, "pod": {"app": "prometheus"}}
    for component in CALLCENTER_SERVICES:
        assert net.can_connect(prometheus, pods[component], OPS_PORT), component
        assert not net.can_connect(prometheus, pods[component], ports[component]), component
        for source in (stranger, ingress_controller, pbx_elsewhere):
            assert not net.can_connect(source, pods[component], OPS_PORT), (source, component)

    for component in CALLCENTER_SERVICES:
        assert net._allows(pods[component], "Egress", DNS, 53, "UDP"), component
        assert not net._allows(pods[component], "Egress", stranger, 443, "TCP"), component
    if name == "dev":
        redis = net.pod("database", name="redis")
        for component in CALLCENTER_SERVICES:
            assert net.can_connect(pods[component], redis, 6379), component
        assert not net.can_connect(stranger, redis, 6379)
        assert not net.can_connect(pbx_elsewhere, redis, 6379)
    else:
        for component in CALLCENTER_SERVICES:
            assert net.can_reach_ip(pods[component], "10.20.30.40", 6380), component
            assert not net.can_reach_ip(pods[component], "10.20.30.40", 443), component
    # Only the webhooks reach the internet (their subscribers), on 443 and 80, no private range.
    for component in CALLCENTER_SERVICES:
        assert net.can_reach_ip(pods[component], "203.0.113.7", 443) is (component == "webhooks"), component
    for ip, port in (("203.0.113.7", 22), ("10.1.2.3", 443), ("169.254.169.254", 80), ("192.168.1.1", 80)):
        assert not net.can_reach_ip(pods["webhooks"], ip, port), (ip, port)
