"""End to end in real headless Chromium: a supervisor opens the trends page of a scripted day
and reads each half hour's figures in the table under uPlot's charts, switches to the
history view, and the page fits a desktop and a phone without scrolling sideways."""

from __future__ import annotations

import pytest

from tests.browser import base_url, browser_page, check_layout, log_in, screenshot
from tests.gateway_scenes import setup_team
from tests.stats_fixtures import utc_ms
from tests.trend_scenes import scripted_day


@pytest.fixture
async def backend_addrs(quiet_stats):
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def row_of(page, queue: str, start: str) -> dict[str, str]:
    """The table row of the interval starting at `start` (UTC), cell texts by field."""
    row = page.locator(f'section[data-queue="{queue}"] tr[data-start="{utc_ms(start)}"]')
    cells = row.locator("[data-field]")
    return {
        await cells.nth(i).get_attribute("data-field"): (await cells.nth(i).inner_text()).strip()
        for i in range(await cells.count())
    }


async def test_a_supervisor_reads_the_half_hours_of_a_day_in_charts_and_tables(
    backend_addrs, quiet_stats, gateway, script
):
    await setup_team(gateway)
    await scripted_day(script)
    await quiet_stats.consumer.drain()
    base = base_url(gateway)
    async with browser_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await log_in(page, base, "sam")
        await page.goto(base + "/trends?queue=sales&bucket=half_hour&from=2026-03-02&tz=UTC")
        await page.locator('body[data-loaded="true"]').wait_for()
        section = page.locator('section[data-queue="sales"]')
        assert await section.locator(".trend-table tbody tr").count() == 48
        assert await row_of(page, "sales", "2026-03-02 08:00") == {
            "interval": "08:00–08:30",
            "offered": "3",
            "answered": "2",
            "abandoned": "1",
            "service_level": "33.3 %",
            "asa": "0:18",  # 17.5 s
            "aht": "1:45",
        }
        assert await row_of(page, "sales", "2026-03-02 08:30") == {
            "interval": "08:30–09:00",
            "offered": "2",
            "answered": "1",
            "abandoned": "1",
            "service_level": "100.0 %",
            "asa": "0:10",
            "aht": "0:30",
        }
        quiet = await row_of(page, "sales", "2026-03-02 12:00")
        assert (quiet["offered"], quiet["service_level"], quiet["asa"]) == ("0", "–", "–")
        assert await page.locator('section[data-queue="support"]').count() == 0  # not sam's team
        # uPlot drew each of the three charts on a canvas of the container's width.
        canvases = section.locator(".chart .uplot canvas")
        await canvases.first.wait_for()
        assert await canvases.count() == 3
        width = await canvases.first.evaluate("(c) => c.getBoundingClientRect().width")
        assert width > 200
        await screenshot(page, "trends-day")
        await check_layout(page, "trends")

        # History: March as its days, from the view switch and the form.
        await page.select_option('select[name="view"]', "history")
        await page.fill('input[name="from"]', "2026-03-01")
        await page.fill('input[name="to"]', "2026-03-31")
        await page.click('#trend-filters button[type="submit"]')
        await page.wait_for_function(
            "() => document.querySelectorAll('section[data-queue=sales] .trend-table tbody tr').length === 31"
        )
        march_2 = await row_of(page, "sales", "2026-03-02 00:00")
        assert (march_2["offered"], march_2["answered"], march_2["abandoned"]) == ("6", "4", "2")
        assert "2026-03-01" in page.url and "bucket=day" in page.url
        await screenshot(page, "trends-history")
        assert errors == []
