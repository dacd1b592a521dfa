"""No drift between deploy/ and the code: every command the manifests run is a real
`callcenter` subcommand, every CALLCENTER_* variable a container gets is one its service
reads, the service's own config accepts the values, and the ports, probes, addresses, paths
and grace periods agree with what the service then binds and does."""

from __future__ import annotations

import importlib
import pathlib
import re

import pytest

from callcenter import cli
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
    # Reachable from other pods and the kubelet, not only from loopback.
    assert config.host in ("0.0.0.0", "::")
    (port,) = here.container["ports"]
    assert port["containerPort"] == config.port
    for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = here.container.get(probe_name)
        if probe is None:
            continue
        (kind,) = {"grpc", "httpGet", "tcpSocket"} & set(probe)
        assert here.port_number(probe[kind]["port"]) == config.port, probe_name
    service_object = find(here.objects, "Service", service)
    targets = {here.port_number(p["targetPort"]) for p in service_object["spec"]["ports"]}
    assert targets == {config.port}


@pytest.mark.parametrize("service", ["router", "stats", "recorder"])
def test_grpc_probes_ask_the_health_service_for_the_served_service(service_config, service):
    here, _ = service_config(service)
    served = importlib.import_module(f"callcenter.services.{service}.server").SERVICE_NAME
    readiness = here.container["readinessProbe"]["grpc"]
    assert readiness["service"] == served
    assert here.container["livenessProbe"]["grpc"].get("service", "") == ""  # the overall status


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
