"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

``playwright install`` is not needed (nor possible offline): the launch arguments point
Playwright at the system Chromium (CHROMIUM_PATH, default /usr/bin/chromium). Where it is
missing the browser tests are skipped with the reason, except in CI (CI=true), where a
missing browser is an error: CI installs it, so its absence means the run proves nothing.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop in the main thread, which makes Django refuse
# ORM calls from test code ("SynchronousOnlyOperation"); the test code is synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").lower() == "true"
MISSING = f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists() or IN_CI:
        return
    skip = pytest.mark.skip(reason=MISSING)
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.fail(f"{MISSING}; CI must run the browser tests", pytrace=False)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": browser_type_launch_args.get("headless", True),
        "args": [
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def console_url(live_server):
    return f"{live_server.url}/admin/"
