"""A real browser for the web tests: Debian's Chromium, headless, driven by
Selenium through Debian's chromedriver, with a fresh profile each time; and
the folder its screenshots go to (tests/artifacts/browser/, git-ignored).
Fails saying why when Chromium cannot start; never skips."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
COUNTER = (1366, 768)  # a counter's screen
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


@contextmanager
def chromium(
    window: tuple[int, int] = COUNTER, downloads: Path | None = None
) -> Iterator[WebDriver]:
    """Headless Chromium with a fresh profile (removed afterwards), sized ``window``,
    saving downloads into ``downloads`` when given."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    with tempfile.TemporaryDirectory(prefix="sohoa-chromium-") as profile:
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        if downloads is not None:
            options.add_experimental_option(
                "prefs",
                {"download.default_directory": str(downloads),
                 "download.prompt_for_download": False, "safebrowsing.enabled": False},
            )  # fmt: skip
        try:
            driver = webdriver.Chrome(
                service=Service(executable_path=str(CHROMEDRIVER)), options=options
            )
        except WebDriverException as exc:
            pytest.fail(
                f"Chromium did not start ({CHROMIUM} with {CHROMEDRIVER}; Debian packages "
                f"chromium and chromium-driver): {exc.msg}"
            )
        try:
            driver.set_window_size(*window)
            if downloads is not None:
                driver.execute_cdp_cmd(
                    "Browser.setDownloadBehavior",
                    {"behavior": "allow", "downloadPath": str(downloads), "eventsEnabled": True},
                )
            yield driver
        finally:
            driver.quit()


def screenshot(driver: WebDriver, name: str) -> Path:
    """The page as ``tests/artifacts/browser/<name>.png`` (a real PNG, checked)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot saved at {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return path
