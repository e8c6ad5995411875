"""The staff console in a real browser: password plus TOTP gets staff in, nothing less does.

Headless Chromium (see conftest.py) against the live server, through the console's login
form (accounts/console.py): e-mail, password and the current code of the user's TOTP device.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.factories import PASSWORD, UserFactory, add_totp, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOGIN_PATH = re.compile(r"/admin/login/")


def sign_in(page: Page, console_url: str, *, email: str, password: str, code: str) -> None:
    """Fill the console's login form the way staff do: e-mail, password and code, once."""
    page.goto(console_url)
    expect(page).to_have_url(LOGIN_PATH)
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.fill("#id_otp_token", code)
    page.click("input[type=submit][value='Log in']")
    page.wait_for_load_state("load")


def wrong_code(device) -> str:
    """A six-digit code the device does not accept now (not its code in any nearby window)."""
    nearby = {totp_code(device, offset_steps=step) for step in range(-3, 4)}
    candidate = int(totp_code(device))
    while f"{candidate:06d}" in nearby:
        candidate = (candidate + 1) % 1_000_000
    return f"{candidate:06d}"


def test_staff_with_password_and_totp_reaches_the_console(page: Page, console_url, make_staff):
    # Given an operations officer with a confirmed TOTP device
    staff = make_staff("operations")
    stylesheets: dict[str, int] = {}
    page.on("response", lambda r: r.request.resource_type == "stylesheet" and stylesheets.update({r.url: r.status}))
    csp_violations: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and csp_violations.append(m.text))

    # When they sign in with e-mail, password and the current code
    sign_in(page, console_url, email=staff.email, password=PASSWORD, code=totp_code(staff.totp_device))

    # Then they are on the console's index, styled, with what their role may see
    expect(page).to_have_url(console_url)
    expect(page.locator("#site-name")).to_have_text("BlockScore staff console")
    expect(page.get_by_role("link", name="Users", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Job runs", exact=True)).to_be_visible()
    assert any(url.endswith("/static/admin/css/base.css") for url in stylesheets), stylesheets
    assert all(status == 200 for status in stylesheets.values()), stylesheets
    # Django's admin stylesheet really applied (the header has its coloured background).
    header_bg = page.evaluate("getComputedStyle(document.querySelector('#header')).backgroundColor")
    assert header_bg not in ("", "rgba(0, 0, 0, 0)", "transparent"), header_bg
    assert csp_violations == []


def test_a_wrong_totp_code_stays_on_the_login_page(page: Page, console_url, make_staff):
    staff = make_staff("compliance officer")

    sign_in(page, console_url, email=staff.email, password=PASSWORD, code=wrong_code(staff.totp_device))

    expect(page).to_have_url(LOGIN_PATH)
    expect(page.locator(".errornote")).to_contain_text("Invalid token")
    page.goto(console_url)
    expect(page).to_have_url(LOGIN_PATH)  # still not signed in


def test_staff_without_a_totp_device_cannot_get_in(page: Page, console_url, make_staff):
    staff = make_staff("auditor", totp=False)

    sign_in(page, console_url, email=staff.email, password=PASSWORD, code="123456")

    expect(page).to_have_url(LOGIN_PATH)
    page.goto(console_url)
    expect(page).to_have_url(LOGIN_PATH)


def test_a_customer_cannot_get_in_even_with_a_valid_code(page: Page, console_url):
    # A customer with their own TOTP device: the refusal comes from not being staff.
    customer = UserFactory()
    device = add_totp(customer)

    sign_in(page, console_url, email=customer.email, password=PASSWORD, code=totp_code(device))

    expect(page).to_have_url(LOGIN_PATH)
    expect(page.locator(".errornote")).to_contain_text("staff account")
    page.goto(console_url)
    expect(page).to_have_url(LOGIN_PATH)
