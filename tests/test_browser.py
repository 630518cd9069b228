"""The built site in a real headless Chromium: every page, image and formula, no other host.

Needs ``book/_build/html`` (``make site``). Installs Debian's ``chromium`` and
``chromium-driver`` with apt-get when they are missing. Screenshots go to
``results/browser/``.
"""

import functools
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import yaml

from cam_core.common import profiles

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "book" / "_build" / "html"
TOC = ROOT / "book" / "_toc.yml"
SHOTS = ROOT / "results" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Not network requests: inline data and the browser's own pages (its new-tab page).
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-untrusted", "chrome-search"}
# Pages whose source has math; MathJax must have rendered it.
MATH_PAGES = {"intro"}
ITEMS = set(profiles.item_names())
# Where this machine keeps the checkout, its home and its temporary files: never on a page.
MACHINE_PATHS = {str(ROOT), str(ROOT.resolve()), f"{Path.home()}/", f"{tempfile.gettempdir()}/"}


def toc_pages() -> list[str]:
    """Every document of ``_toc.yml`` (root first), as paths without suffix."""
    toc = yaml.safe_load(TOC.read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part.get("chapters", [])]
    return pages


@pytest.fixture(scope="session")
def chromium() -> None:
    """Chromium and its driver, installed from Debian when missing."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if shutil.which("apt-get") is None or (sudo and shutil.which("sudo") is None):
        pytest.fail("chromium and chromium-driver are missing and apt-get cannot run as root")
    apt = [*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
    subprocess.run([*apt, "update", "-q"], check=True)
    subprocess.run([*apt, "install", "-y", "-q", "chromium", "chromium-driver"], check=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site_url() -> Iterator[str]:
    """The built site served over HTTP on 127.0.0.1 at a free port."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built site at {SITE}: run `make site` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def driver(chromium: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Headless Chromium driven by the system chromedriver (selenium-manager never runs)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-quic",
        "--disable-sync",
        "--window-size=1280,1400",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(60)
    browser.get_log("performance")  # drop the start-up new-tab page's entries
    try:
        yield browser
    finally:
        browser.quit()


def _requested_urls(browser: object) -> list[str]:
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _foreign(urls: list[str]) -> list[str]:
    out = []
    for url in urls:
        parsed = urlparse(url)
        if parsed.scheme in LOCAL_SCHEMES:
            continue
        if parsed.hostname not in LOCAL_HOSTS:
            out.append(url)
    return out


def _wait_ready(browser: object) -> None:
    """Wait for the load event and for MathJax (when present) to finish typesetting."""
    deadline = time.monotonic() + 30
    while browser.execute_script("return document.readyState") != "complete":
        if time.monotonic() > deadline:
            raise TimeoutError("page did not finish loading")
        time.sleep(0.1)
    browser.set_script_timeout(30)
    browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const wait = (tries) => {
          if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
            MathJax.startup.promise.then(() => done(true), () => done(false));
          } else if (tries > 0) {
            setTimeout(() => wait(tries - 1), 100);
          } else {
            done(false);
          }
        };
        wait(document.querySelector('.math') ? 100 : 0);
        """
    )


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


ITEM_PAGE = "generated/"  # item pages: generated/table1 ... generated/figure13
WIDTHS = {"wide": (1280, 1400), "phone": (390, 844)}
SEARCH_WORD = "silhouettes"  # in the intro and on many item pages


def _page_problems(browser: object, page: str, item: bool) -> list[str]:
    """What a reader would see wrong on the loaded page: broken images, raw math, overflow,
    absolute paths, and on item pages code shown unfolded or before the verdict box."""
    problems = []
    broken = browser.execute_script(
        "return Array.from(document.images)"
        ".filter(img => !(img.complete && img.naturalWidth > 0))"
        ".map(img => img.currentSrc || img.src)"
    )
    problems += [f"{page}: image did not load: {src}" for src in broken]
    math_total, math_rendered = browser.execute_script(
        "const m = Array.from(document.querySelectorAll('.math'));"
        "return [m.length, m.filter(e => e.querySelector('mjx-container')).length];"
    )
    text = browser.execute_script("return document.querySelector('main').innerText")
    if page in MATH_PAGES and math_total == 0:
        problems.append(f"{page}: no math found where the source has math")
    if math_rendered != math_total:
        problems.append(f"{page}: {math_total - math_rendered} of {math_total} formulas raw")
    for raw in ("$$", "\\(", "\\["):
        if raw in text:
            problems.append(f"{page}: raw TeX {raw!r} left in the text")
    html = browser.execute_script("return document.querySelector('main').innerHTML")
    for path in MACHINE_PATHS:
        if path in html:
            problems.append(f"{page}: shows the absolute path {path}")
    overflow = browser.execute_script(
        "const m = document.querySelector('main');"
        "return [m.scrollWidth, m.clientWidth, document.documentElement.scrollWidth,"
        " window.innerWidth];"
    )
    if overflow[0] > overflow[1] + 1 or overflow[2] > overflow[3] + 1:
        problems.append(f"{page}: overflows horizontally (main {overflow[0]} > {overflow[1]}, "
                        f"page {overflow[2]} > {overflow[3]} px)")  # fmt: skip
    if item:
        unfolded = browser.execute_script(
            "return document.querySelectorAll('main div.cell:not(.tag_hide-input)').length"
        )
        if unfolded:
            problems.append(f"{page}: {unfolded} code cells not folded (hide-input)")
        order = browser.execute_script(
            "const outs = document.querySelectorAll('main div.cell_output');"
            "if (!document.querySelector('main .verdict-box')) return 'none';"
            "return outs.length && outs[0].querySelector('.verdict-box') ? 'ok' : 'after';"
        )
        if order != "ok":
            problems.append(
                f"{page}: the verdict box is {'missing' if order == 'none' else 'not first'}"
            )
    return problems


def _internal_links(browser: object) -> list[str]:
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('main a[href]')).map(a => a.href)"
    )


def test_every_page_renders_offline(driver: object, site_url: str) -> None:
    """Every TOC page at a desktop and a phone width: it loads, its images decode, its math
    renders, nothing overflows or shows a machine path, item pages fold their code under a
    verdict box, every internal link resolves, search works, nothing leaves 127.0.0.1."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = toc_pages()
    problems: list[str] = []
    requested: list[str] = []
    links: set[str] = set()

    driver.get(site_url)  # index.html redirects to the root page
    _wait_ready(driver)
    sidebar = driver.execute_script(
        "return Array.from(document.querySelectorAll('nav.bd-docs-nav a.reference.internal'))"
        ".map(a => a.href)"
    )
    for page in pages[1:]:
        if not any(urlparse(href).path.endswith(f"/{page}.html") for href in sidebar):
            problems.append(f"{page}: not in the sidebar of the front page")
    requested += _requested_urls(driver)

    for width, size in WIDTHS.items():
        driver.set_window_size(*size)
        for page in pages:
            url = urljoin(site_url, f"{page}.html")
            status = _status(url)
            if status != 200:
                problems.append(f"{page}: HTTP {status}")
                continue
            driver.get(url)
            _wait_ready(driver)
            title = driver.title
            if not title or "404" in title or "Error response" in title or "not found" in title:
                problems.append(f"{page}: error title {title!r}")
            item = page.startswith(ITEM_PAGE) and page.split("/")[-1] in ITEMS
            problems += [f"[{width}] {p}" for p in _page_problems(driver, page, item)]
            links |= set(_internal_links(driver))
            shot = {pages[0]: "front", "generated/scoreboard": "scoreboard"}.get(page)
            if shot:
                driver.save_screenshot(str(SHOTS / f"{shot}-{width}.png"))
            if page == "generated/table2":
                driver.execute_script(
                    "const t = document.querySelector('main table'); if (t) t.scrollIntoView();"
                )
                driver.save_screenshot(str(SHOTS / f"table2-{width}.png"))
            requested += _requested_urls(driver)

    for link in sorted(links):
        parsed = urlparse(link)
        if parsed.hostname in LOCAL_HOSTS and _status(link.split("#")[0]) != 200:
            problems.append(f"broken internal link: {parsed.path}")

    driver.set_window_size(*WIDTHS["wide"])
    driver.get(urljoin(site_url, f"search.html?q={SEARCH_WORD}"))
    _wait_ready(driver)
    deadline, found = time.monotonic() + 20, 0
    while time.monotonic() < deadline and not found:
        found = driver.execute_script(
            "return document.querySelectorAll('#search-results li').length"
        )
        time.sleep(0.2)
    if not found:
        problems.append(f"search: no result for {SEARCH_WORD!r}")
    requested += _requested_urls(driver)

    foreign = sorted(set(_foreign(requested)))
    problems += [f"request to another host: {url}" for url in foreign]
    assert any(urlparse(u).hostname == "127.0.0.1" for u in requested), "no request was logged"
    assert not problems, "\n".join(problems)
    for name in ("front", "scoreboard", "table2"):
        for width in WIDTHS:
            assert (SHOTS / f"{name}-{width}.png").is_file()
