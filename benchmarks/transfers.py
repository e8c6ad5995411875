"""Benchmark: transfer throughput through the service and the HTTP API, against pgbench.

Issue 3, section 7. On a throw-away PostgreSQL database (dropped and created here, and
dropped again at the end unless --keep) it:

1. migrates, then opens and funds USD wallets for --customers customers (bank deposits
   posted through the ledger);
2. service: --clients threads call ``wallets.services.transfer_create`` between random
   wallets for --seconds (after a short warm-up), spread over --processes forked
   processes (2; 1 runs them in this process);
3. HTTP: starts gunicorn (scripts/gunicorn.conf.py, gthread, Redis cache) on the same
   database, and --clients threads with keep-alive connections (a minimal socket client) POST
   /api/v1/transfers with a fresh Idempotency-Key each; gunicorn is stopped afterwards;
4. after each phase: ``verify_ledger``, the sum of customer balances (must not move),
   acknowledged transfers against posted entries, and the audit chain (events left
   unchained by the load processes are chained, as the beat job would, then verified);
5. pgbench: ``pgbench -i -s 1`` into <database>_pgbench, then ``pgbench -b tpcb-like`` with
   the same client count and duration, and the ratios against the targets (API >= 15 %,
   service >= 40 % of pgbench's TPS);
6. rounds: --rounds times a --slice seconds slice of each of the three in turn, and the
   ratios of the summed slices, which the machine's drifting CPU speed moves less than
   those of phases measured a minute apart (then the books check again).

While each phase runs it samples pg_stat_activity (what the benchmark's backends are
doing or waiting for, and on which statement) and the CPU time of the load generator,
gunicorn and PostgreSQL, so a slow run says where the time went.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/blockscore_bench \\
        .venv/bin/python benchmarks/transfers.py [--clients 8] [--seconds 20] [--keep]

The database name must end in ``_bench`` (anything else is refused). It prints figures;
it asserts nothing (the exit status is 0 even when a target is missed or the ledger
check fails: read the output).
"""

import argparse
import collections
import http.client
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/blockscore_bench"
TARGETS = {"api": 0.15, "service": 0.40}  # of pgbench tpcb-like TPS, same client count


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients in every phase (default 8)")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per phase (default 20)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each phase (default 2)")
    parser.add_argument("--customers", type=int, default=200, help="funded customer wallets (default 200)")
    parser.add_argument("--balance", default="1000.00", help="opening USD balance of each wallet (default 1000.00)")
    parser.add_argument("--max-amount", default="50.00", help="transfers are 0.01 .. this USD (default 50.00)")
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="service phase: spread the client threads over this many processes (default 2, one per CPU "
        "here, as an application server would; 1: threads of one interpreter only)",
    )
    # The defaults are scripts/gunicorn.conf.py's with Redis: what scripts/run starts.
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn worker processes (default 2 per CPU)"
    )
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker (default 2)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="after the phases, this many rounds of short service, HTTP and pgbench slices in turn, whose summed "
        "ratios the machine's drift in CPU speed moves less (default 3; 0: none)",
    )
    parser.add_argument("--slice", type=float, default=5, help="seconds per slice of a round (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--skip", action="append", default=[], choices=["service", "http", "pgbench"])
    parser.add_argument("--pgbench", default=None, help="pgbench binary (default: PATH, then PostgreSQL 15's)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0 or args.customers < 2:
        parser.error("--clients >= 1, --seconds > 0 and --customers >= 2")
    return args


ARGS = parse_args()

DATABASE_URL = os.environ.get("DATABASE_URL") or DEFAULT_URL
_url = urlsplit(DATABASE_URL)
if _url.scheme not in ("postgres", "postgresql", "pgsql"):
    sys.exit(f"DATABASE_URL must name a PostgreSQL database (pgbench runs against the same server): {DATABASE_URL}")
DB_NAME = unquote(_url.path.lstrip("/"))
if not DB_NAME.endswith("_bench"):
    sys.exit(f"refusing to drop and recreate {DB_NAME!r}: the benchmark database's name must end in _bench")
PGBENCH_DB = f"{DB_NAME}_pgbench"
PG = {
    "host": _url.hostname or "127.0.0.1",
    "port": _url.port or 5432,
    "user": unquote(_url.username or "postgres"),
    "password": unquote(_url.password) if _url.password else None,
}

PGBENCH = ARGS.pgbench or shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
if "pgbench" not in ARGS.skip and not Path(PGBENCH).exists():
    sys.exit(f"pgbench not found ({PGBENCH}): pass --pgbench or --skip pgbench")

VAR_DIR = tempfile.mkdtemp(prefix="blockscore-bench-")
# The same settings for this process and for gunicorn (os.environ is inherited).
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "blockscore.settings.local",
        "DATABASE_URL": DATABASE_URL,
        "BLOCKSCORE_VAR_DIR": VAR_DIR,
        "DEBUG": "false",
        "ENABLE_RATE_LIMITING": "false",
        "TRANSFER_LIMITS": "USD=1000000/1000000000",
        # The customers are not KYC-verified: lift the unverified tier's limits too, so the
        # compliance check runs on every transfer (as for everyday amounts) and refuses none.
        "KYC_UNVERIFIED_LIMITS": "USD=1000000/1000000000",
        # Tokens are issued before the HTTP phase: they must outlive it.
        "JWT_ACCESS_SECONDS": str(int(3600 + 4 * (ARGS.seconds + ARGS.warmup))),
        "CACHE_KEY_PREFIX": "blockscore-bench",
    }
)
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402
import psycopg2  # noqa: E402
from psycopg2 import sql  # noqa: E402

django.setup()

import requests  # noqa: E402
from django.core.management import CommandError, call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Sum  # noqa: E402

# ---------------------------------------------------------------------------------------
# Helpers: databases, statistics, CPU accounting, pg_stat_activity sampling
# ---------------------------------------------------------------------------------------


def pg_connect(dbname: str):
    conn = psycopg2.connect(dbname=dbname, **{k: v for k, v in PG.items() if v is not None})
    conn.autocommit = True
    return conn


def database_drop(name: str, *, create: bool = False) -> None:
    conn = pg_connect("postgres")  # autocommit, and no `with conn`: that would open a transaction
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if create:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()


def database_recreate(name: str) -> None:
    database_drop(name, create=True)


def percentile(values, pct):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs), {speed_probe()}"


def speed_probe() -> str:
    """How fast the CPU is right now: the CPU time of a fixed loop (lower is faster). On a
    shared virtual machine it can differ by half from one minute to the next, and every
    phase's figures with it: compare phases whose probes agree."""
    started = time.process_time()
    total = 0
    for number in range(1_000_000):
        total += number
    return f"speed probe {(time.process_time() - started) * 1000:.0f} ms"


def _proc_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _processes() -> dict[int, tuple[str, int]]:
    """pid -> (command name, parent pid) of every process we can see."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        found[int(entry.name)] = (name, int(text.rsplit(")", 1)[1].split()[1]))
    return found


def _machine_ticks() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


class CpuMeter(threading.Thread):
    """CPU used while a phase runs: the whole machine, this process, gunicorn, PostgreSQL.

    Processes are polled every 0.5 s, because backends (and pgbench) end with the
    phase: a process's last reading before it goes is what it used.
    """

    def __init__(self, trees: dict[str, list[int]] | None = None, *, database: str = DB_NAME):
        """``trees``: label -> root pids whose CPU (with their children's) is reported under that label.

        PostgreSQL's processes are split by their process title: the backends of
        ``database``, the server's own processes (WAL writer, checkpointer...), and the
        backends of other databases (other work on the machine).
        """
        super().__init__(daemon=True)
        self.trees = dict(trees or {})
        self.database = database
        self.pg_labels = {
            "mine": f"postgres ({database})",
            "server": "postgres (server processes)",
            "other": "postgres (other databases)",
        }
        self.stop_event = threading.Event()
        self.first: dict[int, float] = {}  # pid -> CPU seconds when first seen
        self.last: dict[int, float] = {}
        self.group: dict[int, str] = {}  # pid -> label

    def _children(self, pid: int) -> list[int]:
        try:
            return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def _poll(self):
        # Only the process trees of interest: scanning all of /proc at every poll would
        # take a noticeable share of this process's GIL from the load threads.
        for group, roots in {**self.trees, "postgres": self.postmasters}.items():
            for root in roots:
                for pid in [root, *self._children(root)]:
                    seconds = _proc_cpu_seconds(pid)
                    if pid not in self.group:
                        self.group[pid] = self._postgres_label(pid) if group == "postgres" else group
                    self.first.setdefault(pid, seconds if self.polls == 0 else 0.0)  # new since the start: from 0
                    self.last[pid] = seconds
        self.polls += 1

    def _postgres_label(self, pid: int) -> str:
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return self.pg_labels["server"]
        # A backend's title: "postgres: 15/main: <user> <database> <client> <state>".
        if f" {self.database} " in title:
            return self.pg_labels["mine"]
        if "(" in title or "[local]" in title:
            return self.pg_labels["other"]
        return self.pg_labels["server"]

    def start(self):
        self.polls = 0
        procs = _processes()
        self.postmasters = [  # postgres processes whose parent is not one
            pid
            for pid, (name, ppid) in procs.items()
            if name.startswith("postgres") and not procs.get(ppid, ("",))[0].startswith("postgres")
        ]
        self._poll()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.before = (time.perf_counter(), _machine_ticks(), usage.ru_utime + usage.ru_stime)
        self.before_children = children.ru_utime + children.ru_stime
        super().start()

    def run(self):
        while not self.stop_event.wait(0.5):
            self._poll()

    def stop(self):
        self.stop_event.set()
        self.join()
        self._poll()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.after = (time.perf_counter(), _machine_ticks(), usage.ru_utime + usage.ru_stime)
        self.children = children.ru_utime + children.ru_stime - self.before_children

    def used(self, group: str) -> float:
        return sum(self.last[pid] - self.first[pid] for pid, name in self.group.items() if name == group)

    def phase_ms(self, calls: int, *, children: bool = False) -> float:
        """CPU milliseconds per call of everything the phase ran: this process (and its
        children, e.g. pgbench), the other process trees measured, and the backends of
        the phase's database. Other work on the machine is left out."""
        seconds = self.after[2] - self.before[2] + (self.children if children else 0.0)
        seconds += sum(self.used(label) for label in [*self.trees, self.pg_labels["mine"]])
        return seconds * 1000 / calls if calls else float("nan")

    def report(self, children: str = "", calls: int = 0, note: str = "") -> str:
        """CPUs used on average over the window, and CPU milliseconds per call when ``calls``."""
        (t0, ticks0, self0), (t1, ticks1, self1) = self.before, self.after
        wall = t1 - t0
        busy = (ticks1[0] - ticks0[0]) / max(1, ticks1[1] - ticks0[1])
        rows = [("this process" + (f" ({note})" if note else ""), self1 - self0)]
        if children:
            rows.append((children, self.children))
        rows += [(label, self.used(label)) for label in [*self.trees, *self.pg_labels.values()]]
        lines = [
            f"  cpu: machine busy {busy * 100:.0f}% of {os.cpu_count()} CPUs; CPUs used"
            + (", CPU per call" if calls else "")
        ]
        for label, seconds in rows:
            per = f"  {seconds * 1000 / calls:7.2f} ms" if calls else ""
            lines.append(f"    {label:<44} {seconds / wall:5.2f}{per}")
        return "\n".join(lines)


class ActivitySampler(threading.Thread):
    """Samples pg_stat_activity of the benchmark database every 50 ms while a phase runs."""

    QUERY = """
        SELECT state, wait_event_type, wait_event, left(regexp_replace(query, '\\s+', ' ', 'g'), 2000)
        FROM pg_stat_activity
        WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()
    """

    def __init__(self, dbname: str):
        super().__init__(daemon=True)
        self.dbname = dbname
        self.stop_event = threading.Event()
        self.states = collections.Counter()
        self.waiting_on = collections.Counter()
        self.samples = 0

    def run(self):
        conn = pg_connect(self.dbname)
        try:
            self._sample(conn)
        except psycopg2.Error:
            pass  # the run was interrupted and the database dropped under us
        finally:
            conn.close()

    def _sample(self, conn):
        with conn.cursor() as cur:
            while not self.stop_event.wait(0.05):
                cur.execute(self.QUERY, [self.dbname])
                self.samples += 1
                for state, wait_type, wait_event, query in cur.fetchall():
                    if state == "active":
                        label = f"active, waiting {wait_type}:{wait_event}" if wait_type else "active, on CPU"
                        if wait_type == "Lock":
                            self.waiting_on[_statement_label(query)] += 1
                    elif state == "idle in transaction":
                        label = "idle in transaction (the app is working between statements)"
                    elif state == "idle":
                        label = "idle (between transactions)"
                    else:
                        label = state or "unknown"
                    self.states[label] += 1

    def stop(self):
        self.stop_event.set()
        self.join()

    def report(self, indent="    ") -> str:
        if not self.samples:
            return f"{indent}(no samples)"
        lines = [f"{indent}backends of the benchmark database, mean count per state ({self.samples} samples):"]
        for label, count in self.states.most_common(8):
            lines.append(f"{indent}  {count / self.samples:6.2f}  {label}")
        if self.waiting_on:
            lines.append(f"{indent}statements waiting for a lock, mean count:")
            for label, count in self.waiting_on.most_common(4):
                lines.append(f"{indent}  {count / self.samples:6.2f}  {label}")
        return "\n".join(lines)


def _statement_label(query: str) -> str:
    match = re.search(r'FROM "(\w+)"', query) or re.search(r'(?:UPDATE|INSERT INTO) "(\w+)"', query)
    verb = query.split(" ", 1)[0].upper()
    lock = " FOR UPDATE" if "FOR UPDATE" in query.upper() else ""
    return f"{verb} {match.group(1)}{lock}" if match else query[:80]


# ---------------------------------------------------------------------------------------
# Setup and checks
# ---------------------------------------------------------------------------------------


def customers_create(count: int, balance: Decimal):
    from django.contrib.auth.models import Group

    from accounts.models import User
    from wallets.models import JournalEntry, LedgerAccount
    from wallets.services import Line, entry_post, system_account, wallet_open

    group = Group.objects.filter(name="customer").first()
    clearing = system_account(LedgerAccount.Kind.CLEARING, "USD", rail="bank_transfer")
    users, numbers = [], []
    for n in range(count):
        user = User.objects.create_user(email=f"bench{n}@example.com", password=None)  # unusable: no Argon2 here
        if group:
            user.groups.add(group)
        wallet = wallet_open(owner=user, currency="USD")
        entry_post(
            kind=JournalEntry.Kind.DEPOSIT,
            lines=[Line(clearing, -balance), Line(wallet, balance)],
            memo="benchmark funding",
        )
        users.append(user)
        numbers.append(wallet.number)
    return users, numbers


HISTORY_KEYS_PER_CUSTOMER = 100


def history_seed(users) -> int:
    """Idempotency records of earlier requests, as a running system holds a day's worth.

    A money request reads its key's record by the unique (user, key) index. Planned
    against an empty table (what VACUUM ANALYZE reports after setup), that lookup is a
    sequential scan, and each connection keeps the plan it prepared while the table grew:
    a fresh install's first minutes, not what the benchmark measures.
    """
    from blockscore.models import IdempotencyRecord

    table = IdempotencyRecord._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {table} (user_id, key, method, path, request_hash, state, response_status, response_body, "
            "response_headers, created_at, completed_at, expires_at) "
            "SELECT u, 'history-' || n, 'POST', '/api/v1/transfers', md5(u || ':' || n) || md5(n || ':' || u), "
            "'completed', 201, '{}', '{}'::jsonb, now() - interval '1 second' * n * 800, "
            "now() - interval '1 second' * n * 800, now() + interval '1 day' - interval '1 second' * n * 800 "
            "FROM unnest(%s::bigint[]) AS u, generate_series(1, %s) AS n",
            [[user.pk for user in users], HISTORY_KEYS_PER_CUSTOMER],
        )
        return cur.rowcount


def customer_total_minor() -> int:
    from wallets.models import LedgerAccount

    return (
        LedgerAccount.objects.filter(kind=LedgerAccount.Kind.CUSTOMER_WALLET).aggregate(t=Sum("balance_minor"))["t"]
        or 0
    )


def transfer_count() -> int:
    from wallets.models import JournalEntry

    return JournalEntry.objects.filter(kind=JournalEntry.Kind.TRANSFER).count()


def audit_check() -> tuple[int, int, str]:
    """Events still unchained (the load processes' chainer threads end with them), then
    chain them as the beat job would and verify the whole chain."""
    from audit.models import AuditEvent
    from audit.services import audit_chain_extend, audit_chain_verify

    time.sleep(0.5)  # the chainer threads of processes still running (gunicorn's) catch up
    waiting = AuditEvent.objects.filter(hash__isnull=True).count()
    audit_chain_extend()
    chained, broken = audit_chain_verify()
    return waiting, chained, str(broken) if broken else ""


def books_check(label: str, expected_total: int, transfers_before: int, acknowledged: int) -> list[str]:
    """Print the checks after a phase; return what failed (empty when the books hold)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    started = time.perf_counter()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
        verdict = out.getvalue().strip()
    except CommandError as exc:
        verdict = f"FAILED: {exc}\n" + "\n".join("      " + line for line in err.getvalue().splitlines()[:20])
    elapsed = time.perf_counter() - started
    total = customer_total_minor()
    posted = transfer_count() - transfers_before
    print(f"  verify_ledger after {label} ({elapsed:.1f} s): {verdict}")
    change = "unchanged" if total == expected_total else f"CHANGED by {total - expected_total} minor units"
    print(f"  sum of customer balances: {Decimal(total).scaleb(-2)} USD, {change}")
    same = "as acknowledged" if posted == acknowledged else f"MISMATCH: {acknowledged} acknowledged"
    print(f"  transfer entries posted in the phase: {posted} ({same})")
    waiting, chained, broken = audit_check()
    print(
        f"  audit chain: {waiting} ledger event(s) still waiting after the phase (chained now, as the beat job "
        f"would); {chained} event(s) verified" + (f"; BROKEN: {broken}" if broken else "")
    )
    failed = []
    if broken:
        failed.append(f"the audit chain is broken after {label}: {broken}")
    if verdict.startswith("FAILED"):
        failed.append(f"verify_ledger failed after {label}")
    if total != expected_total:
        failed.append(f"customer balances changed during {label}")
    if posted != acknowledged:
        failed.append(f"{posted} transfers posted but {acknowledged} acknowledged during {label}")
    return failed


# ---------------------------------------------------------------------------------------
# Load phases
# ---------------------------------------------------------------------------------------


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []  # ms, successful calls completed inside the window
        self.ok_in_window = 0
        self.outcomes = collections.Counter()  # inside the window
        self.ok_total = 0  # every success, warm-up and stragglers included (to match the books)
        self.examples: dict[str, str] = {}

    def export(self) -> dict:
        return {key: getattr(self, key) for key in ("latencies", "ok_in_window", "outcomes", "ok_total", "examples")}

    def merge(self, part: dict) -> None:
        self.latencies += part["latencies"]
        self.ok_in_window += part["ok_in_window"]
        self.outcomes.update(part["outcomes"])
        self.ok_total += part["ok_total"]
        self.examples = {**part["examples"], **self.examples}

    def calls_in_window(self) -> int:
        return sum(self.outcomes.values())

    def add(self, *, ok: bool, outcome: str, ms: float, in_window: bool, example: str = ""):
        with self.lock:
            self.ok_total += ok
            if example and outcome not in self.examples:
                self.examples[outcome] = example
            if in_window:
                self.outcomes[outcome] += 1
                if ok:
                    self.ok_in_window += 1
                    self.latencies.append(ms)


def _threads_run(worker, indexes, window_start, deadline, results: Results) -> None:
    threads = [threading.Thread(target=worker, args=(i, window_start, deadline, results), daemon=True) for i in indexes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run_clients(worker, clients: int, warmup: float, seconds: float, monitors=(), processes: int = 1):
    """Run ``worker(index, window_start, deadline, results)`` in ``clients`` threads.

    With ``processes`` > 1 the threads are spread over that many forked processes (so
    the load is not limited to one interpreter's GIL). The ``monitors`` (start()/stop(),
    and an optional ``trees`` dict for CPU accounting) run over the measured window only.
    Returns the merged results and the window's length in seconds.
    """
    results = Results()
    processes = max(1, min(processes, clients))
    if processes == 1:
        start = time.perf_counter()
        window_start, deadline = start + warmup, start + warmup + seconds
        runner = threading.Thread(
            target=_threads_run, args=(worker, range(clients), window_start, deadline, results), daemon=True
        )
        runner.start()
        children = []
    else:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        connections.close_all()  # no connection may be shared with the children
        queue = context.Queue()
        # perf_counter is CLOCK_MONOTONIC: the same clock in every process of the machine.
        start = time.perf_counter() + 0.5  # time to fork
        window_start, deadline = start + warmup, start + warmup + seconds

        def child(indexes):
            time.sleep(max(0.0, start - time.perf_counter()))
            part = Results()
            _threads_run(worker, indexes, window_start, deadline, part)
            queue.put(part.export())

        children = [
            context.Process(target=child, args=(range(p, clients, processes),), daemon=True) for p in range(processes)
        ]
        for process in children:
            process.start()
        for monitor in monitors:
            if isinstance(monitor, CpuMeter):
                monitor.trees["service processes"] = [process.pid for process in children]
    time.sleep(max(0.0, window_start - time.perf_counter()))
    for monitor in monitors:
        monitor.start()
    time.sleep(max(0.0, deadline - time.perf_counter()))
    for monitor in monitors:
        monitor.stop()
    if children:
        for _ in children:
            results.merge(queue.get())
        for process in children:
            process.join()
    else:
        runner.join()
    return results, seconds


def print_phase(label: str, results: Results, seconds: float) -> float:
    tps = results.ok_in_window / seconds
    lat = results.latencies
    print(f"  {label}: {tps:8.1f} transfers/s   ({results.ok_in_window} in {seconds:.0f} s)")
    if lat:
        print(
            f"  latency of a successful transfer: p50 {statistics.median(lat):7.2f} ms   "
            f"p90 {percentile(lat, 90):7.2f} ms   p99 {percentile(lat, 99):7.2f} ms   max {max(lat):7.2f} ms"
        )
    outcomes = ", ".join(f"{name} {count}" for name, count in results.outcomes.most_common())
    print(f"  outcomes: {outcomes or 'none'}")
    for outcome, example in results.examples.items():
        print(f"    e.g. {outcome}: {example[:300]}")
    return tps


def service_phase(users, numbers, monitors=(), *, seconds=None, warmup=None) -> tuple[float, Results]:
    from blockscore.exceptions import DomainError
    from wallets.services import transfer_create

    max_units = int(Decimal(ARGS.max_amount).scaleb(2))

    def worker(index, window_start, deadline, results):
        rng = random.Random(ARGS.seed * 1000 + index)
        try:
            while True:
                started = time.perf_counter()
                if started >= deadline:
                    return
                sender, recipient = rng.sample(range(len(users)), 2)
                amount = Decimal(rng.randint(1, max_units)).scaleb(-2)
                example = ""
                try:
                    transfer_create(
                        sender=users[sender], currency="USD", amount=amount, to_account=numbers[recipient], memo="bench"
                    )
                    ok, outcome = True, "ok"
                except DomainError as exc:
                    ok, outcome = False, exc.code
                except Exception as exc:  # noqa: BLE001 - counted and shown, not raised
                    ok, outcome, example = False, f"error:{type(exc).__name__}", str(exc)
                finished = time.perf_counter()
                results.add(
                    ok=ok,
                    outcome=outcome,
                    ms=(finished - started) * 1000,
                    in_window=window_start <= finished <= deadline,
                    example=example,
                )
        finally:
            connection.close()

    results, seconds = run_clients(
        worker,
        ARGS.clients,
        ARGS.warmup if warmup is None else warmup,
        ARGS.seconds if seconds is None else seconds,
        monitors,
        ARGS.processes,
    )
    return seconds, results


def server_ready(dbname: str, *, analyze: bool = False) -> None:
    """Before a phase: statistics for the fresh tables (a live database has them), and a
    CHECKPOINT, so that no phase pays for one that a previous phase started (after a
    checkpoint the first change to every page writes the whole page to the WAL)."""
    conn = pg_connect(dbname)
    try:
        with conn.cursor() as cur:
            if analyze:
                cur.execute("VACUUM ANALYZE")
            cur.execute("CHECKPOINT")
    except psycopg2.Error as exc:  # not a superuser: measure anyway, and say so
        print(f"  (could not VACUUM ANALYZE / CHECKPOINT before the phase: {exc.pgerror or exc})")
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, workers: int, threads: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(VAR_DIR) / "gunicorn.log"
        metrics_dir = Path(VAR_DIR) / "prometheus"
        metrics_dir.mkdir(exist_ok=True)
        self.env = {
            **os.environ,
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),  # as scripts/run does
            "PYTHONUNBUFFERED": "1",
        }
        binary = Path(sys.executable).parent / "gunicorn"
        self.binary = str(binary) if binary.exists() else shutil.which("gunicorn")
        self.proc = None

    def start(self):
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.log = log
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(ROOT / "scripts" / "gunicorn.conf.py"), "blockscore.wsgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() can make sure nothing is left
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/api/v1/ping", timeout=2).status_code == 200:
                    self._wait_until_idle(deadline)
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.log_path.read_text()[-3000:]}")

    def _wait_until_idle(self, deadline: float) -> None:
        """Until every worker has booted: the first answer comes from the first worker up,
        while the others may still be importing the project, on the CPUs the phase measures."""
        expected = int(self.env["WEB_CONCURRENCY"])

        def group_cpu() -> tuple[int, float]:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            return len(children), sum(_proc_cpu_seconds(int(pid)) for pid in [self.proc.pid, *children])

        workers, used = group_cpu()
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now_workers, now_used = group_cpu()
            if workers >= expected and now_workers >= expected and now_used - used < 0.05:
                return  # all there, and (nearly) idle for half a second
            workers, used = now_workers, now_used

    def stop(self) -> str:
        if self.proc is None:
            return "not started"
        pgid = self.proc.pid
        note = ""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                note = "did not stop within 30 s after SIGTERM; killed"
        try:
            os.killpg(pgid, 0)
            os.killpg(pgid, signal.SIGKILL)  # leftovers in its process group
            note = (note + "; " if note else "") + "leftover processes killed"
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.log.close()
        self.proc = None
        return note or "stopped cleanly (no processes left in its group)"


RECONNECT_EVERY = 50  # requests per keep-alive connection


class HttpClient:
    """A minimal HTTP/1.1 keep-alive client on a socket: the request is one ``sendall``
    and the answer is read by its Content-Length (Django sets it on every answer). The load
    generator shares the machine's two CPUs with what it measures, as pgbench's C client
    does; ``http.client`` spends about 0.4 ms of CPU per request parsing headers."""

    def __init__(self, host: str, port: int):
        self.address = (host, port)
        self.host = f"{host}:{port}".encode()
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=60)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines = [b"POST " + path.encode() + b" HTTP/1.1", b"Host: " + self.host, b"Content-Length: %d" % len(body)]
        lines += [f"{name}: {value}".encode() for name, value in headers.items()]
        self.sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.split(b"\r\n")
        fields = {}
        for line in header_lines:
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip()
        if b"content-length" not in fields:
            raise http.client.HTTPException(f"no Content-Length in the answer: {head[:200]!r}")
        length = int(fields[b"content-length"])
        while len(self.buffer) < length:
            self._receive()
        content, self.buffer = self.buffer[:length], self.buffer[length:]
        if fields.get(b"connection", b"").lower() == b"close":
            self.close()
        return int(status_line.split(b" ", 2)[1]), content

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk


def http_phase(server: Gunicorn, tokens, numbers, monitors=(), *, seconds=None, warmup=None) -> tuple[float, Results]:
    """Each client a keep-alive connection (``HttpClient``), opened afresh every
    RECONNECT_EVERY requests. Each gunicorn worker serves the connections it accepted, so
    a handful of connections kept for the whole run can land unevenly (say five on one
    worker of three) and leave one worker's interpreter the bottleneck, which made runs
    differ by half; clients behind a load balancer come and go."""
    max_units = int(Decimal(ARGS.max_amount).scaleb(2))

    def worker(index, window_start, deadline, results):
        rng = random.Random(ARGS.seed * 2000 + index)
        client = HttpClient("127.0.0.1", server.port)
        sent = 0
        try:
            while True:
                started = time.perf_counter()
                if started >= deadline:
                    return
                sent += 1
                if sent % RECONNECT_EVERY == 0:
                    client.close()  # connects again on the next request
                sender, recipient = rng.sample(range(len(tokens)), 2)
                units = rng.randint(1, max_units)
                body = json.dumps(
                    {"currency": "USD", "amount": f"{units // 100}.{units % 100:02d}", "to_account": numbers[recipient]}
                ).encode()
                headers = {
                    "Authorization": f"Bearer {tokens[sender]}",
                    "Idempotency-Key": str(uuid.uuid4()),
                    "Content-Type": "application/json",
                }
                example = ""
                try:
                    status, content = client.post("/api/v1/transfers", body, headers)
                    ok = status == 201
                    outcome = str(status)
                    if not ok:
                        try:
                            outcome = f"{status} {json.loads(content).get('code', '')}".strip()
                        except ValueError:
                            example = content.decode(errors="replace")
                        if status >= 500:
                            example = content.decode(errors="replace")
                except (OSError, http.client.HTTPException, ValueError) as exc:
                    client.close()  # reconnects on the next request
                    ok, outcome, example = False, f"error:{type(exc).__name__}", str(exc)
                finished = time.perf_counter()
                results.add(
                    ok=ok,
                    outcome=outcome,
                    ms=(finished - started) * 1000,
                    in_window=window_start <= finished <= deadline,
                    example=example,
                )
        finally:
            client.close()

    results, seconds = run_clients(
        worker,
        ARGS.clients,
        ARGS.warmup if warmup is None else warmup,
        ARGS.seconds if seconds is None else seconds,
        monitors,
    )
    return seconds, results


def pgbench_phase(binary: str) -> float | None:
    env = {**os.environ}
    if PG["password"]:
        env["PGPASSWORD"] = PG["password"]
    common = ["-h", PG["host"], "-p", str(PG["port"]), "-U", PG["user"]]
    database_recreate(PGBENCH_DB)
    init = subprocess.run([binary, *common, "-i", "-s", "1", "-q", PGBENCH_DB], env=env, capture_output=True, text=True)
    if init.returncode:
        print(f"  pgbench -i failed:\n{init.stderr[-2000:]}")
        return None
    server_ready(PGBENCH_DB)  # pgbench -i has vacuumed and analyzed its tables
    options = ["-b", "tpcb-like", "-c", str(ARGS.clients), "-j", str(min(2, ARGS.clients))]
    options += ["-T", str(max(1, round(ARGS.seconds))), PGBENCH_DB]
    command = [binary, *common, *options]
    print(f"  pgbench {' '.join(options)}")
    meter = CpuMeter(database=PGBENCH_DB)
    meter.start()
    run = subprocess.run(command, env=env, capture_output=True, text=True)
    meter.stop()  # pgbench's backends are gone by now: the meter read them while they ran
    if run.returncode:
        print(f"  pgbench failed:\n{run.stderr[-2000:]}")
        return None
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", run.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", run.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", run.stdout)
    if not tps:
        print(f"  could not read pgbench's output:\n{run.stdout[-2000:]}")
        return None
    print(
        f"  pgbench tpcb-like: {float(tps.group(1)):8.1f} TPS   latency average "
        f"{latency.group(1) if latency else '?'} ms   failed transactions {failed.group(1) if failed else '?'}"
    )
    transactions = re.search(r"number of transactions actually processed: (\d+)", run.stdout)
    calls = int(transactions.group(1)) if transactions else 0
    print(meter.report(children="pgbench", calls=calls))
    CPU_MS["pgbench"] = meter.phase_ms(calls, children=True)
    return float(tps.group(1))


def pgbench_slice(binary: str, seconds: float) -> tuple[int, float] | None:
    """One short tpcb-like run on the initialised <database>_pgbench: (transactions, seconds
    they took, without the connection time)."""
    env = {**os.environ}
    if PG["password"]:
        env["PGPASSWORD"] = PG["password"]
    common = ["-h", PG["host"], "-p", str(PG["port"]), "-U", PG["user"]]
    options = ["-b", "tpcb-like", "-c", str(ARGS.clients), "-j", str(min(2, ARGS.clients))]
    run = subprocess.run(
        [binary, *common, *options, "-T", str(max(1, round(seconds))), PGBENCH_DB],
        env=env,
        capture_output=True,
        text=True,
    )
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", run.stdout)
    transactions = re.search(r"number of transactions actually processed: (\d+)", run.stdout)
    if run.returncode or not tps or not transactions or not float(tps.group(1)):
        print(f"  pgbench failed:\n{(run.stderr or run.stdout)[-2000:]}")
        return None
    count = int(transactions.group(1))
    return count, count / float(tps.group(1))


def rounds_phase(users, numbers, total: int) -> list[str]:
    """ARGS.rounds rounds of a service slice, an HTTP slice and a pgbench slice in turn.

    The phases above are measured a minute apart, and this machine's CPU speed drifts by
    up to half within a minute (see the speed probe): in rounds, each phase gets a share
    of the fast and the slow moments, and the ratios of the summed figures move less.
    Returns what failed in the books check that follows.
    """
    from accounts import tokens as jwt

    print(
        f"\nrounds: {ARGS.rounds} x (service {ARGS.slice:.0f} s, HTTP {ARGS.slice:.0f} s, pgbench "
        f"{ARGS.slice:.0f} s), {ARGS.clients} clients each  [{load()}]"
    )
    before = transfer_count()
    access = [jwt.issue(user, mfa=False)["access"] for user in users]
    connections.close_all()
    server = STATE["server"] = Gunicorn(ARGS.workers, ARGS.threads)
    server.start()
    sums = {"service": [0, 0.0], "api": [0, 0.0], "pgbench": [0, 0.0]}  # calls, seconds
    acknowledged = 0
    try:
        for number in range(1, ARGS.rounds + 1):
            figures = []
            seconds, results = service_phase(users, numbers, seconds=ARGS.slice, warmup=1)
            sums["service"][0] += results.ok_in_window
            sums["service"][1] += seconds
            acknowledged += results.ok_total
            figures.append(f"service {results.ok_in_window / seconds:6.1f}/s")
            seconds, results = http_phase(server, access, numbers, seconds=ARGS.slice, warmup=1)
            sums["api"][0] += results.ok_in_window
            sums["api"][1] += seconds
            acknowledged += results.ok_total
            figures.append(f"API {results.ok_in_window / seconds:6.1f}/s")
            measured = pgbench_slice(PGBENCH, ARGS.slice)
            if measured is not None:
                sums["pgbench"][0] += measured[0]
                sums["pgbench"][1] += measured[1]
                figures.append(f"pgbench {measured[0] / measured[1]:7.1f} TPS")
            print(f"  round {number}: {'   '.join(figures)}   [{speed_probe()}]")
    finally:
        print(f"  gunicorn: {server.stop()}")
    rates = {name: (calls / seconds if seconds else 0.0) for name, (calls, seconds) in sums.items()}
    print(f"  in all: service {rates['service']:.1f}/s, API {rates['api']:.1f}/s, pgbench {rates['pgbench']:.1f} TPS")
    if rates["pgbench"]:
        for name in ("api", "service"):
            ratio = rates[name] / rates["pgbench"]
            verdict = "meets" if ratio >= TARGETS[name] else "BELOW"
            print(f"  {name}/pgbench = {ratio * 100:5.1f} %   target >= {TARGETS[name] * 100:.0f} %: {verdict}")
    ROUNDS.update(rates)
    return books_check("the rounds", total, before, acknowledged)


ROUNDS: dict[str, float] = {}


# ---------------------------------------------------------------------------------------


def main():
    # SIGTERM ends the run through the finally blocks (gunicorn stopped, databases dropped).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    print("BlockScore transfer benchmark")
    print(f"  started {time.strftime('%Y-%m-%d %H:%M:%S')}, {load()}")
    print(
        f"  clients {ARGS.clients}, {ARGS.seconds:.0f} s per phase after {ARGS.warmup:.0f} s warm-up, "
        f"{ARGS.customers} customers funded {ARGS.balance} USD, transfers 0.01..{ARGS.max_amount} USD, seed {ARGS.seed}"
    )
    try:
        database_recreate(DB_NAME)
        run()
    except (KeyboardInterrupt, SystemExit):
        print("\ninterrupted: cleaning up")
        raise
    finally:
        server = STATE["server"]
        if server is not None and server.proc is not None:  # interrupted during the HTTP phase
            print(f"  gunicorn: {server.stop()}")
        connections.close_all()
        if ARGS.keep:
            print(f"kept databases {DB_NAME} and {PGBENCH_DB}")
        else:
            database_drop(DB_NAME)
            database_drop(PGBENCH_DB)
            print(f"dropped databases {DB_NAME} and {PGBENCH_DB}")
        shutil.rmtree(VAR_DIR, ignore_errors=True)


STATE = {"server": None}
CPU_MS: dict[str, float] = {}  # phase -> CPU ms per call of the phase's own processes


def run() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT version(), current_setting('synchronous_commit'), current_setting('shared_buffers')")
        version, sync_commit, shared_buffers = cur.fetchone()
    print(f"  {version.split(' on ')[0]} at {PG['host']}:{PG['port']}, database {DB_NAME}")
    print(f"  synchronous_commit={sync_commit} shared_buffers={shared_buffers}")

    print("\nsetup")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"  migrated in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    users, numbers = customers_create(ARGS.customers, Decimal(ARGS.balance))
    print(f"  {len(users)} customers with funded USD wallets in {time.perf_counter() - started:.1f} s")
    total = customer_total_minor()
    print(f"  sum of customer balances: {Decimal(total).scaleb(-2)} USD")
    print(f"  {history_seed(users)} idempotency records of earlier requests (a day's worth, as in a running system)")
    server_ready(DB_NAME, analyze=True)

    figures, failures = {}, []
    if "service" not in ARGS.skip:
        where = f"in {ARGS.processes} processes" if ARGS.processes > 1 else "in this process"
        print(f"\nservice: {ARGS.clients} threads ({where}) calling wallets.services.transfer_create  [{load()}]")
        before = transfer_count()
        server_ready(DB_NAME)
        sampler, meter = ActivitySampler(DB_NAME), CpuMeter()
        seconds, results = service_phase(users, numbers, (sampler, meter))
        figures["service"] = print_phase("service", results, seconds)
        print(meter.report(calls=results.calls_in_window()))
        CPU_MS["service"] = meter.phase_ms(results.calls_in_window())
        print(sampler.report())
        failures += books_check("the service phase", total, before, results.ok_total)

    if "http" not in ARGS.skip:
        from accounts import tokens as jwt

        access = [jwt.issue(user, mfa=False)["access"] for user in users]
        connections.close_all()
        server = STATE["server"] = Gunicorn(ARGS.workers, ARGS.threads)
        server.start()
        print(
            f"\nhttp: {ARGS.clients} clients (keep-alive sockets) -> POST /api/v1/transfers on gunicorn "
            f"{ARGS.workers} workers x {ARGS.threads} threads (gthread), Redis cache  [{load()}]"
        )
        before = transfer_count()
        server_ready(DB_NAME)
        sampler, meter = ActivitySampler(DB_NAME), CpuMeter({"gunicorn": [server.proc.pid]})
        seconds, results = http_phase(server, access, numbers, (sampler, meter))
        print(f"  gunicorn: {server.stop()}")
        figures["api"] = print_phase("http", results, seconds)
        print(meter.report(calls=results.calls_in_window(), note="the HTTP client"))
        CPU_MS["api"] = meter.phase_ms(results.calls_in_window())
        print(sampler.report())
        failures += books_check("the HTTP phase", total, before, results.ok_total)

    if "pgbench" not in ARGS.skip:
        print(f"\npgbench: {ARGS.clients} clients against the same server, database {PGBENCH_DB}  [{load()}]")
        figures["pgbench"] = pgbench_phase(PGBENCH)

    if ARGS.rounds > 0 and "pgbench" not in ARGS.skip and figures.get("pgbench"):
        failures += rounds_phase(users, numbers, total)

    print(f"\nsummary ({ARGS.clients} clients, {load()})")
    if "service" not in ARGS.skip or "http" not in ARGS.skip:
        print(
            f"  books: {'; '.join(failures) if failures else 'zero invariant violations (checked after every phase)'}"
        )
    for name in ("service", "api", "pgbench"):
        if figures.get(name) is not None:
            print(f"  {name:<8} {figures[name]:8.1f} per second")
    if figures.get("pgbench"):
        for name in ("api", "service"):
            if figures.get(name) is not None:
                ratio = figures[name] / figures["pgbench"]
                verdict = "meets" if ratio >= TARGETS[name] else "BELOW"
                print(f"  {name}/pgbench = {ratio * 100:5.1f} %   target >= {TARGETS[name] * 100:.0f} %: {verdict}")
    if ROUNDS.get("pgbench"):
        print(f"  in {ARGS.rounds} interleaved rounds of {ARGS.slice:.0f} s slices:")
        for name in ("api", "service"):
            ratio = ROUNDS[name] / ROUNDS["pgbench"]
            verdict = "meets" if ratio >= TARGETS[name] else "BELOW"
            print(f"    {name}/pgbench = {ratio * 100:5.1f} %   target >= {TARGETS[name] * 100:.0f} %: {verdict}")
    if CPU_MS.get("pgbench"):
        # On a shared machine the TPS ratio moves with whatever else runs during each phase
        # (pgbench suffers most). The CPU each phase's own processes spend per call moves
        # much less: their ratio is about what the TPS ratio would be on an idle machine
        # where every phase is CPU-bound (pgbench less so: it also waits for WAL flushes).
        print("  CPU per call, the phase's own processes (load generator, gunicorn, database backends):")
        for name in ("service", "api", "pgbench"):
            if CPU_MS.get(name):
                print(f"    {name:<8} {CPU_MS[name]:6.2f} ms")
        for name in ("api", "service"):
            if CPU_MS.get(name):
                ratio = CPU_MS["pgbench"] / CPU_MS[name]
                print(f"  {name}/pgbench at equal CPU = {ratio * 100:5.1f} %")


if __name__ == "__main__":
    main()
