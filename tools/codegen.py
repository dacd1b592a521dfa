"""Regenerates the Python code for every .proto under protos/ (one command: `callcenter codegen`).

The proto packages are `callcenter.<api>.v1`; their Python code lands in the package of its own
`callcenter.api` (`from callcenter.api.router.v1 import router_pb2`), so the generated router API
and the router service (`callcenter.services.router`) never share a name. protoc writes imports
that mirror the proto paths, so they are rewritten (only the Python imports and module names; the
descriptors, with the proto package names clients see on the wire, stay as protoc made them).
Generated code is never edited by hand; a test regenerates into a temporary folder and fails if
the committed files differ.
"""

from __future__ import annotations

import pathlib
import re
import sys
import tempfile

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTO_ROOT = REPO_ROOT / "protos"
#: Where the generated package tree starts, relative to the output folder (the repository root).
API_PACKAGE = pathlib.Path("callcenter", "api")

# `from callcenter.router.v1 import x_pb2` and the `'callcenter.router.v1.x_pb2'` module name the
# builder gives the message classes: both name Python modules, which live under callcenter.api.
_PYTHON_MODULE = re.compile(r"(\bfrom |')callcenter\.(\w+)\.v(\d+)( import |\.\w+_pb2')")


def proto_files(proto_root: pathlib.Path = PROTO_ROOT) -> list[pathlib.Path]:
    """Every .proto file of the contract, in a stable order."""
    return sorted(proto_root.rglob("*.proto"))


def _point_at_api_package(source: str) -> str:
    return _PYTHON_MODULE.sub(r"\1callcenter.api.\2.v\3\4", source)


def generate(out_dir: pathlib.Path = REPO_ROOT, proto_root: pathlib.Path = PROTO_ROOT) -> list[pathlib.Path]:
    """Runs protoc (from grpcio-tools) over protos/ into out_dir/callcenter/api; returns the files written."""
    import importlib.resources

    from grpc_tools import protoc  # dev dependency: only needed to regenerate

    well_known = str(importlib.resources.files("grpc_tools") / "_proto")
    files = [pathlib.Path(p.relative_to(proto_root)) for p in proto_files(proto_root)]
    written: list[pathlib.Path] = []
    with tempfile.TemporaryDirectory() as raw:
        raw_dir = pathlib.Path(raw)
        args = [
            "protoc",
            f"-I{proto_root}",
            f"-I{well_known}",
            f"--python_out={raw_dir}",
            f"--pyi_out={raw_dir}",
            f"--grpc_python_out={raw_dir}",
            *map(str, files),
        ]
        if protoc.main(args) != 0:
            raise RuntimeError("protoc failed: " + " ".join(args))
        for rel in files:
            # protos/callcenter/router/v1/router.proto -> callcenter/api/router/v1/router_pb2.py
            package_dir = out_dir / API_PACKAGE / pathlib.Path(*rel.parent.parts[1:])
            package_dir.mkdir(parents=True, exist_ok=True)
            folder = package_dir
            while folder != out_dir / API_PACKAGE.parent:  # every folder down from callcenter/api
                init = folder / "__init__.py"
                if not init.exists():
                    init.write_text("")
                folder = folder.parent
            for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"):
                source = raw_dir / rel.parent / f"{rel.stem}{suffix}"
                if source.exists():
                    target = package_dir / source.name
                    target.write_text(_point_at_api_package(source.read_text()))
                    written.append(target)
    return written


def main() -> int:
    for path in generate():
        print(path.relative_to(REPO_ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
