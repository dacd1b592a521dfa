"""The repository keeps its promises: CI runs the README's test command."""

from __future__ import annotations

import re

from callcenter.tools.codegen import REPO_ROOT


def _readme_block_after(heading: str) -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split(heading, 1)[1]
    return re.search(r"```sh\n(.+?)\n```", section, re.S).group(1).strip()


def test_ci_runs_exactly_the_readme_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert _readme_block_after("## Test it") in ci.splitlines()


def test_the_code_is_lint_clean_and_formatted():
    import subprocess
    import sys

    folders = ["callcenter", "services", "tests"]
    for args in (["check", *folders], ["format", "--check", *folders]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"ruff {' '.join(args)}:\n{done.stdout[-3000:]}{done.stderr[-1000:]}"


def test_the_kernel_type_checks_strictly():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-1000:]
