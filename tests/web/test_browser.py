"""A clerk's morning in a real browser: Debian's Chromium, headless, driven by
Selenium through Debian's chromedriver, against the app served by uvicorn on
a free loopback port. The clerk signs in, searches a name typed without
accents, opens the record, downloads its searchable PDF, corrects a field,
reuses the record for a new dossier; then a manager finds all of it in the
audit log. Every step leaves a screenshot in tests/artifacts/browser/
(git-ignored), and the search page is shot at tablet width too.

The site is the web tests' site (tests/web/conftest.py) on the embedded
SQLite database; the same pages run on PostgreSQL in test_api.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as until
from selenium.webdriver.support.wait import WebDriverWait

from tests.helpers.browser import ARTIFACTS, COUNTER, chromium
from tests.helpers.web import PASSWORD, serving
from tests.web.conftest import Site, built_site

TABLET = (768, 1024)
WAIT_SECONDS = 20


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One site, on SQLite: the browser is what this module is about."""
    with built_site({"SOHOA_DATA_DIR": str(tmp_path_factory.mktemp("web-browser"))}) as built:
        yield built


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(downloads: Path) -> Iterator[WebDriver]:
    """Headless Chromium with a fresh profile, downloading into ``downloads``."""
    with chromium(COUNTER, downloads) as driver:
        yield driver


class Steps:
    """Screenshots numbered in the order they are taken."""

    def __init__(self, driver: WebDriver, folder: Path) -> None:
        self.driver = driver
        self.folder = folder
        self.taken: list[Path] = []
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("[0-9][0-9]-*.png"):  # this test's; others' stay
            old.unlink()

    def shot(self, name: str) -> None:
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        assert self.driver.save_screenshot(str(path)), f"no screenshot saved at {path}"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        self.taken.append(path)
        print(f"screenshot: {path}")


def _wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, WAIT_SECONDS)


def _sign_in(driver: WebDriver, username: str) -> None:
    _wait(driver).until(until.presence_of_element_located((By.ID, "username")))
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-button").click()
    _wait(driver).until(until.presence_of_element_located((By.CSS_SELECTOR, "span.who")))


def _downloaded(folder: Path, name: str) -> Path:
    """The finished download ``name`` (Chromium writes a .crdownload first)."""
    deadline = time.monotonic() + WAIT_SECONDS
    target = folder / name
    while time.monotonic() < deadline:
        if target.is_file() and not any(folder.glob("*.crdownload")):
            return target
        time.sleep(0.1)
    raise AssertionError(f"{name} did not arrive in {folder}: {sorted(folder.iterdir())}")


def _fits_the_width(driver: WebDriver) -> bool:
    scroll_width = driver.execute_script("return document.documentElement.scrollWidth")
    inner_width = driver.execute_script("return window.innerWidth")
    return bool(scroll_width <= inner_width)


def test_a_clerk_finds_downloads_corrects_and_reuses_and_the_audit_shows_it(
    site: Site, browser: WebDriver, downloads: Path
) -> None:
    steps = Steps(browser, ARTIFACTS)
    record_id = site.anh.record_id
    with serving(site.app) as base:
        browser.get(base + "/")
        assert "/login" in browser.current_url
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
        steps.shot("login")
        _sign_in(browser, "clerk_a")

        search_box = browser.find_element(By.ID, "q")
        search_box.send_keys("nguyen van anh")
        browser.find_element(By.ID, "search-button").click()
        _wait(browser).until(until.url_contains("q=nguyen+van+anh"))
        hit = browser.find_element(By.CSS_SELECTOR, f"a.hit-title[href='/records/{record_id}']")
        snippet = hit.find_element(By.XPATH, "../p[@class='snippet']")
        marked = [m.text for m in snippet.find_elements(By.TAG_NAME, "mark")]
        assert marked[:3] == ["Nguyễn", "Văn", "Ánh"], snippet.text
        assert browser.find_element(By.ID, "total").text.startswith("2 ")  # clerk_a's unit only
        steps.shot("search-without-accents")
        browser.set_window_size(*TABLET)
        assert _fits_the_width(browser), "the search page scrolls sideways on a tablet"
        steps.shot("search-tablet")
        browser.set_window_size(*COUNTER)

        hit.click()
        _wait(browser).until(until.url_contains(f"/records/{record_id}"))
        assert record_id[:12] in browser.find_element(By.TAG_NAME, "h1").text
        page_image = browser.find_element(By.CSS_SELECTOR, "#page-1 img.zoomable")
        page_image.click()
        assert "zoomed" in (page_image.get_attribute("class") or "")
        steps.shot("record")

        browser.find_element(By.ID, "download-pdf").click()
        pdf = _downloaded(downloads, f"{record_id[:12]}-searchable.pdf")
        assert pdf.read_bytes().startswith(b"%PDF")
        steps.shot("pdf-downloaded")

        value = browser.find_element(By.CSS_SELECTOR, "#field-person_name input[name=value]")
        value.clear()
        value.send_keys("Nguyễn Văn Anh")
        value.find_element(By.XPATH, "../button").click()
        _wait(browser).until(until.presence_of_element_located((By.CSS_SELECTOR, "ul.history")))
        row = browser.find_element(By.ID, "field-person_name")
        assert "corrected" in (row.get_attribute("class") or "")
        corrected = row.find_element(By.CSS_SELECTOR, "input[name=value]")
        assert corrected.get_attribute("value") == "Nguyễn Văn Anh"
        assert row.find_element(By.CSS_SELECTOR, "td.original").text == "Nguyễn Văn Ánh"
        steps.shot("field-corrected")

        browser.find_element(By.ID, "reuse-code").send_keys("HS-2025-0815")
        browser.find_element(By.ID, "reuse-button").click()
        _wait(browser).until(until.presence_of_element_located((By.ID, "reuses")))
        assert "HS-2025-0815" in browser.find_element(By.ID, "reuses").text
        steps.shot("reused")

        browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
        _wait(browser).until(until.url_contains("/login"))
        browser.get(base + "/audit")
        _sign_in(browser, "manager")
        assert "/audit" in browser.current_url
        who = browser.find_element(By.CSS_SELECTOR, "form.filters input[name=username]")
        who.send_keys("clerk_a")
        who.submit()
        _wait(browser).until(until.url_contains("username=clerk_a"))
        rows = browser.find_elements(By.CSS_SELECTOR, "#audit-table tbody tr")
        events = [
            (
                (row.get_attribute("class") or "").removeprefix("action-"),
                row.find_elements(By.TAG_NAME, "td")[3].text,
                row.find_elements(By.TAG_NAME, "td")[5].text,
            )
            for row in rows
        ]
        actions = [action for action, _, _ in reversed(events)]
        # The search page opens with an empty search; each form post lands back
        # on the record page, which is another view.
        assert actions == [
            "login",
            "search",
            "search",
            "view",
            "download",
            "edit",
            "view",
            "reuse",
            "view",
        ]
        searched = [row.find_elements(By.TAG_NAME, "td")[4].text for row in rows]
        assert "nguyen van anh" in searched
        on_record = {shown for action, shown, _ in events if action not in ("login", "search")}
        assert on_record == {record_id[:12]}
        assert {address for _, _, address in events} == {"127.0.0.1"}
        steps.shot("audit")
    assert len(steps.taken) == 8
