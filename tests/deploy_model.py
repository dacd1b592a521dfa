"""What the deploy tests read of the manifests and of the services: the env vars each reads,
its deployed container, ports and probes."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import pathlib

from tests.kustomize_renderer import REPO

SERVICES = ["router", "stats", "recorder", "gateway", "webhooks"]
# Stands in for a Secret the operator creates (prod): a value the service would accept.
EXTERNAL_SECRET_VALUES = {("callcenter-redis", "url"): "rediss://redis.example.invalid:6380/0"}
ENV_READERS = {"env_str", "env_int", "env_float", "env_bool", "getenv"}


def env_names_read(files) -> set[str]:
    """CALLCENTER_* names passed to env_str/env_int/env_float/os.getenv/os.environ.get or
    looked up as os.environ[...] in the given Python files."""
    names: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            key = None
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                on_environ = (
                    isinstance(func, ast.Attribute) and func.attr == "get" and "environ" in ast.unparse(func.value)
                )
                if name in ENV_READERS or on_environ:
                    key = node.args[0]
            elif isinstance(node, ast.Subscript) and "environ" in ast.unparse(node.value):
                key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.startswith("CALLCENTER_"):
                names.add(key.value)
    return names


def require_service(service: str):
    """The service's config module: every service the manifests deploy must have one."""
    assert (REPO / "services" / service / "config.py").exists(), f"services/{service}/config.py is missing"
    return importlib.import_module(f"callcenter.services.{service}.config")


def config_class(module):
    classes = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and obj.__module__ == module.__name__ and hasattr(obj, "from_env")
    ]
    with_port = [c for c in classes if "port" in {f.name for f in dataclasses.fields(c)}]
    assert len(with_port) == 1, f"{module.__name__}: which class is the service's config? {classes}"
    return with_port[0]


@dataclasses.dataclass
class Deployed:
    """A service's container as an overlay deploys it."""

    objects: list
    workload: dict
    pod: dict
    container: dict
    env: dict[str, str]

    def volume_for(self, path: pathlib.PurePosixPath):
        """(mount, volume or claim template) of the deepest mount holding path."""
        mounts = [
            m
            for m in self.container.get("volumeMounts", [])
            if path == pathlib.PurePosixPath(m["mountPath"]) or pathlib.PurePosixPath(m["mountPath"]) in path.parents
        ]
        assert mounts, f"{path} is on no volume (read-only root file system)"
        mount = max(mounts, key=lambda m: len(m["mountPath"]))
        volumes = {v["name"]: v for v in self.pod.get("volumes", [])}
        claims = {c["metadata"]["name"]: {"claim": c} for c in self.workload["spec"].get("volumeClaimTemplates", [])}
        return mount, {**volumes, **claims}[mount["name"]]

    def port_number(self, port) -> int:
        if isinstance(port, int):
            return port
        return next(p["containerPort"] for p in self.container["ports"] if p["name"] == port)


def find(objects, kind, name):
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, (kind, name)
    return matches[0]


def deployed(objects, service: str) -> Deployed:
    workloads = [o for o in objects if o["kind"] in ("Deployment", "StatefulSet") and o["metadata"]["name"] == service]
    assert len(workloads) == 1, service
    pod = workloads[0]["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == service]
    configmaps = {o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"}
    secrets = {o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "Secret"}
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]])
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = var["value"]
            continue
        ref = var["valueFrom"]
        if "configMapKeyRef" in ref:
            env[var["name"]] = configmaps[ref["configMapKeyRef"]["name"]][ref["configMapKeyRef"]["key"]]
        else:
            import base64

            secret, key = ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"]
            if secret in secrets:
                env[var["name"]] = base64.b64decode(secrets[secret][key]).decode()
            else:
                env[var["name"]] = EXTERNAL_SECRET_VALUES[(secret, key)]
    return Deployed(objects, workloads[0], pod, container, env)
