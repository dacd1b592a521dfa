"""Writes docs/configuration.md: every setting of every service, from its one declaration
(callcenter/core/settings.py). `python -m callcenter.tools.settings_doc` regenerates it; a test
fails when the committed file differs."""

from __future__ import annotations

import pathlib
import sys
from typing import Any

from callcenter.core.config import CommonConfig
from callcenter.core.grpc_security import GrpcClientCredentials, GrpcServerSecurity
from callcenter.core.ops_server import OpsSettings
from callcenter.core.settings import rows
from callcenter.integrations.kamailio.config import KamailioSettings
from callcenter.services.gateway.config import GatewayConfig, NewUserEnvironment
from callcenter.services.recorder.config import RecorderConfig
from callcenter.services.router.config import RouterConfig
from callcenter.services.stats.config import StatsConfig
from callcenter.services.webhooks.config import WebhooksConfig
from callcenter.tools.simulator.config import SimulatorEnvironment

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = REPO_ROOT / "docs" / "configuration.md"

#: (title, what runs it, the settings class) in the order the page shows them.
SECTIONS: list[tuple[str, str, type[Any]]] = [
    ("Every service", "every `callcenter` process (router, stats, recorder, gateway, `up`)", CommonConfig),
    (
        "gRPC servers: TLS and callers",
        "the router, stats and recorder ([security.md](security.md))",
        GrpcServerSecurity,
    ),
    (
        "gRPC clients: credentials",
        "the gateway, the simulator and the Kamailio integration ([security.md](security.md))",
        GrpcClientCredentials,
    ),
    (
        "Metrics and probes",
        "the router, stats, recorder and gateway, each on a port of its own; `callcenter up` serves one for all"
        " of them ([operations.md](operations.md#metrics))",
        OpsSettings,
    ),
    ("Router", "`callcenter router` and `callcenter up`", RouterConfig),
    ("Stats", "`callcenter stats` and `callcenter up`", StatsConfig),
    ("Recorder", "`callcenter recorder` and `callcenter up`", RecorderConfig),
    ("Webhooks", "`callcenter webhooks` and `callcenter up` ([crm.md](crm.md))", WebhooksConfig),
    ("Gateway", "`callcenter gateway` and `callcenter up` (which points it at its own services)", GatewayConfig),
    ("Simulator", "`callcenter simulate` (its command-line options win)", SimulatorEnvironment),
    ("Kamailio", "the Kamailio integration, in every Kamailio process ([kamailio.md](kamailio.md))", KamailioSettings),
    ("Creating users", "`callcenter user create`", NewUserEnvironment),
]

HEADER = """# Configuration

Every setting is an environment variable. Each is declared once, in the service's `config.py`
(the shared ones in `callcenter/core/config.py`), with its default, its bounds and the line
below; a service refuses to start with a message naming the variable when a value is not a
number, out of bounds or not one of the choices. Unset or empty means the default.

This page is generated from those declarations (`python -m callcenter.tools.settings_doc`);
`tests/test_settings.py` fails when it differs, and the deploy tests check that every variable
the Kubernetes manifests set is one its service declares.

`callcenter up` runs the router, stats, recorder and gateway in one process: all their settings
apply, its `--*-port` options win over the ports below, and the gateway is pointed at the
services it started.
"""


#: Groups several services hold: listed once, in their own section.
SHARED = (CommonConfig, GrpcServerSecurity, GrpcClientCredentials, OpsSettings)


def _own_rows(cls: type[Any]) -> list[str]:
    shared = {row for group in SHARED if group is not cls for row in rows(group)}
    lines = []
    for row in rows(cls):
        if row in shared:  # the same declaration as in "Every service"
            continue
        plain = row.setting.shown_default or row.default == "*(empty)*"
        default = row.default if plain else f"`{row.default}`"
        meaning = row.doc.replace("|", "\\|")
        lines.append(f"| `{row.env}` | {default} | {meaning} |")
    return lines


def render() -> str:
    parts = [HEADER]
    for title, runs, cls in SECTIONS:
        parts.append(f"## {title}\n\nRead by {runs}.\n\n| variable | default | meaning |\n|---|---|---|")
        parts.append("\n".join(_own_rows(cls)))
        parts.append("")
    return "\n".join(parts)


def declared() -> dict[str, list[type[Any]]]:
    """Every declared variable and the settings classes that declare it."""
    found: dict[str, list[type[Any]]] = {}
    for _, _, cls in SECTIONS:
        for row in rows(cls):
            found.setdefault(row.env, []).append(cls)
    return found


def main() -> int:
    TARGET.write_text(render())
    print(TARGET.relative_to(REPO_ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
