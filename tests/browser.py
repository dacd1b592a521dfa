"""Headless Chromium for end-to-end tests, driven by Playwright (Debian's chromium package:
.ci/run installs it). Without a browser the tests skip, unless CALLCENTER_REQUIRE_BROWSER=1
(set by CI) makes that a failure."""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil

import pytest

ARTIFACTS = pathlib.Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium_path() -> str:
    path = os.environ.get("CALLCENTER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        if os.environ.get("CALLCENTER_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (CALLCENTER_REQUIRE_BROWSER=1) but not installed")
        pytest.skip("Chromium is not installed (apt-get install chromium); CI installs it")
    return path


@contextlib.asynccontextmanager
async def browser_page():
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS, headless=True)
        try:
            context = await browser.new_context(viewport={"width": 1400, "height": 1000})
            page = await context.new_page()
            yield page
        finally:
            await browser.close()


async def screenshot(page, name: str) -> pathlib.Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


#: The widths every page is checked at: a desktop monitor and a phone.
WIDTHS = (1280, 390)


async def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0: it fits)."""
    return int(
        await page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth"
        )
    )


async def check_layout(page, name: str) -> None:
    """At each of WIDTHS the page as it stands fits its viewport without scrolling sideways;
    a full-page screenshot of each is saved to test-artifacts/<name>-<width>.png."""
    size = page.viewport_size or {"height": 1000}
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": size["height"]})
        await page.wait_for_function("() => document.readyState === 'complete'")
        await screenshot(page, f"{name}-{width}")
        assert await horizontal_overflow(page) == 0, f"{name} scrolls sideways at {width} px"
    await page.set_viewport_size(size)


def base_url(gateway) -> str:
    """Where the test's gateway serves (no trailing slash)."""
    return str(gateway.client.make_url("/")).rstrip("/")


async def log_in(page, base: str, username: str, password: str | None = None) -> None:
    """Logs the browser in on the login page (it then lands on the board); the test users'
    password unless told otherwise."""
    from tests.gateway_fixtures import PASSWORD

    await page.goto(base + "/login")
    await page.fill("#username", username)
    await page.fill("#password", password or PASSWORD)
    await page.click("#login-button")
    await page.wait_for_url(base + "/")
