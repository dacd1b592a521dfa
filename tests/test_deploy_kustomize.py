"""The Kustomize renderer and every overlay: what the deploy tests build on."""

from __future__ import annotations

import shutil

import pytest

from tests.kustomize_renderer import (
    DEPLOY,
    OVERLAYS,
    KustomizeError,
    _kubectl_kustomize,
    key_of,
    render,
    render_overlay,
    split_image,
    strategic_merge,
)


def test_there_are_dev_and_prod_overlays():
    assert {"dev", "prod"} <= set(OVERLAYS)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_renderer_matches_kubectl_kustomize(overlay):
    expected = {key_of(obj): obj for obj in _kubectl_kustomize(DEPLOY / "overlays" / overlay)}
    ours = {key_of(obj): obj for obj in render_overlay(overlay)}
    assert sorted(ours) == sorted(expected)
    for key, obj in ours.items():
        assert obj == expected[key], key


def test_name_hash_is_kustomizes(tmp_path):
    """Known suffixes printed by kustomize v5 for these exact generators."""
    (tmp_path / "kustomization.yaml").write_text(
        "configMapGenerator:\n- name: a\n  literals: [X=1, Y=<&>]\nsecretGenerator:\n- name: s\n  literals: [url=redis://r:6379/0]\n"
    )
    names = sorted(obj["metadata"]["name"] for obj in render(tmp_path))
    if shutil.which("kubectl"):
        assert names == sorted(obj["metadata"]["name"] for obj in _kubectl_kustomize(tmp_path))
    assert [n.rsplit("-", 1)[0] for n in names] == ["a", "s"]
    assert all(len(n.rsplit("-", 1)[1]) == 10 for n in names)


def test_generated_names_are_rewritten_in_references_and_merge_rehashes(tmp_path):
    base = tmp_path / "base"
    overlay = tmp_path / "overlay"
    base.mkdir()
    overlay.mkdir()
    (base / "kustomization.yaml").write_text(
        "resources: [pod.yaml]\nconfigMapGenerator:\n- name: cfg\n  literals: [A=1]\n"
    )
    (base / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: app\n"
        "    envFrom: [{configMapRef: {name: cfg}}]\n"
        "    env: [{name: S, valueFrom: {secretKeyRef: {name: ext, key: k}}}]\n"
    )
    (overlay / "kustomization.yaml").write_text(
        "namespace: ns\nresources: [../base]\nconfigMapGenerator:\n- name: cfg\n  behavior: merge\n  literals: [B=2]\n"
        "images:\n- name: app\n  newName: reg:5000/app\n  newTag: '1.2'\n"
    )
    base_cfg = next(o for o in render(base) if o["kind"] == "ConfigMap")
    objects = {o["kind"]: o for o in render(overlay)}
    cfg, pod = objects["ConfigMap"], objects["Pod"]
    assert cfg["data"] == {"A": "1", "B": "2"}
    assert cfg["metadata"]["name"] != base_cfg["metadata"]["name"]  # new content, new name
    container = pod["spec"]["containers"][0]
    assert container["envFrom"][0]["configMapRef"]["name"] == cfg["metadata"]["name"]
    assert container["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "ext"  # not generated: kept
    assert container["image"] == "reg:5000/app:1.2"
    assert pod["metadata"]["namespace"] == cfg["metadata"]["namespace"] == "ns"
    if shutil.which("kubectl"):
        assert {key_of(o): o for o in _kubectl_kustomize(overlay)} == {key_of(o): o for o in render(overlay)}


def test_strategic_merge_merges_named_lists_and_replaces_others():
    base = {
        "containers": [{"name": "a", "image": "x", "env": [{"name": "E", "value": "1"}], "args": ["p", "q"]}],
        "tolerations": [{"key": "t"}],
    }
    patch = {
        "containers": [
            {"name": "a", "env": [{"name": "E", "value": "2"}, {"name": "F", "value": "3"}], "args": ["r"]},
            {"name": "b", "image": "y"},
        ],
        "tolerations": [{"key": "u"}],
    }
    merged = strategic_merge(base, patch)
    assert merged["containers"][0] == {
        "name": "a",
        "image": "x",
        "env": [{"name": "E", "value": "2"}, {"name": "F", "value": "3"}],
        "args": ["r"],
    }
    assert merged["containers"][1] == {"name": "b", "image": "y"}
    assert merged["tolerations"] == [{"key": "u"}]
    assert strategic_merge({"a": 1, "b": 2}, {"a": None}) == {"b": 2}
    # kustomize's order: the patch's items, then the base items it does not name.
    env = strategic_merge({"env": [{"name": "A"}, {"name": "B"}]}, {"env": [{"name": "B", "value": "2"}]})
    assert env == {"env": [{"name": "B", "value": "2"}, {"name": "A"}]}
    assert base["containers"][0]["args"] == ["p", "q"]  # inputs are not changed


def test_components_add_their_objects_and_act_on_what_the_parent_has(tmp_path):
    """Like kustomize: a Component's resources and generated ConfigMaps join the parent's
    objects, its patches act on the parent's, and the parent's namespace covers them all."""
    base, component, overlay = tmp_path / "base", tmp_path / "component", tmp_path / "overlay"
    for folder in (base, component, overlay):
        folder.mkdir()
    (base / "kustomization.yaml").write_text("resources: [pod.yaml]\n")
    (base / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: app\n"
    )
    (component / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [service.yaml]\n"
        "configMapGenerator:\n- name: dash\n  options: {labels: {grafana_dashboard: '1'}}\n  files: [d.json]\n"
        "patches:\n- path: patch.yaml\n"
    )
    (component / "service.yaml").write_text(
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{name: ops, port: 9090}]\n"
    )
    (component / "d.json").write_text('{"panels": []}\n')
    (component / "patch.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n"
        "    env: [{name: X, value: '1'}]\n"
    )
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ns\n"
        "resources: [../base]\ncomponents: [../component]\n"
    )
    objects = {o["kind"]: o for o in render(overlay)}
    assert set(objects) == {"Pod", "Service", "ConfigMap"}
    assert objects["Pod"]["spec"]["containers"][0]["env"] == [{"name": "X", "value": "1"}]
    dashboard = objects["ConfigMap"]
    assert dashboard["metadata"]["labels"] == {"grafana_dashboard": "1"}
    assert dashboard["data"] == {"d.json": '{"panels": []}\n'}
    assert dashboard["metadata"]["name"].startswith("dash-")
    assert {o["metadata"]["namespace"] for o in objects.values()} == {"ns"}
    if shutil.which("kubectl"):
        assert {key_of(o): o for o in _kubectl_kustomize(overlay)} == {key_of(o): o for o in render(overlay)}


def test_a_component_is_listed_under_components_and_only_there(tmp_path):
    component, plain, overlay = tmp_path / "component", tmp_path / "plain", tmp_path / "overlay"
    for folder in (component, plain, overlay):
        folder.mkdir()
    (component / "kustomization.yaml").write_text("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n")
    (plain / "kustomization.yaml").write_text("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")
    (overlay / "kustomization.yaml").write_text("resources: [../component]\n")
    with pytest.raises(KustomizeError, match="list a Component under components"):
        render(overlay)
    (overlay / "kustomization.yaml").write_text("components: [../plain]\n")
    with pytest.raises(KustomizeError, match="is no kustomize.config.k8s.io/v1alpha1 Component"):
        render(overlay)


def test_unsupported_kustomization_features_fail_loudly(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("commonLabels: {a: b}\n")
    with pytest.raises(KustomizeError, match="commonLabels"):
        render(tmp_path)


def test_split_image():
    assert split_image("callcenter") == ("callcenter", "", "")
    assert split_image("reg.example.com:5000/cc/callcenter:0.1.0") == (
        "reg.example.com:5000/cc/callcenter",
        "0.1.0",
        "",
    )
    assert split_image("redis:7.2-alpine@sha256:ab") == ("redis", "7.2-alpine", "sha256:ab")
