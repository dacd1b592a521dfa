"""The packages import only what docs/architecture.md ("Packages and their imports") allows.

    callcenter.cli ─────────────► callcenter.tools.*  (bench, simulator, codegen: from tools/)
          │                              │ may look inside a service
          ▼                              ▼
    callcenter.services.<one>  (router, recorder, stats, gateway: from services/)
          │  never another service: they talk over gRPC and the event stream
          ▼
    callcenter.core (the kernel) ───► callcenter.api (generated from protos/)

Nothing imports the composition root (callcenter.cli); the kernel imports no service and no tool;
the generated code imports only generated code.
"""

from __future__ import annotations

import ast
import pathlib
import re
import tomllib

ROOT = pathlib.Path(__file__).parent.parent
#: Where each installed package's files are (pyproject.toml maps two folders).
FOLDERS = {
    "callcenter.services": ROOT / "services",
    "callcenter.tools": ROOT / "tools",
    "callcenter.integrations": ROOT / "integrations",
    "callcenter": ROOT / "callcenter",
}


def _imports(path: pathlib.Path, package: str) -> set[str]:
    """Every module of ours a file imports, at the top or inside functions, relative ones resolved."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                found.add(node.module)
    return {m for m in found if m == "callcenter" or m.startswith("callcenter.")}


def _modules() -> dict[str, tuple[pathlib.Path, set[str]]]:
    """Every module of the installed package: its name -> (file, what it imports of ours)."""
    modules: dict[str, tuple[pathlib.Path, set[str]]] = {}
    for prefix, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([prefix, *parts])
            if name in modules:
                continue  # callcenter/ is walked last: the mapped folders win
            package = name if path.name == "__init__.py" else name.rpartition(".")[0]
            modules[name] = (path, _imports(path, package))
    return modules


def _layer(module: str) -> str:
    """callcenter.core, callcenter.api, callcenter.cli, callcenter.services.<s>, callcenter.tools.<t>."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[1] in ("services", "tools", "integrations"):
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def _offenders(allowed) -> dict[str, list[str]]:
    found = {}
    for name, (path, imports) in _modules().items():
        bad = sorted(m for m in imports if not allowed(_layer(name), _layer(m)))
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_the_kernel_imports_only_itself_and_the_generated_api():
    assert _offenders(lambda me, it: me != "callcenter.core" or it in ("callcenter.core", "callcenter.api")) == {}


def test_generated_code_imports_only_generated_code():
    assert _offenders(lambda me, it: me != "callcenter.api" or it == "callcenter.api") == {}


def test_no_service_or_integration_imports_another_or_a_tool():
    def allowed(me: str, it: str) -> bool:
        ours = me.startswith(("callcenter.services.", "callcenter.integrations."))
        return not ours or it in (me, "callcenter.core", "callcenter.api")

    assert _offenders(allowed) == {}


def test_nothing_but_the_entry_point_imports_the_composition_root():
    assert _offenders(lambda me, it: it != "callcenter.cli" or me == "callcenter.cli") == {}


def test_every_layer_is_one_of_the_documented_ones():
    layers = {_layer(name) for name in _modules()}
    services = {f"callcenter.services.{s}" for s in ("router", "recorder", "stats", "gateway", "webhooks")}
    tool_names = ("bench", "simulator", "sip", "codegen", "settings_doc", "credentials", "doctor")
    tools = {f"callcenter.tools.{t}" for t in tool_names}
    documented = {"callcenter", "callcenter.core", "callcenter.api", "callcenter.cli", "callcenter.services"}
    integrations = {"callcenter.integrations", "callcenter.integrations.kamailio"}
    assert layers == documented | {"callcenter.tools"} | services | tools | integrations


def test_pyproject_installs_every_package_folder():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {name for name, (path, _) in _modules().items() if path.name == "__init__.py"}
    assert listed == on_disk
    assert config["package-dir"] == {
        "": ".",
        "callcenter.services": "services",
        "callcenter.tools": "tools",
        "callcenter.integrations": "integrations",
    }


def test_nothing_imports_the_folders_by_their_repository_names():
    """services/ and tools/ are importable from the repository root as `services` and `tools`
    too; a module imported under both names would run twice with two sets of globals."""
    offenders = {}
    for path in [*ROOT.glob("tests/*.py"), *(p for folder in FOLDERS.values() for p in folder.rglob("*.py"))]:
        source = path.read_text()
        tree = ast.parse(source)
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level}
        # import_module("services.x") or f"services.{name}": a string that starts like a module
        strings = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        names |= {n.value for n in strings if re.fullmatch(r"(services|tools)\.[\w.]+", n.value)}
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                if str(node.values[0].value).startswith(("services.", "tools.")) and len(node.values) > 1:
                    names.add(str(node.values[0].value) + "{...}")
        if bad := sorted(m for m in names if m.split(".")[0] in ("services", "tools")):
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_no_test_imports_another_test_module():
    offenders = {}
    for path in (ROOT / "tests").glob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        if bad := sorted(m for m in names if m.startswith("tests.test_")):
            offenders[path.name] = bad
    assert offenders == {}
