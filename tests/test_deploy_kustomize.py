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
