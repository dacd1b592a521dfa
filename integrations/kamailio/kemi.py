"""The file Kamailio's app_python3 loads (modparam("app_python3", "load", ".../kemi.py")).

Kamailio embeds the system's Python 3.11; the router client comes from the environment where
callcenter is installed: CALLCENTER_PYTHON_SITE names its site-packages folder when that is not
the system's (a virtualenv)."""

import os
import site

if os.environ.get("CALLCENTER_PYTHON_SITE"):
    site.addsitedir(os.environ["CALLCENTER_PYTHON_SITE"])

from callcenter.integrations.kamailio.routing import mod_init  # noqa: E402

__all__ = ["mod_init"]
