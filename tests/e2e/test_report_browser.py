"""The leader's report in a real browser, over a month of sample history: the Decision 766
indicators, the charts drawn as SVG by the server (nothing blocked by the CSP), laid out for A4."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO, LiveServer

pytestmark = pytest.mark.browser
FLASK = [sys.executable, "-m", "flask", "--app", "server"]


def test_the_leader_reads_a_month_of_figures_and_charts(
    live_server: LiveServer, browser: Any, screenshots_dir: Path
) -> None:
    added = json.loads(
        subprocess.run(
            [*FLASK, "demo", "--json", "--history", "30", "--per-day", "120"],
            cwd=REPO,
            env=live_server.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()[-1]
    )
    ctx = browser.new_context(viewport={"width": 1240, "height": 1000}, locale="vi-VN")
    page = ctx.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if m.type == "error" else None)
    period = f"from={added['from']}&to={added['to']}"
    page.goto(f"{live_server.url}/login?next=/admin?{period.replace('&', '%26')}")
    page.fill("input[name=username]", "lanhdao")
    page.fill("input[name=password]", live_server.user("lanhdao")["password"])
    page.click("button[type=submit]")
    page.wait_for_selector("#index766")
    assert page.locator("svg.chart").count() == 5
    # Every chart has drawn something: lines of the trend, bars, the busy hours in colour.
    assert page.locator("#charts polyline.line").count() >= 2
    assert page.locator("#charts rect.bar").count() >= 2
    assert page.locator("#charts rect.cell.h5").count() >= 1
    bar = page.locator("#charts rect.bar").first
    assert bar.evaluate("el => getComputedStyle(el).fill") == "rgb(21, 101, 192)"  # styled by class
    assert "%" in page.locator("#index766 tbody tr").first.inner_text()
    assert blocked == []
    # The figures and the charts (the lists below them run long).
    bottom = page.locator("#charts").evaluate("el => el.getBoundingClientRect().bottom + scrollY")
    clip = {"x": 0, "y": 0, "width": 1240, "height": bottom + 16}
    page.screenshot(path=str(screenshots_dir / "admin-report.png"), full_page=True, clip=clip)
    # Printed: the charts stay, the navigation and the forms go.
    page.emulate_media(media="print")
    assert page.locator(".topbar").is_hidden() and page.locator("svg.chart").first.is_visible()
