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
