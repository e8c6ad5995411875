"""Fixtures of the wallets tests: a real LNbits (FakeWallet) for the Lightning rail.

``lnbits`` starts one LNbits for the test session from its own virtualenv
(``scripts/lnbits install`` puts it in var/lnbits-venv; LNBITS_VENV names another), in
a throw-away data folder, with two funded wallets: ``platform`` (BlockScore's) and
``payer`` (a customer's wallet elsewhere). Where LNbits is not installed the tests that
need it are skipped with the reason, except in CI (CI=true), where that is an error: CI
installs it, so its absence would mean the Lightning rail went untested.
"""

import os

import pytest

from wallets.rails import lnbits_server
from wallets.rails.lightning import LightningRail

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def lnbits(tmp_path_factory):
    """A running LNbits: ``.url``, ``.platform`` and ``.payer`` (``wallet_id``,
    ``invoice_key``, ``admin_key``), stopped with its child processes at the end."""
    venv = lnbits_server.lnbits_venv()
    if lnbits_server.find_lnbits(venv) is None:
        reason = f"LNbits is not installed in {venv} (run scripts/lnbits install, or set LNBITS_VENV)"
        if IN_CI:
            pytest.fail(f"{reason}; CI must run the Lightning rail tests", pytrace=False)
        pytest.skip(reason)
    try:
        instance = lnbits_server.start(data_dir=tmp_path_factory.mktemp("lnbits"), venv=venv)
    except lnbits_server.LNbitsError as exc:
        pytest.fail(f"LNbits did not start: {exc}", pytrace=False)
    try:
        yield instance
    finally:
        instance.server.stop()


def _rail(instance, keys) -> LightningRail:
    return LightningRail(instance.url, keys.invoice_key, keys.admin_key)


@pytest.fixture
def platform_rail(lnbits):
    """The rail as BlockScore uses it: the platform wallet."""
    with _rail(lnbits, lnbits.platform) as rail:
        yield rail


@pytest.fixture
def payer_rail(lnbits):
    """The other side: a payer's wallet on the same LNbits, to pay or bill BlockScore."""
    with _rail(lnbits, lnbits.payer) as rail:
        yield rail


@pytest.fixture
def lightning_settings(settings, lnbits):
    """Django settings pointing the Lightning rail at the platform wallet."""
    settings.LIGHTNING_LNBITS_URL = lnbits.url
    settings.LIGHTNING_LNBITS_INVOICE_KEY = lnbits.platform.invoice_key
    settings.LIGHTNING_LNBITS_ADMIN_KEY = lnbits.platform.admin_key
    return settings
