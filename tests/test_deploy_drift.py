"""No drift between deploy/ and the code: every command the manifests run is a real
`callcenter` subcommand, every CALLCENTER_* variable a container gets is one its service
reads, the service's own config accepts the values, and the ports, probes, addresses, paths
and grace periods agree with what the service then binds and does."""

from __future__ import annotations

import pathlib
import re

import pytest

from callcenter import cli
from callcenter.core.grpc_security import check_listening
from callcenter.core.settings import env_names
from tests.deploy_model import (
    SERVICES,
    config_class,
    deployed,
    env_names_read,
    find,
    require_service,
)
from tests.kustomize_renderer import OVERLAYS, REPO, render_overlay


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request):
    return render_overlay(request.param)


@pytest.fixture
def service_config(objects, monkeypatch):
    """Builds a service's config exactly as the container's environment makes it."""

    def build(service: str):
        module = require_service(service)
        here = deployed(objects, service)
        for name in list(__import__("os").environ):
            if name.startswith("CALLCENTER_"):
                monkeypatch.delenv(name)
        for name, value in here.env.items():
            monkeypatch.setenv(name, value)
        return here, config_class(module).from_env()

    return build


# --- the env scanner (tests/test_settings.py: no code reads a variable around its declaration) ---


def test_env_scanner_sees_every_way_of_reading(tmp_path):
    source = tmp_path / "m.py"
    source.write_text(
        "import os\nfrom os import environ\n"
        "a = env_int('CALLCENTER_A', 1)\nb = os.environ.get('CALLCENTER_B')\nc = os.environ['CALLCENTER_C']\n"
        "d = os.getenv('CALLCENTER_D')\ne = environ.get('CALLCENTER_E')\nf = print('CALLCENTER_F')\n"
    )
    assert env_names_read([source]) == {f"CALLCENTER_{x}" for x in "ABCDE"}


# --- commands, environment, ports, probes -------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES)
def test_container_command_is_a_callcenter_subcommand(objects, service, capsys):
    require_service(service)
    container = deployed(objects, service).container
    assert container["command"][0] == "callcenter" and len(container["command"]) == 2
    assert "args" not in container
    with pytest.raises(SystemExit) as exit_:
        cli.main([*container["command"][1:], "--help"])
    assert exit_.value.code == 0, (
        f"`callcenter {container['command'][1]}` is not a subcommand: {capsys.readouterr().err}"
    )
    assert container["command"][1] == service


def test_an_unknown_subcommand_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["no-such-service", "--help"])
    assert exit_.value.code == 2
    capsys.readouterr()


@pytest.mark.parametrize("service", SERVICES)
def test_every_env_var_set_is_read_by_that_service(objects, service):
    require_service(service)
    here = deployed(objects, service)
    read = env_names(config_class(require_service(service)))
    assert set(here.env) <= read, f"{service} never reads {sorted(set(here.env) - read)}"
    # Without a Redis URL a service would start an embedded Redis of its own.
    assert here.env.get("CALLCENTER_REDIS_URL", "").startswith(("redis://", "rediss://"))


@pytest.mark.parametrize("service", SERVICES)
def test_ports_probes_and_addresses_match_what_the_service_binds(service_config, service):
    here, config = service_config(service)
    # Reachable from other pods, Prometheus and the kubelet, not only from loopback.
    assert config.host in ("0.0.0.0", "::")
    assert config.ops.host in ("0.0.0.0", "::")
    main = "http" if service == "gateway" else "grpc"
    ports = {p["name"]: p["containerPort"] for p in here.container["ports"]}
    assert ports == {main: config.port, "ops": config.ops.port}
    assert config.ops.port not in (0, config.port)  # 0: no ops port at all
    # The gateway is probed on its own port (its /readyz also asks Redis and the router), the
    # gRPC services on their ops port (test_grpc_services_are_probed_over_http_on_the_ops_port).
    probed = config.port if service == "gateway" else config.ops.port
    for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = here.container.get(probe_name)
        if probe is None:
            continue
        (kind,) = {"grpc", "httpGet", "tcpSocket"} & set(probe)
        assert here.port_number(probe[kind]["port"]) == probed, probe_name
    service_object = find(here.objects, "Service", service)
    targets = {p["name"]: here.port_number(p["targetPort"]) for p in service_object["spec"]["ports"]}
    assert targets == {main: config.port, "ops": config.ops.port}


@pytest.mark.parametrize("service", ["router", "stats", "recorder"])
def test_grpc_services_are_probed_over_http_on_the_ops_port(service_config, service):
    """Their gRPC port serves TLS only, and the kubelet's gRPC probe speaks plaintext (it would
    never pass): the probes ask the ops server instead, /healthz (the event loop answers) for
    startup and liveness, /readyz (the gRPC server is SERVING: not while starting or draining)
    for readiness."""
    here, config = service_config(service)
    assert config.grpc.tls
    source = (REPO / "callcenter" / "core" / "ops_server.py").read_text()
    expected = {"startupProbe": "/healthz", "readinessProbe": "/readyz", "livenessProbe": "/healthz"}
    for probe_name, path in expected.items():
        get = here.container[probe_name]["httpGet"]
        assert get["path"] == path and get.get("scheme", "HTTP") == "HTTP", probe_name
        assert here.port_number(get["port"]) == config.ops.port, probe_name
        assert re.search(rf"""add_get\(\s*["']{re.escape(path)}["']""", source), f"the ops server has no {path}"


@pytest.mark.parametrize("service", SERVICES)
def test_grpc_credentials_are_files_of_read_only_secret_mounts(service_config, service):
    """The service may listen on every address (TLS and callers set), and each file its gRPC
    settings name is a key of a Secret projected read-only where the setting points."""
    here, config = service_config(service)
    if service == "gateway":
        paths = [config.grpc.token_file, config.grpc.ca_file]
        assert not config.grpc.server_name  # the certificates name the Services it dials
    else:
        check_listening(config.host, config.grpc)  # would raise: refusing to listen on 0.0.0.0
        paths = [config.grpc.tls_cert_file, config.grpc.tls_key_file, config.grpc.callers_file]
        if config.grpc.tls_client_ca_file is not None:  # mutual TLS
            paths.append(config.grpc.tls_client_ca_file)
    for path in paths:
        assert path is not None, service
        mount, volume = here.volume_for(pathlib.PurePosixPath(str(path)))
        assert mount["readOnly"] is True and "subPath" not in mount
        relative = str(pathlib.PurePosixPath(str(path)).relative_to(mount["mountPath"]))
        projected = [s["secret"] for s in volume["projected"]["sources"] if "secret" in s]
        assert relative in {item["path"] for secret in projected for item in secret["items"]}, path


def test_gateway_http_probes_are_public_routes(service_config):
    from callcenter.services.gateway.web import PUBLIC

    here, _ = service_config("gateway")
    sources = "\n".join(p.read_text() for p in (REPO / "services" / "gateway").glob("*.py"))
    for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
        path = here.container[probe_name]["httpGet"]["path"]
        assert path in PUBLIC, f"{path} needs a login: the kubelet would get 401"
        assert re.search(rf"""(get|add_get)\(\s*["']{re.escape(path)}["']""", sources), f"no route {path}"
    assert here.container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_gateway_dials_the_services_where_they_are(service_config, objects):
    here, config = service_config("gateway")
    for service, address in (
        ("router", config.router_addr),
        ("stats", config.stats_addr),
        ("recorder", config.recorder_addr),
    ):
        host, _, port = address.rpartition(":")
        service_object = find(objects, "Service", host)
        assert int(port) in {p["port"] for p in service_object["spec"]["ports"]}, address
        target = deployed(objects, service)
        assert (
            service_object["spec"]["selector"].items()
            <= target.workload["spec"]["template"]["metadata"]["labels"].items()
        )


@pytest.mark.parametrize("service", SERVICES)
def test_data_dir_is_writable_and_grace_fits_in_the_termination_period(service_config, service):
    here, config = service_config(service)
    mount, volume = here.volume_for(pathlib.PurePosixPath(str(config.common.data_dir)))
    assert not mount.get("readOnly") and ({"emptyDir", "claim"} & set(volume))
    pre_stop = here.container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    pause = int(pre_stop[1]) if pre_stop[:1] == ["sleep"] else 0
    period = here.pod["terminationGracePeriodSeconds"]
    # The pod is killed only after the preStop pause and the service's own drain.
    assert pause + config.shutdown_grace_s + 3 <= period <= pause + config.shutdown_grace_s + 15


def test_router_reads_the_queue_file_from_the_configmap(service_config, objects):
    here, config = service_config("router")
    mount, volume = here.volume_for(pathlib.PurePosixPath(str(config.config_file)))
    assert mount["readOnly"] is True
    configmap = find(objects, "ConfigMap", volume["configMap"]["name"])
    relative = pathlib.PurePosixPath(str(config.config_file)).relative_to(mount["mountPath"])
    assert str(relative) in configmap["data"]


def test_recorder_keeps_recordings_on_the_persistent_volume(service_config):
    here, config = service_config("recorder")
    _, volume = here.volume_for(pathlib.PurePosixPath(str(config.recordings_dir)))
    assert "claim" in volume, "recordings would vanish with the pod"
    assert volume["claim"]["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert here.workload["spec"]["replicas"] == 1  # one writer per ReadWriteOnce volume
