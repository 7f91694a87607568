"""Real-browser fixtures: the web app on a real server, Debian's Chromium via Playwright."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from callcenter import migrations
from callcenter.config import Settings
from callcenter.wiring import Container

from .templates import Templates

if TYPE_CHECKING:
    # Only for annotations: Playwright is imported when a browser test runs (it may be missing locally).
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
# Flags from ENVIRONMENT.md: no sandbox as root, no background network on a closed machine.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"


def _require_browser() -> None:
    ok = shutil.which("chromium") is not None or os.path.exists(CHROMIUM)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        ok = False
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium and Playwright are required in CI")
        pytest.skip("Chromium/Playwright not available")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module: Playwright's sync API runs an event loop
    on the main thread while it is open, which would break asyncio.run() in
    later tests, so it is closed when the module's tests are done."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


# The softphone's browser: a fake microphone (Chromium's beeping test source), no permission prompt,
# loopback ICE candidates (Asterisk and the page share 127.0.0.1) and audio that plays unprompted.
SOFTPHONE_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                  "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="module")
def phone_browser() -> Iterator[Browser]:
    """Chromium for the browser softphone (WebRTC with fake media devices); one per test module."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + SOFTPHONE_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def live_container(tmp_path: Path, _templates: Templates) -> Iterator[Container]:
    settings = Settings(instance_dir=tmp_path / "instance", database={"url": f"sqlite:///{tmp_path / 'ui.db'}"},
                        lab={"enabled": False}, web={"secret_key": "ui-test", "port": 0},
                        recordings={"dir": tmp_path / "recordings"})
    _templates.sqlite(tmp_path / "ui.db")  # a copy of this worker's migrated database
    container = Container(settings)
    migrations.upgrade(container.engine)
    yield container
    container.close()


@pytest.fixture
def live_server(live_container: Container) -> Iterator[str]:
    """The whole web app served by waitress on a free port; yields its base URL."""
    from web import create_app
    from web.server import WSGIService

    service = WSGIService(create_app(container=live_container), "127.0.0.1", 0, 32)
    service.start()
    yield service.url
    service.stop()


def screenshot(page: Page, name: str) -> Path:
    """Keep a picture of what the user saw as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/auth/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")


def file_ticket(page: Page, subject: str, description: str, priority: str, product: str | None = None,
                timeout: float = 10000) -> str:
    """Fill the pop's intake form (the support form asks for a product) and submit it: the ticket number shown."""
    page.wait_for_selector(".intake-form #f-subject", timeout=timeout)
    page.fill("#f-subject", subject)
    if product is not None:
        page.select_option("#f-product", product)
    page.fill("#f-description", description)
    page.select_option("#f-priority", priority)
    page.click(".intake-form button[type=submit]")
    page.wait_for_selector(".submitted:not([hidden])", timeout=timeout)
    return str(page.inner_text(".submitted .ticket-number")).strip()
