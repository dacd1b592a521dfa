"""The repository keeps its promises: CI runs the README's test command."""

from __future__ import annotations

import re

from callcenter.codegen import REPO_ROOT


def _readme_block_after(heading: str) -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split(heading, 1)[1]
    return re.search(r"```sh\n(.+?)\n```", section, re.S).group(1).strip()


def test_ci_runs_exactly_the_readme_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert _readme_block_after("## Test it") in ci.splitlines()
