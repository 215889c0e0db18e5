"""Refresh the pictures of docs/first-hour.md from analysed folders, in Debian's Chromium.

    python scripts/docs_screenshots.py out/demo out/bad docs/img

``out/demo`` is ``make demo``'s output; ``out/bad`` a run over a folder of bad inputs (see
docs/first-hour.md). Each report is re-rendered by this checkout first. Only the window or
one element is captured, so the pictures stay small.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from sourcetrace.outputs.report import write_report
from sourcetrace.outputs.store import AnalysisStore

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def _page(browser: Any, report: Path, width: int, height: int) -> Any:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(report.as_uri())
    page.wait_for_selector("body[data-ready='1']", timeout=15_000)
    return page


def _card(page: Any) -> None:
    page.locator("#claims-table tbody tr").first.click()
    deadline = time.monotonic() + 10
    drawn = "!!(window.__sourcetraceGraph && window.__sourcetraceGraph.nodes().length)"
    while not page.evaluate(drawn):
        if time.monotonic() > deadline:
            raise RuntimeError("the claim card's graph did not draw")
        page.wait_for_timeout(50)
    page.wait_for_timeout(300)


def main(demo: Path, bad: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for folder in (demo, bad):
        with AnalysisStore(folder) as store:
            write_report(store, folder)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _page(browser, demo / "report.html", 800, 640)
        page.screenshot(path=str(target / "first-hour-claims-800.png"))
        _card(page)
        page.locator("#claim-card .graph-wrap").screenshot(
            path=str(target / "first-hour-graph-800.png"))
        page = _page(browser, demo / "report.html", 1400, 900)
        _card(page)
        page.locator("#card-title").scroll_into_view_if_needed()
        page.screenshot(path=str(target / "first-hour-card-1400.png"))
        page = _page(browser, bad / "report.html", 800, 420)
        page.screenshot(path=str(target / "first-hour-bad-input-800.png"))
        browser.close()
    for png in sorted(target.glob("first-hour-*.png")):
        print(f"{png} {png.stat().st_size // 1024} KB")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
