"""Regenerates the Python code for every .proto under protos/ (one command: `callcenter codegen`).

The generated modules land in a package tree that mirrors the proto packages, so imports read
`from callcenter.router.v1 import router_pb2`. Generated code is never edited by hand; a test
regenerates into a temporary folder and fails if the committed files differ.
"""

from __future__ import annotations

import pathlib
import sys

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTO_ROOT = REPO_ROOT / "protos"


def proto_files(proto_root: pathlib.Path = PROTO_ROOT) -> list[pathlib.Path]:
    """Every .proto file of the contract, in a stable order."""
    return sorted(proto_root.rglob("*.proto"))


def generate(out_dir: pathlib.Path = REPO_ROOT, proto_root: pathlib.Path = PROTO_ROOT) -> list[pathlib.Path]:
    """Runs protoc (from grpcio-tools) over protos/ into out_dir; returns the files written."""
    import importlib.resources

    from grpc_tools import protoc  # dev dependency: only needed to regenerate

    well_known = str(importlib.resources.files("grpc_tools") / "_proto")
    files = [str(p.relative_to(proto_root)) for p in proto_files(proto_root)]
    args = [
        "protoc",
        f"-I{proto_root}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *files,
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc failed: " + " ".join(args))
    written: list[pathlib.Path] = []
    for rel in files:
        package_dir = out_dir / pathlib.Path(rel).parent
        # Make every folder from the top package down an importable package.
        folder = package_dir
        while folder != out_dir:
            init = folder / "__init__.py"
            if not init.exists():
                init.write_text("")
            folder = folder.parent
        stem = pathlib.Path(rel).stem
        for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py"):
            path = package_dir / f"{stem}{suffix}"
            if path.exists():
                written.append(path)
    return written


def main() -> int:
    for path in generate():
        print(path.relative_to(REPO_ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
