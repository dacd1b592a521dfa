"""A Kustomize renderer of our own (checked equal to `kubectl kustomize` where present), for
the deploy tests: render every overlay offline."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import pathlib
import shutil
import subprocess

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
OVERLAYS = sorted(p.parent.name for p in (DEPLOY / "overlays").glob("*/kustomization.yaml"))

SUPPORTED_KEYS = {
    "apiVersion",
    "kind",
    "namespace",
    "resources",
    "components",
    "configMapGenerator",
    "secretGenerator",
    "patches",
    "images",
}
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "PersistentVolume",
    "PriorityClass",
    "StorageClass",
}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}
# List fields a strategic merge patch merges item by item (Kubernetes' patchMergeKey); every
# other list is replaced whole, as kustomize does.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
}


class KustomizeError(ValueError):
    """The kustomization uses something this renderer does not implement, or is wrong."""


def key_of(obj: dict) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return obj["kind"], meta.get("namespace", ""), meta["name"]


# --- generators ---------------------------------------------------------------------------


def _generator_data(folder: pathlib.Path, spec: dict) -> dict[str, str]:
    unknown = set(spec) - {"name", "literals", "files", "behavior", "type", "options"}
    if set(spec.get("options", {})) - {"labels"}:
        raise KustomizeError(f"generator {spec['name']}: only options.labels is supported")
    if unknown:
        raise KustomizeError(f"generator {spec.get('name')}: unsupported keys {sorted(unknown)}")
    data: dict[str, str] = {}
    for literal in spec.get("literals", []):
        name, sep, value = literal.partition("=")
        if not sep:
            raise KustomizeError(f"literal without '=': {literal!r}")
        data[name] = value
    for entry in spec.get("files", []):
        key, sep, path = entry.partition("=")
        if not sep:
            key, path = pathlib.PurePath(entry).name, entry
        data[key] = (folder / path).read_text()
    return data


def _generate(folder: pathlib.Path, kind: str, spec: dict) -> dict:
    data = _generator_data(folder, spec)
    obj = {"apiVersion": "v1", "kind": kind, "metadata": {"name": spec["name"]}}
    if spec.get("options", {}).get("labels"):
        obj["metadata"]["labels"] = dict(spec["options"]["labels"])
    if kind == "Secret":
        obj["type"] = spec.get("type", "Opaque")
        obj["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    else:
        obj["data"] = data
    return obj


def name_hash(obj: dict) -> str:
    """kustomize's content hash suffix of a generated ConfigMap or Secret (api/hasher). kustomize
    looks the name up under a key literally named "metadata/name", finds none and hashes ""."""
    encoded: dict = {"kind": obj["kind"], "name": "", "data": obj.get("data", {})}
    if obj["kind"] == "Secret":
        encoded["type"] = obj["type"]
    text = json.dumps(encoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Go's encoding/json escapes these.
    for char, escape in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, escape)
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return digest.translate(str.maketrans({"0": "g", "1": "h", "3": "k", "a": "m", "e": "t"}))


# --- strategic merge -----------------------------------------------------------------------


def strategic_merge(base, patch, field: str = ""):
    if isinstance(base, dict) and isinstance(patch, dict):
        if any(key.startswith("$") for key in patch):
            raise KustomizeError(f"patch directives are not supported: {sorted(patch)}")
        merged = dict(base)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = strategic_merge(merged[key], value, key)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    merge_key = MERGE_KEYS.get(field)
    if isinstance(base, list) and isinstance(patch, list) and merge_key:
        # Like kustomize: the patch's items first (merged into their base items), then the
        # base items the patch does not name.
        by_key = {item.get(merge_key): item for item in base}
        named = {item[merge_key] for item in patch}
        merged = [
            strategic_merge(by_key[item[merge_key]], item) if item[merge_key] in by_key else item for item in patch
        ]
        return copy.deepcopy(merged + [item for item in base if item.get(merge_key) not in named])
    return copy.deepcopy(patch)


def _apply_patch(objects: list[dict], patch: dict) -> None:
    targets = [
        i
        for i, obj in enumerate(objects)
        if obj["kind"] == patch["kind"] and obj["metadata"]["name"] == patch["metadata"]["name"]
    ]
    if len(targets) != 1:
        raise KustomizeError(f"patch of {patch['kind']}/{patch['metadata']['name']} matches {len(targets)} objects")
    objects[targets[0]] = strategic_merge(objects[targets[0]], patch)


# --- images and references -------------------------------------------------------------------


def pod_specs(obj: dict) -> list[dict]:
    """The pod spec(s) of a workload (or Pod, CronJob)."""
    if obj["kind"] == "Pod":
        return [obj["spec"]]
    if obj["kind"] in WORKLOADS:
        return [obj["spec"]["template"]["spec"]]
    if obj["kind"] == "CronJob":
        return [obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]]
    return []


def containers_of(spec: dict) -> list[dict]:
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def split_image(image: str) -> tuple[str, str, str]:
    """(name, tag, digest) of an image reference; a registry port is not a tag."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest


def _set_images(objects: list[dict], images: list[dict]) -> None:
    for obj in objects:
        for spec in pod_specs(obj):
            for container in containers_of(spec):
                name, tag, digest = split_image(container["image"])
                for rule in images:
                    if rule["name"] != name:
                        continue
                    name = rule.get("newName", name)
                    if "newTag" in rule:
                        tag, digest = str(rule["newTag"]), ""
                    if "digest" in rule:
                        tag, digest = "", rule["digest"]
                    container["image"] = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def config_references(obj: dict):
    """Yields (kind, holder dict, key) for every ConfigMap/Secret name an object refers to."""
    for spec in pod_specs(obj):
        for volume in spec.get("volumes", []):
            if "configMap" in volume:
                yield "ConfigMap", volume["configMap"], "name"
            if "secret" in volume:
                yield "Secret", volume["secret"], "secretName"
            for source in volume.get("projected", {}).get("sources", []):
                if "configMap" in source:
                    yield "ConfigMap", source["configMap"], "name"
                if "secret" in source:
                    yield "Secret", source["secret"], "name"
        for pull in spec.get("imagePullSecrets", []):
            yield "Secret", pull, "name"
        for container in containers_of(spec):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    yield "ConfigMap", source["configMapRef"], "name"
                if "secretRef" in source:
                    yield "Secret", source["secretRef"], "name"
            for var in container.get("env", []):
                ref = var.get("valueFrom", {})
                if "configMapKeyRef" in ref:
                    yield "ConfigMap", ref["configMapKeyRef"], "name"
                if "secretKeyRef" in ref:
                    yield "Secret", ref["secretKeyRef"], "name"
    if obj["kind"] == "Ingress":
        for tls in obj["spec"].get("tls", []):
            if "secretName" in tls:
                yield "Secret", tls, "secretName"


# --- the kustomization -----------------------------------------------------------------------


COMPONENT_API = "kustomize.config.k8s.io/v1alpha1"


def _build(
    folder: pathlib.Path,
    objects: list[dict] | None = None,
    generated: set[tuple[str, str]] | None = None,
    *,
    component: bool = False,
) -> tuple[list[dict], set[tuple[str, str]]]:
    """Objects of a kustomization with generated names not yet hashed, and which were generated.

    A Component (`kind: Component`, listed under `components:`) works as kustomize's does: its
    resources join the objects its parent has accumulated so far (the parent's resources and
    earlier components), and its generators, patches, images and namespace act on all of them;
    the parent's own generators and patches come after."""
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED_KEYS
    if unknown:
        raise KustomizeError(f"{folder}: unsupported kustomization keys {sorted(unknown)}")
    kind = kustomization.get("kind", "Kustomization")
    if component and (kind, kustomization.get("apiVersion")) != ("Component", COMPONENT_API):
        raise KustomizeError(f"{folder} is listed under components but is no {COMPONENT_API} Component")
    if not component and kind != "Kustomization":
        raise KustomizeError(f"{folder} is a {kind}: list a Component under components, not resources")
    objects = [] if objects is None else objects
    generated = set() if generated is None else generated
    for entry in kustomization.get("resources", []):
        path = folder / entry
        if path.is_dir():
            sub_objects, sub_generated = _build(path)
            objects += sub_objects
            generated |= sub_generated
        else:
            objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for entry in kustomization.get("components", []):
        _build(folder / entry, objects, generated, component=True)
    for field, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        for spec in kustomization.get(field, []):
            new = _generate(folder, kind, spec)
            behavior = spec.get("behavior", "create")
            existing = [
                i for i, obj in enumerate(objects) if (obj["kind"], obj["metadata"]["name"]) == (kind, spec["name"])
            ]
            if behavior == "create":
                if existing:
                    raise KustomizeError(f"{kind} {spec['name']} exists already: use behavior merge or replace")
                objects.append(new)
            elif behavior in ("merge", "replace"):
                if not existing:
                    raise KustomizeError(f"{kind} {spec['name']} to {behavior} does not exist")
                old = objects[existing[0]]
                if behavior == "merge":
                    new["data"] = {**old.get("data", {}), **new["data"]}
                labels = {**old["metadata"].get("labels", {}), **new["metadata"].get("labels", {})}
                new["metadata"] = {**old["metadata"], **new["metadata"]}
                if labels:
                    new["metadata"]["labels"] = labels
                objects[existing[0]] = new
            else:
                raise KustomizeError(f"unknown generator behavior {behavior!r}")
            generated.add((kind, spec["name"]))
    for entry in kustomization.get("patches", []):
        if set(entry) != {"path"}:
            raise KustomizeError(f"only `patches: - path: file` is supported, got {entry}")
        for patch in yaml.safe_load_all((folder / entry["path"]).read_text()):
            if patch:
                _apply_patch(objects, patch)
    _set_images(objects, kustomization.get("images", []))
    if "namespace" in kustomization:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = kustomization["namespace"]
    return objects, generated


def render(folder: pathlib.Path | str) -> list[dict]:
    """The objects `kubectl kustomize folder` prints (in file order, not kustomize's order)."""
    objects, generated = _build(pathlib.Path(folder))
    renamed: dict[tuple[str, str], str] = {}
    for obj in objects:
        kind, name = obj["kind"], obj["metadata"]["name"]
        if (kind, name) in generated:
            renamed[(kind, name)] = f"{name}-{name_hash(obj)}"
            obj["metadata"]["name"] = renamed[(kind, name)]
    for obj in objects:
        for kind, holder, key in config_references(obj):
            holder[key] = renamed.get((kind, holder[key]), holder[key])
    return objects


def render_overlay(name: str) -> list[dict]:
    return render(DEPLOY / "overlays" / name)


# --- the renderer's own tests -----------------------------------------------------------------


def _kubectl_kustomize(folder: pathlib.Path) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the Python renderer is not compared with kustomize")
    done = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]
