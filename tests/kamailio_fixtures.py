"""Real Kamailio and sipp for the SIP path (tests/test_kamailio*.py): the processes come from
callcenter.tools.sip; here the skip (or, in CI, the failure) when they are not installed, and
each test's working directory."""

from __future__ import annotations

import os

import pytest

from callcenter.tools.sip.processes import sip_tools_missing


def require_sip_tools() -> None:
    missing = sip_tools_missing()
    if missing:
        message = f"the SIP tests need {missing} (Debian: kamailio kamailio-python3-modules sip-tester)"
        if os.environ.get("CALLCENTER_REQUIRE_SIP"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def sip_workdir(tmp_path):
    require_sip_tools()
    return tmp_path
