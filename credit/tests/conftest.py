"""Fixtures of the credit tests: a real JSON-RPC Ethereum node (anvil) for the attestations.

``anvil`` starts one anvil for the test session on a free port of 127.0.0.1, from the npm
package pinned in contracts/package.json (``npm install --prefix contracts`` installs it into
contracts/node_modules; ANVIL_BIN names another binary). Where anvil is not installed the
tests that need it are skipped with the reason, except in CI (CI=true), where that is an
error: CI installs it, so its absence would mean the JSON-RPC path went untested.
"""

import ctypes
import ctypes.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

IN_CI = os.environ.get("CI", "").lower() == "true"
NODE_MODULES = Path(__file__).resolve().parents[2] / "contracts" / "node_modules"

# anvil's well-known development accounts (from its default mnemonic): test keys only.
ANVIL_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
]


def find_anvil() -> str | None:
    """The anvil binary: ANVIL_BIN, the platform binary of the npm package, its node wrapper,
    or one on PATH."""
    if os.environ.get("ANVIL_BIN"):
        return shutil.which(os.environ["ANVIL_BIN"])
    native = sorted(NODE_MODULES.glob("@foundry-rs/anvil-*/bin/anvil"))
    if native and os.access(native[0], os.X_OK):
        return str(native[0])
    wrapper = NODE_MODULES / ".bin" / "anvil"
    if wrapper.exists():
        return str(wrapper)
    return shutil.which("anvil")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        reply = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1)
    except requests.RequestException:
        return False
    return reply.ok and "result" in reply.json()


def _die_with_parent() -> None:
    """In the child before exec: on Linux, get SIGTERM when the test process dies, so a
    crashed or killed pytest (no fixture teardown) leaves no anvil behind."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stop(process: subprocess.Popen) -> None:
    """Stop anvil and anything it started (its own process group)."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def anvil(tmp_path_factory):
    """A running anvil: ``.url``, ``.chain_id`` and ``.keys`` (funded dev accounts), stopped
    with its child processes at the end of the session."""
    binary = find_anvil()
    if binary is None:
        reason = "anvil is not installed (run npm install --prefix contracts, or set ANVIL_BIN)"
        if IN_CI:
            pytest.fail(f"{reason}; CI must run the JSON-RPC attestation tests", pytrace=False)
        pytest.skip(reason)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("anvil") / "anvil.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    try:
        deadline = time.monotonic() + 30
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"anvil did not start on {url}: {log_path.read_text()[-2000:]}", pytrace=False)
            time.sleep(0.2)
        yield SimpleNamespace(url=url, chain_id=31337, keys=ANVIL_KEYS, process=process)
    finally:
        _stop(process)
