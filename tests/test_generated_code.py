"""The committed generated code is exactly what `callcenter codegen` makes from protos/."""

from __future__ import annotations

import pathlib

from callcenter.tools.codegen import REPO_ROOT, generate


def test_committed_generated_code_matches_the_protos(tmp_path):
    written = generate(out_dir=tmp_path)
    assert written, "protos/ produced no code"
    stale = []
    for path in written:
        rel = path.relative_to(tmp_path)
        committed = REPO_ROOT / rel
        if not committed.exists() or committed.read_bytes() != path.read_bytes():
            stale.append(str(rel))
    assert not stale, f"generated code is stale, run `callcenter codegen`: {stale}"


def test_every_message_and_field_of_the_contract_is_commented():
    undocumented = []
    for proto in sorted((REPO_ROOT / "protos").rglob("*.proto")):
        lines = proto.read_text().splitlines()
        for i, line in enumerate(lines):
            stripped = line.strip()
            is_decl = stripped.startswith(("message ", "enum ", "service ", "rpc ")) or (
                "=" in stripped and stripped.endswith(";") and not stripped.startswith(("option", "syntax", "//"))
            )
            if is_decl and not lines[i - 1].strip().startswith("//"):
                undocumented.append(f"{pathlib.Path(proto).name}:{i + 1}: {stripped}")
    assert not undocumented, "\n".join(undocumented)
