"""Start, set up and stop a local LNbits with the FakeWallet funding source.

Used by the test suite (the ``lnbits`` fixture in ``wallets/tests/conftest.py``) and by
``scripts/lnbits start`` for development. Standard library only and no BlockScore
imports, so that ``scripts/lnbits`` can run this file with LNbits' own interpreter.

How a fresh LNbits (1.6) is made usable, found in its source and checked against it:

- It runs from its own virtualenv (``var/lnbits-venv``, ``requirements-lnbits.txt``) and
  from a working folder holding ``lnbits/static`` (LNbits mounts that relative path) and
  nothing else: it also reads a ``.env`` from its working folder, which must never be
  BlockScore's. It gets a minimal environment for the same reason (its settings read
  names such as ``DEBUG``, ``HOST`` or ``PORT`` from the environment).
- ``lnbits`` forks the uvicorn server as a child process: both run in a new session, and
  stopping signals the whole process group and waits until every member is gone.
- Accounts: ``POST /api/v1/account`` (no key) creates a user with one wallet and answers
  with its invoice key (``inkey``) and admin key (``adminkey``).
- Funds: FakeWallet only settles invoices of this LNbits, so a wallet gets its first sats
  from the super user: on first start ``PUT /api/v1/auth/first_install`` gives the super
  user a password (and a bearer token), and ``PUT /users/api/v1/balance`` credits a wallet.
- Webhooks to 127.0.0.1 need ``LNBITS_CALLBACK_URL_RULES`` and
  ``LNBITS_CALLBACK_ALLOW_PRIVATE_IPS``; the rate limit is raised so that a test suite or a
  polling worker is never answered 429.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_VENV = ROOT / "var" / "lnbits-venv"
STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0
FUNDING_SAT = 1_000_000
WALLET_NAMES = ("platform", "payer")
STATE_FILE = "blockscore-wallets.json"
ADMIN_USERNAME = "blockscore-admin"

# Loopback webhooks for tests and development, plus LNbits' default rule (any public host).
CALLBACK_URL_RULES = [
    r"https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?",
    r"https?://([a-zA-Z0-9.-]+\.[a-zA-Z]{2,})(:\d+)?",
]
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "SSL_CERT_FILE")


class LNbitsError(RuntimeError):
    """LNbits could not be started or set up; the message says why (with its log)."""


@dataclass(frozen=True)
class WalletKeys:
    name: str
    wallet_id: str
    invoice_key: str
    admin_key: str


@dataclass(frozen=True)
class LNbitsInstance:
    """A running, set-up LNbits: what tests and the ``serve`` command hand out."""

    url: str
    platform: WalletKeys
    payer: WalletKeys
    server: LNbitsServer


def lnbits_venv() -> Path:
    return Path(os.environ.get("LNBITS_VENV") or DEFAULT_VENV)


def find_lnbits(venv: Path | None = None) -> Path | None:
    """The ``lnbits`` executable of LNbits' virtualenv, or None when it is not installed."""
    executable = (venv or lnbits_venv()) / "bin" / "lnbits"
    return executable if executable.is_file() and os.access(executable, os.X_OK) else None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class LNbitsServer:
    """One LNbits process group: ``start()`` waits (bounded) until it answers."""

    def __init__(self, *, venv: Path, data_dir: Path, host: str = "127.0.0.1", port: int | None = None):
        self.venv = Path(venv)
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.port = port or free_port(host)
        self.log_path = self.data_dir / "lnbits.log"
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def environment(self) -> dict[str, str]:
        env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
        env.update(
            LNBITS_BACKEND_WALLET_CLASS="FakeWallet",
            LNBITS_DATA_FOLDER=str(self.data_dir / "data"),
            LNBITS_EXTENSIONS_PATH=str(self.data_dir / "data"),
            LNBITS_ADMIN_UI="true",
            LNBITS_CALLBACK_URL_RULES=json.dumps(CALLBACK_URL_RULES),
            LNBITS_CALLBACK_ALLOW_PRIVATE_IPS="true",
            LNBITS_RATE_LIMIT_NO="1000000",
            # Nothing to fetch from the internet: no extension catalogues, no exchange rates
            # (LNbits would otherwise try them inside every payment, 3 s per try offline).
            LNBITS_EXTENSIONS_MANIFESTS="[]",
            LNBITS_WASM_EXTENSIONS_MANIFESTS="[]",
            LNBITS_PRICE_AGGREGATOR_ENABLED="false",
            LNBITS_EXCHANGE_RATE_PROVIDERS="[]",
            PYTHONUNBUFFERED="1",
        )
        return env

    def _prepare_workdir(self) -> Path:
        packages = sorted(self.venv.glob("lib/python3*/site-packages/lnbits/static"))
        if not packages:
            raise LNbitsError(f"no lnbits package with static files in {self.venv}")
        package = packages[-1].parent
        workdir = self.data_dir / "run"
        (workdir / "lnbits").mkdir(parents=True, exist_ok=True)
        for name in ("static", "templates"):  # LNbits opens lnbits/static and lnbits/templates
            link = workdir / "lnbits" / name
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(package / name, target_is_directory=True)
        return workdir

    def start(self, timeout: float = STARTUP_TIMEOUT) -> LNbitsServer:
        executable = find_lnbits(self.venv)
        if executable is None:
            raise LNbitsError(f"LNbits is not installed in {self.venv} (run scripts/lnbits install)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        workdir = self._prepare_workdir()
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                [str(executable), "--host", self.host, "--port", str(self.port)],
                cwd=workdir,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches the uvicorn child
            )
        atexit.register(self.stop)
        while True:
            code = self._process.poll()
            if code is not None:
                self.stop()  # its children may still run
                raise LNbitsError(f"LNbits exited with code {code} while starting\n{self.log_tail()}")
            status, _ = http_json("GET", f"{self.url}/api/v1/health", timeout=2)
            if status == 200 or 300 <= status < 400:  # until set up, it redirects to /first_install
                self.startup_seconds = time.monotonic() - started
                return self
            if time.monotonic() - started > timeout:
                self.stop()
                raise LNbitsError(f"LNbits did not answer on {self.url} within {timeout:.0f} s\n{self.log_tail()}")
            time.sleep(0.2)

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM to the whole process group, SIGKILL to whatever is left after ``timeout``."""
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        group = process.pid  # start_new_session: the group id is the leader's pid
        _signal_group(group, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process.poll()
            if process.returncode is not None and not _group_members(group):
                return
            time.sleep(0.1)
        _signal_group(group, signal.SIGKILL)
        process.wait(timeout=5)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return f"(no log at {self.log_path})"
        return f"--- last {min(lines, len(text))} lines of {self.log_path} ---\n" + "\n".join(text[-lines:])


def _signal_group(group: int, sig: int) -> None:
    try:
        os.killpg(group, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_members(group: int) -> list[int]:
    """Live (not zombie) processes of a process group, read from /proc."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return []
        return [group]
    members = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            members.append(int(stat.parent.name))
    return members


# --- HTTP (stdlib) ---------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to report, not a page to fetch


_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())  # loopback: no proxy


def http_json(method: str, url: str, *, body=None, headers: dict | None = None, timeout: float = 10):
    """(status, parsed JSON or text); status 0 when nothing answered."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Accept": "application/json"})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return 0, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def _expect(status: int, payload, what: str, *ok: int):
    if status not in (ok or (200,)):
        raise LNbitsError(f"{what}: HTTP {status or 'no answer'}: {payload}")
    return payload


# --- First-start set-up ----------------------------------------------------------------


def _admin_token(url: str, state: dict) -> str:
    """A bearer token of the super user, giving it a password on a fresh LNbits."""
    admin = state.setdefault("admin", {"username": ADMIN_USERNAME, "password": secrets.token_urlsafe(18)})
    credentials = {"username": admin["username"], "password": admin["password"]}
    status, payload = http_json(
        "PUT", f"{url}/api/v1/auth/first_install", body={**credentials, "password_repeat": admin["password"]}
    )
    if status == 200:
        return payload["access_token"]
    # Not the first start: the password set then (kept in the state file) logs in.
    payload = _expect(*http_json("POST", f"{url}/api/v1/auth", body=credentials), "LNbits super-user login")
    return payload["access_token"]


def _wallet_works(url: str, keys: WalletKeys) -> bool:
    status, payload = http_json("GET", f"{url}/api/v1/wallet", headers={"X-Api-Key": keys.admin_key})
    return status == 200 and isinstance(payload, dict) and payload.get("id", keys.wallet_id) == keys.wallet_id


def bootstrap(url: str, data_dir: Path, *, funding_sat: int = FUNDING_SAT) -> dict[str, WalletKeys]:
    """The "platform" and "payer" wallets with their keys; created and funded on first start.

    What was created is kept in ``data_dir/blockscore-wallets.json`` (mode 0600), so a
    development LNbits keeps its wallets and keys across restarts.
    """
    state_path = Path(data_dir) / STATE_FILE
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    wallets = {name: WalletKeys(**keys) for name, keys in state.get("wallets", {}).items()}
    if set(wallets) == set(WALLET_NAMES) and all(_wallet_works(url, keys) for keys in wallets.values()):
        return wallets

    token = _admin_token(url, state)
    wallets = {}
    for name in WALLET_NAMES:
        created = _expect(*http_json("POST", f"{url}/api/v1/account", body={"name": name}), f"create wallet {name}")
        wallets[name] = WalletKeys(
            name=name, wallet_id=created["id"], invoice_key=created["inkey"], admin_key=created["adminkey"]
        )
        _expect(
            *http_json(
                "PUT",
                f"{url}/users/api/v1/balance",
                body={"id": created["id"], "amount": funding_sat},
                headers={"Authorization": f"Bearer {token}"},
            ),
            f"fund wallet {name}",
        )
    state["wallets"] = {name: asdict(keys) for name, keys in wallets.items()}
    state_path.write_text(json.dumps(state, indent=2))
    state_path.chmod(0o600)
    return wallets


def start(
    *,
    data_dir: Path,
    venv: Path | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    timeout: float = STARTUP_TIMEOUT,
) -> LNbitsInstance:
    """Start LNbits and set up its wallets; stops it again if the set-up fails."""
    server = LNbitsServer(venv=venv or lnbits_venv(), data_dir=data_dir, host=host, port=port).start(timeout)
    try:
        wallets = bootstrap(server.url, server.data_dir)
    except BaseException as exc:
        server.stop()
        if isinstance(exc, LNbitsError):
            raise LNbitsError(f"{exc}\n{server.log_tail()}") from exc
        raise
    return LNbitsInstance(url=server.url, platform=wallets["platform"], payer=wallets["payer"], server=server)


# --- scripts/lnbits start --------------------------------------------------------------


def _settings_lines(instance: LNbitsInstance) -> str:
    return "\n".join(
        [
            "# BlockScore's Lightning rail -> the platform wallet of the local LNbits (FakeWallet)",
            f"LIGHTNING_LNBITS_URL={instance.url}",
            f"LIGHTNING_LNBITS_INVOICE_KEY={instance.platform.invoice_key}",
            f"LIGHTNING_LNBITS_ADMIN_KEY={instance.platform.admin_key}",
            "# Where LNbits sends deposit webhooks: scripts/run's default address",
            "LIGHTNING_WEBHOOK_BASE_URL=http://127.0.0.1:8000",
            "# The payer wallet, to pay BlockScore's invoices (X-Api-Key of POST /api/v1/payments):",
            f"# payer invoice key {instance.payer.invoice_key}, admin key {instance.payer.admin_key}",
            "",
        ]
    )


def serve(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a local LNbits (FakeWallet) until Ctrl-C or SIGTERM.")
    parser.add_argument("command", choices=["serve"])
    parser.add_argument("--venv", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=ROOT / "var" / "lnbits")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--timeout", type=float, default=STARTUP_TIMEOUT)
    args = parser.parse_args(argv)

    stopping = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.append(True))
    try:
        instance = start(data_dir=args.data, venv=args.venv, host=args.host, port=args.port, timeout=args.timeout)
    except LNbitsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    env_file = args.data / "lightning.env"
    env_file.write_text(_settings_lines(instance))
    print(
        f"LNbits (FakeWallet) on {instance.url}, started in {instance.server.startup_seconds:.1f} s; "
        f"log: {instance.server.log_path}\n\n{_settings_lines(instance)}(also in {env_file})\nCtrl-C stops it.",
        flush=True,
    )
    try:
        while not stopping and instance.server.running():
            time.sleep(0.5)
    finally:
        crashed = not instance.server.running()
        instance.server.stop()
    if crashed and not stopping:
        print(f"error: LNbits stopped by itself\n{instance.server.log_tail()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(serve())
