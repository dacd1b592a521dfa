"""Every setting is declared once: the environment parsing, the bounds, the defaults and
docs/configuration.md all come from that declaration, and nothing reads a CALLCENTER_* variable
around it."""

from __future__ import annotations

import dataclasses
import pathlib
import re

import pytest

from callcenter.core.config import CommonConfig
from callcenter.core.settings import ConfigError, Setting, load, nested, rows, setting
from callcenter.services.gateway.config import GatewayConfig
from callcenter.services.recorder.config import RecorderConfig
from callcenter.services.router.config import RouterConfig
from callcenter.services.stats.config import StatsConfig
from callcenter.tools.settings_doc import SECTIONS, TARGET, declared, render
from tests.deploy_model import env_names_read

REPO = pathlib.Path(__file__).parent.parent
SERVICES = [CommonConfig, RouterConfig, StatsConfig, RecorderConfig, GatewayConfig]
EVERY_ROW = [(cls.__name__, row) for _, _, cls in SECTIONS for row in rows(cls)]


def test_the_configuration_page_is_generated_from_the_declarations():
    assert TARGET.read_text() == render(), "run `python -m callcenter.tools.settings_doc`"


def test_no_other_document_keeps_a_settings_table_of_its_own():
    tables = {
        str(path.relative_to(REPO))
        for path in [REPO / "README.md", *(REPO / "docs").glob("*.md")]
        if path != TARGET and re.search(r"^\| `CALLCENTER_", path.read_text(), re.M)
    }
    assert tables == set()


def test_every_variable_the_documents_and_manifests_name_is_declared():
    names = set(declared())
    texts = [REPO / "README.md", *(REPO / "docs").glob("*.md"), *(REPO / "deploy").rglob("*.yaml")]
    unknown = {}
    for path in texts:
        for name in re.findall(r"CALLCENTER_[A-Z0-9_]*[A-Z0-9]", path.read_text()):
            family = name.rstrip("_")
            if name not in names and not any(n.startswith(family + "_") for n in names):
                unknown.setdefault(str(path.relative_to(REPO)), set()).add(name)
    assert unknown == {}


def test_no_code_reads_a_variable_around_its_declaration():
    code = [
        p
        for folder in ("callcenter", "services", "tools")
        for p in (REPO / folder).rglob("*.py")
        if "_pb2" not in p.name and p.name != "settings.py"
    ]
    assert env_names_read(code) == set()


def test_a_variable_the_services_share_is_declared_the_same_everywhere():
    seen: dict[str, tuple[str, object]] = {}
    for cls in SERVICES:
        for row in rows(cls):
            declaration = (row.default, row.setting)
            assert seen.setdefault(row.env, declaration) == declaration, f"{row.env} differs in {cls.__name__}"


@pytest.mark.parametrize(("owner", "row"), EVERY_ROW, ids=[f"{o}:{r.env}" for o, r in EVERY_ROW])
def test_every_default_keeps_its_own_bounds(owner, row):
    spec: Setting = row.setting
    if spec.minimum is not None and row.default not in ("*(empty)*",) and not spec.shown_default:
        assert float(row.default) >= spec.minimum
    if spec.maximum is not None and not spec.shown_default and row.default != "*(empty)*":
        assert float(row.default) <= spec.maximum
    if spec.choices:
        assert row.default in spec.choices
    if spec.pattern and row.default != "*(empty)*" and not spec.shown_default:
        assert re.fullmatch(spec.pattern, row.default)
    assert spec.doc, "every setting says what it means"


@pytest.mark.parametrize("cls", SERVICES, ids=lambda c: c.__name__)
def test_an_empty_environment_gives_the_declared_defaults(cls):
    assert load(cls, {}) == cls()


@pytest.mark.parametrize("cls", SERVICES, ids=lambda c: c.__name__)
def test_every_bad_value_is_refused_naming_its_variable(cls):
    for row in rows(cls):
        spec = row.setting
        bad = []
        if spec.minimum is not None:
            bad += ["a few", "1e999", str(spec.minimum - 1)]
        if spec.maximum is not None:
            bad.append(str(spec.maximum * 10 + 1))
        if spec.choices or spec.pattern:
            bad.append("no such value with spaces")
        for value in bad:
            with pytest.raises(ConfigError, match=re.escape(row.env)):
                load(cls, {row.env: value})


def test_values_are_parsed_by_their_declared_type():
    config = load(
        RouterConfig,
        {
            "CALLCENTER_ROUTER_PORT": "0",
            "CALLCENTER_ROUTER_PORT_FILE": "/tmp/port",
            "CALLCENTER_SHUTDOWN_GRACE_S": "0.5",
            "CALLCENTER_PBX_MAX_SESSIONS": "3",
            "CALLCENTER_TENANT": "site-2",
        },
    )
    assert (config.port, config.port_file, config.shutdown_grace_s) == (0, pathlib.Path("/tmp/port"), 0.5)
    assert (config.pbx.max_sessions, config.common.tenant) == (3, "site-2")
    assert load(GatewayConfig, {"CALLCENTER_GATEWAY_SECURE_COOKIES": "yes"}).secure_cookies is True
    with pytest.raises(ConfigError, match="CALLCENTER_GATEWAY_SECURE_COOKIES"):
        load(GatewayConfig, {"CALLCENTER_GATEWAY_SECURE_COOKIES": "maybe"})


def test_a_rule_across_settings_is_checked_after_loading():
    with pytest.raises(ConfigError, match="IDLE_FINALIZE"):
        load(
            RecorderConfig, {"CALLCENTER_RECORDER_IDLE_FINALIZE_S": "1", "CALLCENTER_RECORDER_UPLOAD_LEASE_MS": "5000"}
        )


@dataclasses.dataclass(frozen=True)
class Inner:
    b: int = setting("X_B", 2, "b", minimum=0)


@dataclasses.dataclass(frozen=True)
class Outer:
    a: str = setting("X_A", "one", "a", choices=("one", "two"))
    inner: Inner = nested(Inner)


def test_groups_nest_and_documentation_follows_declaration_order():
    assert [r.env for r in rows(Outer)] == ["X_A", "X_B"]
    assert load(Outer, {"X_A": "two", "X_B": "7"}) == Outer(a="two", inner=Inner(b=7))
    assert [r.doc for r in rows(Outer)] == ["a (one of `one`, `two`)", "b (at least 0)"]
