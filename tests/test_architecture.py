"""The packages import only what docs/architecture.md ("Packages and their imports") allows:
the kernel (callcenter/) no service, except its composition root (callcenter/cli.py, which
starts them); no service another service (they talk over gRPC and the event stream). The
tools beside them (bench, simulator) play a PBX over gRPC too, and may look inside a
service only to explain a measurement (the bench names the router's scripts by SHA)."""

from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).parent.parent
TOOLS = {"bench", "simulator"}
COMPOSITION_ROOT = ROOT / "callcenter" / "cli.py"


def _imports(path: pathlib.Path) -> set[str]:
    """Every module a file imports, at the top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _python_files(folder: str) -> list[pathlib.Path]:
    return [p for p in (ROOT / folder).rglob("*.py") if "_pb2" not in p.name]


def test_the_kernel_imports_no_service_but_from_its_composition_root():
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in _imports(path) if m.split(".")[0] == "services")
        for path in _python_files("callcenter")
        if path != COMPOSITION_ROOT
    }
    assert {path: modules for path, modules in offenders.items() if modules} == {}


def test_no_service_imports_another_and_tools_only_look_inside():
    services = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())
    assert TOOLS < set(services)
    offenders = {}
    for service in services:
        for path in _python_files(f"services/{service}"):
            others = sorted(
                m
                for m in _imports(path)
                if m.startswith("services.")
                and m.split(".")[1] != service
                and (service not in TOOLS or m.split(".")[1] in TOOLS)  # a tool may look inside a service
            )
            if others:
                offenders[str(path.relative_to(ROOT))] = others
    assert offenders == {}


def test_generated_code_imports_only_generated_code_and_grpc():
    for path in (ROOT / "callcenter").rglob("*_pb2*.py"):
        ours = {m for m in _imports(path) if m.startswith(("callcenter", "services"))}
        assert all(m.split(".")[-1].endswith(("_pb2", "_pb2_grpc")) or ".v1" in m for m in ours), (path, ours)


def test_no_test_imports_another_test_module():
    offenders = {
        path.name: sorted(m for m in _imports(path) if m.startswith("tests.test_"))
        for path in (ROOT / "tests").glob("*.py")
    }
    assert {name: modules for name, modules in offenders.items() if modules} == {}
