"""Headless Chromium (Debian's ``chromium`` package) driven by Playwright through ``executable_path``.

Playwright cannot download its own browsers here, so the tests use ``/usr/bin/chromium``, which
``.ci/run`` installs with apt-get.  Locally, without it, the tests skip and say why; under CI
(``CI`` set) a missing browser fails them instead, so a broken install step cannot pass as green.

Screenshots of every page land in ``out/screenshots/`` (gitignored; ``PROVSIM_SCREENSHOTS``
moves them); the run's summary prints the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("PROVSIM_CHROMIUM", "/usr/bin/chromium"))
#: The flags the machine's probe used: no sandbox as root, and no background traffic (the network is closed).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("PROVSIM_SCREENSHOTS") or ROOT / "out" / "screenshots")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
_taken: list[Path] = []


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return (f"headless Chromium is not installed ({CHROMIUM} is missing): `apt-get install -y chromium` "
                "(.ci/run does it in CI)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[test]'"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the browser tests")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


class Screen:
    """One browser tab on the served dashboard, with the trainer's habits as helpers."""

    def __init__(self, page, url: str) -> None:
        self.page = page
        self.url = url
        self.errors: list[str] = []
        #: HTTP statuses of refusals the test provokes on purpose (the browser logs each as a console error)
        self.refusals: set[int] = set()
        page.on("pageerror", lambda err: self.errors.append(str(err)))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("dialog", lambda dialog: dialog.accept())  # the page's "are you sure?" confirmations
        page.set_default_timeout(15_000)

    def open(self, hash_: str = "") -> None:
        self.page.goto(self.url + "/" + hash_)
        self.page.locator("#overview-body").get_by_text("Loading…").wait_for(state="detached")

    def refused(self, *statuses: int) -> None:
        """The test provokes these refusals on purpose: their console lines are not errors."""
        self.refusals.update(statuses)

    def unexpected_errors(self) -> list[str]:
        import re

        def expected(text: str) -> bool:
            found = re.search(r"status of (\d{3})", text)
            return bool(found) and int(found.group(1)) in self.refusals

        return [e for e in self.errors if not expected(e)]

    def nav(self, name: str) -> None:
        self.page.get_by_role("navigation", name="Provisioning").get_by_role("link", name=name, exact=True).click()

    def button(self, name: str, *, exact: bool = True):
        return self.page.get_by_role("button", name=name, exact=exact)

    def status(self):
        return self.page.locator("#status")

    def fits(self) -> bool:
        """No horizontal scrolling: the page fits the window's width."""
        return self.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    def shot(self, name: str, *, full_page: bool = True) -> Path:
        """The page as the trainer sees it (whole page; the window only while a dialog is open)."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        if full_page:  # from the top: a whole-page capture of a scrolled page draws the sticky head mid-page
            self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(path), full_page=full_page)
        _taken.append(path)
        return path


@pytest.fixture
def expect(browser):
    """Playwright's ``expect`` (imported here: without playwright the tests skip instead of failing to import)."""
    from playwright.sync_api import expect

    return expect


@pytest.fixture
def screens(browser, served):
    """Open browsers on the served dashboard, each its own context (cookies, storage): ``screens("phone")``.
    Closed after the test, which fails on any script error or failed request they saw."""
    opened = []

    def open_screen(viewport: str = "desktop") -> Screen:
        size = {"desktop": DESKTOP, "phone": PHONE}[viewport]
        context = browser.new_context(viewport=size, locale="en-US", timezone_id="UTC")
        screen = Screen(context.new_page(), served.url)
        opened.append((context, screen))
        return screen

    yield open_screen
    for context, _screen in opened:
        context.close()
    for _context, screen in opened:
        assert screen.unexpected_errors() == [], screen.errors  # no script error, no failed request on the way


@pytest.fixture
def desktop(screens):
    return screens("desktop")


@pytest.fixture
def phone(screens):
    return screens("phone")


def pytest_terminal_summary(terminalreporter):
    if _taken:
        terminalreporter.write_line(f"browser screenshots ({len(_taken)}): {SHOTS}")
