"""The dashboard in a real browser: headless Chromium signs in as a manager who
sees every unit, filters a generated year and is shown the four charts with
data; the page is saved as tests/artifacts/browser/dashboard.png (git-ignored)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as until
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.wait import WebDriverWait

from tests.helpers.browser import chromium, screenshot
from tests.helpers.databases import fresh_sqlite_database
from tests.helpers.web import PASSWORD, serving
from tests.managers.conftest import ManagerSite, built_manager_site

WAIT_SECONDS = 20


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagerSite]:
    """On SQLite: the browser is what this module is about."""
    folder = tmp_path_factory.mktemp("dashboard-browser")
    with fresh_sqlite_database(folder) as url, built_manager_site(folder, url) as built:
        yield built


def test_a_manager_sees_the_dashboard_charts_with_data(site: ManagerSite) -> None:
    with serving(site.app) as base, chromium() as driver:
        wait = WebDriverWait(driver, WAIT_SECONDS)
        driver.get(f"{base}/dashboard?lang=vi")
        wait.until(until.presence_of_element_located((By.NAME, "username")))
        driver.find_element(By.NAME, "username").send_keys("manager_all")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait.until(until.presence_of_element_located((By.ID, "dashboard-filters")))

        form = driver.find_element(By.ID, "dashboard-filters")
        # A date input types in the browser's locale order: set the values as a picker does.
        driver.execute_script(
            "arguments[0].value = '2024-01-01'; arguments[1].value = '2024-12-31';",
            form.find_element(By.NAME, "date_from"),
            form.find_element(By.NAME, "date_to"),
        )
        Select(form.find_element(By.NAME, "granularity")).select_by_value("month")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(until.url_contains("date_to=2024-12-31"))
        wait.until(until.presence_of_element_located((By.CSS_SELECTOR, "#charts svg")))

        assert driver.find_element(By.TAG_NAME, "h1").text == "Theo dõi số hóa"
        charts = driver.find_elements(By.CSS_SELECTOR, "#charts svg")
        assert len(charts) == 4
        for chart in charts:
            size = chart.size
            assert size["width"] > 300 and size["height"] > 100, chart.get_attribute("aria-label")
        trend, units, backlog, throughput = charts
        assert len(trend.find_elements(By.CSS_SELECTOR, "circle")) == 12
        for bars, expected in ((units, 8), (backlog, 4), (throughput, 12)):
            drawn = [r for r in bars.find_elements(By.CSS_SELECTOR, "rect") if r.size["width"] > 0]
            assert len(drawn) == expected, bars.get_attribute("aria-label")
        received = driver.find_element(By.CSS_SELECTOR, '[data-indicator="received"] dd').text
        assert received.replace(".", "") == "3000"
        rows = driver.find_elements(By.CSS_SELECTOR, "#by-unit tbody tr")
        assert len(rows) == 8

        driver.set_window_size(1366, driver.execute_script("return document.body.scrollHeight"))
        picture = screenshot(driver, "dashboard")
    _assert_charts_are_drawn(picture)


def _assert_charts_are_drawn(picture: Path) -> None:
    """The bars' green and the trend's blue are in the picture, not just white."""
    image = Image.open(picture).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    counts = {colour: n for n, colour in colours}
    assert counts.get((45, 164, 78), 0) > 2000, "no green bars in the screenshot"
    assert counts.get((31, 111, 235), 0) > 100, "no blue trend line in the screenshot"
