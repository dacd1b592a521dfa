"""The container recipe (deploy/Dockerfile) keeps its promises: slim Python 3.11, wheels built
in a builder stage and installed into a final stage without build tools, an unprivileged
numeric user, `callcenter` as the entrypoint, and a build context holding only the sources.
(Building the image needs a Docker daemon; these checks read the recipe.)"""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib

import pytest

from tests.kustomize_renderer import DEPLOY, OVERLAYS, REPO, containers_of, pod_specs, render_overlay

DOCKERFILE = DEPLOY / "Dockerfile"
BUILD_TOOLS = ("build-essential", "gcc", "g++", "make", "apt-get install", "git ")


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in joined.splitlines()
        if line.strip()
    ]


def stages(text: str) -> list[dict]:
    args = {}
    result: list[dict] = []
    for op, rest in instructions(text):
        if op == "ARG" and not result:
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip()
        elif op == "FROM":
            words = rest.split()
            image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
            result.append({"image": image, "name": name, "ops": []})
        else:
            result[-1]["ops"].append((op, rest))
    return result


@pytest.fixture(scope="module")
def recipe():
    return stages(DOCKERFILE.read_text())


def test_multi_stage_on_slim_python_311(recipe):
    assert len(recipe) >= 2
    builder, final = recipe[0], recipe[-1]
    assert builder["name"] == "builder"
    for stage in recipe:
        assert re.fullmatch(r"python:3\.11-slim(-\w+)?", stage["image"]), stage["image"]
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11"
    # The builder makes wheels of the project and its dependencies ...
    assert any(op == "RUN" and "pip wheel" in rest and "/wheels" in rest for op, rest in builder["ops"])
    # ... the final stage installs only those (no index) and keeps no build tools.
    installs = [rest for op, rest in final["ops"] if op == "RUN" and "pip install" in rest]
    assert len(installs) == 1
    assert "--no-index" in installs[0] and "from=builder" in installs[0]
    for op, rest in final["ops"]:
        assert not (op == "COPY" and "--from" not in rest), f"final stage copies sources: {rest}"
        if op == "RUN":
            assert not any(tool in rest for tool in BUILD_TOOLS), rest
    assert any("pip uninstall" in rest for op, rest in final["ops"] if op == "RUN")


def test_final_stage_runs_callcenter_as_an_unprivileged_numeric_user(recipe):
    final = recipe[-1]
    users = [rest for op, rest in final["ops"] if op == "USER"]
    assert users, "the image would run as root"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) >= 1000 and (not gid or int(gid) >= 1000)  # runAsNonRoot needs a number
    (entrypoint,) = [rest for op, rest in final["ops"] if op == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["callcenter"]  # exec form: signals reach the process
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["callcenter"] == "callcenter.cli:main"
    env = " ".join(rest for op, rest in final["ops"] if op == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env  # the root file system is read-only


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_image_exposes_every_port_the_manifests_use(recipe, overlay):
    exposed = {int(p) for op, rest in recipe[-1]["ops"] if op == "EXPOSE" for p in rest.split()}
    used = {
        port["containerPort"]
        for obj in render_overlay(overlay)
        for spec in pod_specs(obj)
        for container in containers_of(spec)
        if container["command"][0] == "callcenter"
        for port in container["ports"]
    }
    assert used and used == exposed


def ignored(patterns: list[str], path: str) -> bool:
    """Docker's rule: the last matching pattern wins; "!" lets a path back in."""
    result = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        pattern = pattern.replace("**/", "*")
        if fnmatch.fnmatch(path, pattern) or any(
            fnmatch.fnmatch("/".join(path.split("/")[:i]), pattern) for i in range(1, path.count("/") + 1)
        ):
            result = not negate
    return result


def test_build_context_holds_only_what_the_builder_copies(recipe):
    patterns = [
        line.strip()
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"  # an allow-list: new folders stay out unless let in
    copied = [
        word.rstrip("/")
        for op, rest in recipe[0]["ops"]
        if op == "COPY" and "--from" not in rest
        for word in rest.split()[:-1]
    ]
    assert copied
    for path in copied:
        assert (REPO / path).exists(), path
        assert not ignored(patterns, path), path
        assert not ignored(patterns, f"{path}/x.py") or path.endswith((".toml", ".md")), path
    for path in (".venv/bin/python", ".git/config", "tests/conftest.py", "data/dump.rdb", "deploy/Dockerfile"):
        assert ignored(patterns, path), path
    assert ignored(patterns, "callcenter/__pycache__/cli.cpython-311.pyc")
    assert not ignored(patterns, "services/router/scripts/offer.lua")
