"""Benchmark: the daily loan servicing job over a book of active loans on PostgreSQL.

Target (issue: loan servicing): ``loans.services.servicing.servicing_run`` over 100,000
active loans in at most 60 s on this 2-core machine. It prints figures and asserts nothing.

On a throw-away PostgreSQL database (dropped and created here, and dropped again at the
end unless --keep or --reuse) it:

1. migrates and seeds --loans loans with bulk SQL (COPY, in a forked child process so
   that the parent's peak RSS is the servicing job's alone): a borrower, a customer
   wallet, an application (disbursed) and a loan per borrower, on three products in two
   currencies, each with its 12 monthly installments (amounts from
   ``loans.services.quotes.loan_quote``, computed once per product and amount; due dates
   from ``loans.schedules.due_date``), started on a random day of the 360 days before the
   benchmark day. The book is as yesterday's run left it (``serviced_on`` and
   ``accrued_through`` are the day before the benchmark day): installments due before
   the benchmark day are paid on their due date, except on --delinquent percent of the
   loans, which stopped paying one to several installments ago; their late fees past
   the grace period are charged, their days past due and buckets kept, and those 90 days
   past due are defaulted; reminders went out three days before each due date. Interest
   accrued is what the schedule has earned by yesterday (``servicing.earned``).
   The ledger holds what that history posted: per loan the disbursement (loan
   receivable to wallet, and fee income for the origination fee), one repayment standing
   for its paid installments (wallet to loan and interest receivable, with its
   ``Repayment`` row), and a bank deposit or withdrawal that leaves the wallet with a
   plausible balance; per currency one entry for the interest accrued and one for the
   late fees charged. Balances equal their postings and ``balance_after`` runs in
   posting order. The database's ledger triggers are off while the child copies the
   rows in (``session_replication_role = replica``): --check proves the books instead;
2. times ``servicing_run(day=D)`` for the benchmark day D (--day, by default today's
   ledger day): wall time, loans per second, the CPU time of this process and of its
   PostgreSQL backend, peak RSS, the WAL written and how many row updates were HOT, and
   the run's figures against those the seeding predicted (interest accrued, late fees,
   defaults, reminders); --profile N prints the top N functions of a cProfile of it;
3. times a second ``servicing_run(day=D)``, which must find nothing left to do;
4. times the collection job if the project has one (``servicing.loans_collect`` or
   ``repayments.collections_run``), which takes what is due on D from the wallets;
5. with --check, after seeding and again at the end: ``wallets.selectors.ledger_problems``,
   ``loans.verification.subledger_problems``, the receivable accounts against the loans'
   sums per currency, and per loan (in SQL) the outstanding principal, interest paid,
   late fees, interest accrued by ``accrued_through``, days past due, status and
   ``serviced_on``; then the audit events still unchained are chained (as the beat job
   would) and the whole chain is verified.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bs_loanbench \\
        .venv/bin/python benchmarks/loan_servicing.py [--loans 100000] [--check] [--keep|--reuse]

The database's name must end in ``bench`` (anything else is refused). --reuse keeps the
database and, when it already holds a seeded book, skips migrating and seeding and
services the day after the last serviced day instead. Reminder e-mails are queued on the
embedded file-system Celery broker in a temporary folder (no worker runs; e-mail goes to
the locmem backend in any case).
"""

import argparse
import cProfile
import gc
import io
import json
import logging
import multiprocessing
import os
import pstats
import queue
import random
import resource
import secrets
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bs_loanbench"
TARGET_SECONDS = 60


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=100_000, help="loans to seed (default 100000)")
    parser.add_argument(
        "--delinquent", type=float, default=7.5, help="percent of loans behind on their payments (default 7.5)"
    )
    parser.add_argument("--day", type=date.fromisoformat, default=None, help="benchmark day (default: today)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--check", action="store_true", help="verify the books after seeding and at the end")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile the first run and the collection job, print top N"
    )
    parser.add_argument("--no-collect", action="store_true", help="do not time the collection job")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the database if it holds a seeded book (service the day after its last serviced day); keep it",
    )
    args = parser.parse_args()
    if args.loans < 1:
        parser.error("--loans >= 1")
    return args


ARGS = parse_args()
DATABASE_URL = os.environ.get("DATABASE_URL") or DEFAULT_URL
_url = urlsplit(DATABASE_URL)
if _url.scheme not in ("postgres", "postgresql", "pgsql"):
    sys.exit(f"DATABASE_URL must name a PostgreSQL database: {DATABASE_URL}")
DB_NAME = unquote(_url.path.lstrip("/"))
if not DB_NAME.endswith("bench"):
    sys.exit(f"refusing to drop and recreate {DB_NAME!r}: the benchmark database's name must end in bench")
PG = {
    "host": _url.hostname or "127.0.0.1",
    "port": _url.port or 5432,
    "user": unquote(_url.username or "postgres"),
    "password": unquote(_url.password) if _url.password else None,
}
VAR_DIR = tempfile.mkdtemp(prefix="blockscore-loan-bench-")
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "blockscore.settings.local",
        "DATABASE_URL": DATABASE_URL,
        "BLOCKSCORE_VAR_DIR": VAR_DIR,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "CACHE_KEY_PREFIX": "blockscore-loan-bench",
        # Nothing is sent: reminders are queued (file-system broker in VAR_DIR, no worker),
        # and should anything send e-mail in this process it stays in memory.
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
)
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.pop("REDIS_URL", None)
os.environ.pop("CELERY_BROKER_URL", None)

import django  # noqa: E402
import psycopg2  # noqa: E402
from psycopg2 import sql  # noqa: E402

django.setup()
# The file-system broker has no host: kombu says so once per connection, at WARNING.
logging.getLogger("kombu.connection").setLevel(logging.ERROR)

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from blockscore import money  # noqa: E402
from loans import schedules  # noqa: E402
from loans.models import (  # noqa: E402
    Bucket,
    Installment,
    Loan,
    LoanApplication,
    LoanProduct,
    Repayment,
    ServicingRun,
)
from wallets.models import JournalEntry, LedgerAccount, Posting, Rail, luhn_check_digit  # noqa: E402
from wallets.services.ledger import ledger_day  # noqa: E402

# -- helpers ------------------------------------------------------------------------------


def pg_connect(dbname: str):
    conn = psycopg2.connect(dbname=dbname, **{k: v for k, v in PG.items() if v is not None})
    conn.autocommit = True
    return conn


def pg_admin(statement) -> None:
    conn = pg_connect("postgres")
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def database_exists() -> bool:
    conn = pg_connect("postgres")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
            return cur.fetchone() is not None
    finally:
        conn.close()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def rss_peak_reset() -> None:
    """Reset the kernel's high-water mark of this process's RSS (Linux >= 4.0), so that
    VmHWM is the peak of what runs next."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def rss_mib() -> tuple[float, float]:
    """(current RSS, peak RSS since the last reset) in MiB, from /proc/self/status."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    peak = values.get("VmHWM", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return values.get("VmRSS", peak), peak


def backend_cpu_seconds(pid: int | None) -> float:
    """CPU seconds (user + system) the PostgreSQL backend ``pid`` has used (same machine only)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fmt_minor(amounts: dict) -> str:
    if not amounts:
        return "none"
    return ", ".join(
        f"{money.format_amount(money.from_minor_units(int(minor), code), code)} {code}"
        for code, minor in sorted(amounts.items())
    )


# -- COPY ---------------------------------------------------------------------------------


NULL = "\\N"


def _text(value) -> str:
    if value is None:
        return NULL
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, separators=(",", ":"))
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Copier:
    """Rows for COPY into a model's table: the caller gives the values of the ``given``
    columns (as formatted text with ``line``, or as Python values with ``add``); every
    other column gets its model default, so a column added to a model later does not
    break the seeding (one without a default does, loudly)."""

    def __init__(self, model, given: str):
        given = given.split()
        self.table = model._meta.db_table
        now = timezone.now()
        fields = {field.column: field for field in model._meta.concrete_fields}
        unknown = set(given) - set(fields)
        if unknown:
            raise RuntimeError(f"{self.table}: no columns {sorted(unknown)}")
        rest, tail = [], []
        for column, field in fields.items():
            if column in given:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                value = now
            elif field.has_default():
                if field.default is uuid.uuid4:
                    raise RuntimeError(f"{self.table}.{column} needs a value per row")
                value = field.get_default()
            elif field.null:
                value = None
            elif field.empty_strings_allowed:
                value = ""
            else:
                raise RuntimeError(f"{self.table}.{column} is NOT NULL without a default: the seeding must give it")
            rest.append(column)
            tail.append(_text(value))
        columns = ", ".join(f'"{column}"' for column in given + rest)
        self.statement = f'COPY "{self.table}" ({columns}) FROM STDIN'
        self.tail = ("\t" + "\t".join(tail) if tail else "") + "\n"
        self.lines: list[str] = []

    def line(self, text: str) -> None:
        self.lines.append(text + self.tail)

    def add(self, *values) -> None:
        self.line("\t".join(map(_text, values)))

    def take(self) -> tuple[str, str, str, int]:
        lines, self.lines = self.lines, []
        return self.table, self.statement, "".join(lines), len(lines)


class CopyWriter:
    """COPY on its own connection (one transaction, ledger triggers off) from a thread of
    its own, so that PostgreSQL writes one chunk while Python builds the next: the two
    CPUs work at once. The connection stays open for the caller to finish and commit."""

    def __init__(self):
        self.conn = pg_connect(DB_NAME)
        self.conn.autocommit = False
        with self.conn.cursor() as cur:
            # No triggers (the balance check at commit, append-only, foreign keys):
            # --check proves the books instead.
            cur.execute("SET session_replication_role = replica")
            cur.execute("SET synchronous_commit = off")
        self.rows: dict[str, int] = defaultdict(int)
        self.busy = 0.0
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue(maxsize=4)
        self._thread = threading.Thread(target=self._run, name="copy-writer", daemon=True)
        self._thread.start()

    def send(self, *copiers: Copier) -> None:
        for copier in copiers:
            if self.error is not None:
                raise RuntimeError("COPY failed") from self.error
            if copier.lines:
                self._queue.put(copier.take())

    def _run(self) -> None:
        with self.conn.cursor() as cur:
            while (item := self._queue.get()) is not None:
                if self.error is not None:
                    continue  # keep draining, so that send() never blocks
                table, statement, text, rows = item
                started = time.perf_counter()
                try:
                    cur.copy_expert(statement, io.StringIO(text), size=1 << 20)
                except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                    self.error = exc
                self.busy += time.perf_counter() - started
                self.rows[table] += rows

    def finish(self):
        """Wait for the last COPY; returns the connection, still in its transaction."""
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise RuntimeError("COPY failed") from self.error
        return self.conn


# -- the book -----------------------------------------------------------------------------

PRODUCTS = [
    # code, currency, method, rate %, origination fee %, late fee (minor), late fee %, grace, share
    ("bench-personal-usd", "USD", "declining", "24.000", "2.00", 2500, "0", 5, 0.45),
    ("bench-flat-usd", "USD", "flat", "18.000", "0", 1000, "5.00", 3, 0.35),
    ("bench-personal-eur", "EUR", "declining", "19.900", "1.50", 1500, "2.00", 0, 0.20),
]
AMOUNTS_MINOR = [50_000, 100_000, 150_000, 200_000, 250_000, 300_000, 500_000, 750_000, 1_000_000, 1_500_000]
TERM = 12
# How many of its due installments a delinquent loan has missed (the last k), and how often.
MISSED = [(1, 0.45), (2, 0.25), (3, 0.15), (4, 0.08), (5, 0.04), (6, 0.03)]
SYSTEM_KINDS = [
    LedgerAccount.Kind.LOAN_RECEIVABLE,
    LedgerAccount.Kind.INTEREST_RECEIVABLE,
    LedgerAccount.Kind.INTEREST_INCOME,
    LedgerAccount.Kind.FEE_RECEIVABLE,
    LedgerAccount.Kind.FEE_INCOME,
]
CHUNK = 5000  # loans per COPY chunk
REMINDER_DAYS = 3  # servicing's default (settings.LOANS_REMINDER_DAYS)


def earned(interest: int, starts_on: date, due: date, day: date) -> int:
    """``servicing.earned`` for one installment (kept here so the seeding does not depend on it)."""
    if day >= due:
        return interest
    if day <= starts_on:
        return 0
    return interest * (day - starts_on).days // (due - starts_on).days


def late_fee(fixed: int, percent: Decimal, overdue: int) -> int:
    """``servicing.late_fee`` for an installment on which nothing was paid."""
    return fixed + int((Decimal(overdue) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def bucket_of(dpd: int) -> str:
    return Bucket.of(dpd).value


def wallet_number(wallet_id: int) -> str:
    digits = "1" + f"{wallet_id % 10**10:010d}"
    return digits + luhn_check_digit(digits)


class UuidMaker:
    """Random version-4 UUIDs as text, from a seeded generator (uuid.uuid4 reads the OS's
    entropy and builds an object: a tenth of the seeding's Python time)."""

    def __init__(self, seed_value: int):
        self.bits = random.Random(seed_value ^ 0x5EED).getrandbits

    def __call__(self) -> str:
        value = self.bits(128) & ~(0xF << 76) & ~(0x3 << 62) | (0x4 << 76) | (0x2 << 62)
        h = f"{value:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def products_and_accounts():
    """The products and the system accounts (through the ORM: a handful of rows)."""
    from wallets.services import system_account

    products = []
    for code, currency, method, rate, fee, late_minor, late_percent, grace, share in PRODUCTS:
        product, _ = LoanProduct.objects.update_or_create(
            code=code,
            defaults={
                "name": code.replace("-", " ").title(),
                "currency": currency,
                "min_amount_minor": min(AMOUNTS_MINOR),
                "max_amount_minor": max(AMOUNTS_MINOR),
                "min_term": 6,
                "max_term": 24,
                "interest_method": method,
                "frequency": "monthly",
                "annual_rate_percent": Decimal(rate),
                "origination_fee_percent": Decimal(fee),
                "late_fee_minor": late_minor,
                "late_fee_percent": Decimal(late_percent),
                "grace_days": grace,
                "default_after_days": 90,
            },
        )
        products.append((product, share))
    accounts = {}
    for currency in sorted({p.currency for p, _ in products}):
        for kind in SYSTEM_KINDS:
            accounts[(kind, currency)] = system_account(kind, currency).pk
        accounts[("clearing", currency)] = system_account(
            LedgerAccount.Kind.CLEARING, currency, rail=Rail.BANK_TRANSFER
        ).pk
    return products, accounts


def plans_of(products, day: date) -> dict:
    """(rows, origination fee, APR) per product and amount, from one quote each: the
    schedule's amounts and the APR do not depend on the start date, only the due dates do."""
    from loans.services.quotes import loan_quote

    plans = {}
    for product, _ in products:
        for amount in AMOUNTS_MINOR:
            quote = loan_quote(
                product=product, amount=money.from_minor_units(amount, product.currency), term=TERM, start=day
            )
            rows = [
                (
                    money.to_minor_units(i.principal, product.currency),
                    money.to_minor_units(i.interest, product.currency),
                )
                for i in quote.installments
            ]
            plans[(product.pk, amount)] = (
                rows,
                money.to_minor_units(quote.origination_fee, product.currency),
                quote.apr,
            )
    return plans


def seed(count: int, day: date, rng: random.Random) -> dict:
    """Write the book (see the module docstring); returns what servicing ``day`` should do."""
    from django.contrib.auth import get_user_model

    User = get_user_model()  # noqa: N806
    new_uuid = UuidMaker(rng.getrandbits(64))
    yesterday = day - timedelta(days=1)
    horizon = day + timedelta(days=REMINDER_DAYS)  # servicing's reminder window on ``day``
    products, system = products_and_accounts()
    weights = [share for _, share in products]
    plans = plans_of(products, yesterday - timedelta(days=180))
    with connection.cursor() as cursor:
        base = {}
        for model in (User, LedgerAccount, LoanApplication, Loan, Installment, Repayment, JournalEntry, Posting):
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{model._meta.db_table}"')
            base[model] = cursor.fetchone()[0]
        cursor.execute("SELECT id, balance_minor FROM wallets_ledgeraccount WHERE owner_id IS NULL")
        balances = dict(cursor.fetchall())
    connections.close_all()

    users = Copier(User, "id password public_id email first_name last_name")
    wallets = Copier(LedgerAccount, "id public_id number kind owner_id currency balance_minor")
    applications = Copier(
        LoanApplication,
        "id public_id applicant_id product_id amount_minor term purpose monthly_income_minor monthly_expenses_minor "
        "status approved_amount_minor approved_term created_at submitted_at decided_at",
    )
    loans = Copier(
        Loan,
        "id public_id application_id borrower_id product_id wallet_id currency principal_minor origination_fee_minor "
        "term interest_method frequency annual_rate_percent apr_percent start_date status disbursement_entry_id "
        "disbursed_at principal_outstanding_minor interest_accrued_minor interest_paid_minor fees_charged_minor "
        "accrued_through serviced_on days_past_due bucket",
    )
    installments = Copier(
        Installment,
        "id loan_id number starts_on due_date principal_minor interest_minor principal_paid_minor interest_paid_minor "
        "late_fee_minor late_fee_charged_on paid_on reminded_on",
    )
    repayments = Copier(
        Repayment,
        "id public_id loan_id source amount_minor received_on interest_minor principal_minor allocation entry_id "
        "recorded_at",
    )
    entries = Copier(JournalEntry, "id public_id kind memo idempotency_key metadata posted_at")
    postings = Copier(Posting, "id entry_id account_id currency amount_minor balance_after_minor posted_at")

    texts: dict[date, str] = {}

    def d(value: date) -> str:
        text = texts.get(value)
        if text is None:
            text = texts[value] = value.isoformat()
        return text

    def ts(value: date, hour: int) -> str:
        return f"{d(value)} {hour:02d}:00:00+00"

    # Entries are collected first and written in time order at the end, so that entry ids
    # and each account's balance_after follow posting time: (posted_at, loan number,
    # kind, memo, key, metadata, [(account, amount)], currency, what points at it).
    journal: list[tuple] = []
    expect = {"interest": defaultdict(int), "fees": defaultdict(int), "fees_charged": 0, "defaulted": 0}
    expect.update(reminders=0, due_today=0)
    totals = {"accrued": defaultdict(int), "fees": defaultdict(int), "buckets": defaultdict(int)}
    totals.update(delinquent=0, defaulted=0, paid_installments=0)
    loan_heads: list[tuple[str, str]] = []  # the loan row before and after its entry id
    disbursement_of: dict[int, int] = {}  # loan id -> entry id
    entry_of: dict[int, int] = {}  # repayment id -> entry id
    repayment_rows: list[tuple] = []
    currency_of = {pk: currency for (_, currency), pk in system.items()}
    grace = {product.pk: timedelta(days=product.grace_days) for product, _ in products}
    due_dates: dict[date, list[date]] = {}
    one_day, remind_before = timedelta(days=1), timedelta(days=REMINDER_DAYS)
    writer = CopyWriter()
    started = time.perf_counter()
    installment_id = base[Installment]
    for n in range(1, count + 1):
        product = rng.choices(products, weights)[0][0]
        currency, grace_days = product.currency, grace[product.pk]
        user_id, wallet_id = base[User] + n, base[LedgerAccount] + n
        application_id, loan_id = base[LoanApplication] + n, base[Loan] + n
        amount = rng.choice(AMOUNTS_MINOR)
        rows, fee, apr = plans[(product.pk, amount)]
        start = yesterday - timedelta(days=rng.randrange(360))
        dues = due_dates.get(start)
        if dues is None:
            dues = due_dates[start] = [schedules.due_date(start, k, "monthly") for k in range(1, TERM + 1)]
        due_by_yesterday = sum(1 for due in dues if due <= yesterday)
        first_unpaid = due_by_yesterday
        if due_by_yesterday and rng.random() * 100 < ARGS.delinquent:
            missed = rng.choices([k for k, _ in MISSED], [w for _, w in MISSED])[0]
            first_unpaid = due_by_yesterday - min(missed, due_by_yesterday)
        first_due = dues[first_unpaid] if first_unpaid < TERM else None
        dpd = (yesterday - first_due).days if first_due and first_due < yesterday else 0
        dpd_today = (day - first_due).days if first_due and first_due < day else 0
        defaulted = dpd >= product.default_after_days
        # The run of the day a loan reached default_after_days still saw it active (and reminded).
        default_day = first_due + timedelta(days=product.default_after_days) if defaulted else None
        if not defaulted and dpd_today >= product.default_after_days:
            expect["defaulted"] += 1
        totals["delinquent"] += first_unpaid < due_by_yesterday
        totals["defaulted"] += defaulted
        totals["buckets"][bucket_of(dpd)] += 1

        accrued = principal_paid = interest_paid = fees = fees_today = 0
        previous, first_service = start, start + one_day
        for k, ((principal, interest), due) in enumerate(zip(rows, dues, strict=True)):
            installment_id += 1
            accrued += earned(interest, previous, due, yesterday)
            expect["interest"][currency] += earned(interest, previous, due, day) - earned(
                interest, previous, due, yesterday
            )
            reminder_day = max(due - remind_before, first_service)
            reminded = reminder_day <= yesterday and (default_day is None or reminder_day <= default_day)
            if k < first_unpaid:  # paid on its due date
                principal_paid += principal
                interest_paid += interest
                text = f"{principal}\t{interest}\t0\t{NULL}\t{d(due)}"
            else:
                charged_on, fee_minor = None, 0
                if day > due + grace_days:
                    owed = late_fee(product.late_fee_minor, product.late_fee_percent, principal + interest)
                    if yesterday > due + grace_days:  # charged by an earlier run
                        charged_on, fee_minor = due + grace_days + one_day, owed
                    else:
                        fees_today += owed
                fees += fee_minor
                text = f"0\t0\t{fee_minor}\t{d(charged_on) if charged_on else NULL}\t{NULL}"
                if not reminded and not defaulted and day <= due <= horizon:
                    expect["reminders"] += 1
            expect["due_today"] += due == day
            installments.line(
                f"{installment_id}\t{loan_id}\t{k + 1}\t{d(previous)}\t{d(due)}\t{principal}\t{interest}\t{text}\t"
                f"{d(reminder_day) if reminded else NULL}"
            )
            previous = due
        if fees_today:
            expect["fees"][currency] += fees_today
            expect["fees_charged"] += 1
        totals["accrued"][currency] += accrued
        totals["fees"][currency] += fees
        totals["paid_installments"] += first_unpaid

        public, application_public = new_uuid(), new_uuid()
        users.line(f"{user_id}\t!\t{new_uuid()}\tborrower{user_id}@loans.bench.example\tBorrower\t{n}")
        applications.line(
            f"{application_id}\t{application_public}\t{user_id}\t{product.pk}\t{amount}\t{TERM}\tpersonal\t"
            f"{amount // 2}\t{amount // 5}\tdisbursed\t{amount}\t{TERM}\t{ts(start, 9)}\t{ts(start, 9)}\t"
            f"{ts(start, 10)}"
        )
        disbursed = amount - fee
        lines = [(system[("loan_receivable", currency)], -amount), (wallet_id, disbursed)]
        if fee:
            lines.append((system[("fee_income", currency)], fee))
        key = f"loan-disbursement:{application_public}"
        metadata = f'{{"application":"{application_public}"}}'
        journal.append((ts(start, 12), n, "loan_disbursement", f"Loan {product.name}", key, metadata, lines, loan_id))
        repaid = principal_paid + interest_paid
        next_payment = sum(rows[first_unpaid]) if first_unpaid < TERM else 0
        if first_unpaid < due_by_yesterday:  # behind: little or nothing in the wallet
            balance = rng.randrange(next_payment) if rng.random() < 0.3 else 0
        elif rng.random() < 0.8:  # enough for the next installment
            balance = next_payment + rng.randrange(3 * next_payment + 1)
        else:
            balance = rng.randrange(next_payment + 1)
        external = balance + repaid - disbursed
        if repaid:  # one repayment standing for the paid installments, on the last one's due date
            last_paid = dues[first_unpaid - 1]
            repayment_id = base[Repayment] + n
            repayment_rows.append(
                (repayment_id, loan_id, repaid, last_paid, interest_paid, principal_paid, rows[:first_unpaid], currency)
            )
            lines = [
                (wallet_id, -repaid),
                (system[("interest_receivable", currency)], interest_paid),
                (system[("loan_receivable", currency)], principal_paid),
            ]
            key = f"loan-repayment:bench-{repayment_id}"
            metadata = f'{{"loan":"{public}"}}'
            journal.append(
                (
                    ts(last_paid, 12),
                    n,
                    "loan_repayment",
                    "Loan repayment (collection)",
                    key,
                    metadata,
                    lines,
                    -repayment_id,
                )
            )
        if external > 0:  # paid in before it was needed
            lines = [(system[("clearing", currency)], -external), (wallet_id, external)]
            journal.append((ts(start, 13), n, "deposit", "Bank transfer in", None, "{}", lines, None))
        elif external < 0:  # spent, after the last repayment
            when = dues[first_unpaid - 1] if repaid else start
            lines = [(wallet_id, external), (system[("clearing", currency)], -external)]
            journal.append((ts(when, 13), n, "withdrawal", "Bank transfer out", None, "{}", lines, None))
        currency_of[wallet_id] = currency
        wallets.line(
            f"{wallet_id}\t{new_uuid()}\t{wallet_number(wallet_id)}\tcustomer_wallet\t{user_id}\t{currency}\t{balance}"
        )
        status = Loan.Status.DEFAULTED if defaulted else Loan.Status.ACTIVE
        loan_heads.append(
            (
                f"{loan_id}\t{public}\t{application_id}\t{user_id}\t{product.pk}\t{wallet_id}\t{currency}\t{amount}\t"
                f"{fee}\t{TERM}\t{product.interest_method}\t{product.frequency}\t{product.annual_rate_percent}\t"
                f"{apr}\t{d(start)}\t{status}\t",
                f"\t{ts(start, 12)}\t{amount - principal_paid}\t{accrued}\t{interest_paid}\t{fees}\t{d(yesterday)}\t"
                f"{d(yesterday)}\t{dpd}\t{bucket_of(dpd)}",
            )
        )
        if n % CHUNK == 0:
            writer.send(users, wallets, applications, installments)
    writer.send(users, wallets, applications, installments)

    for currency, accrued in totals["accrued"].items():
        if accrued:
            lines = [
                (system[("interest_receivable", currency)], -accrued),
                (system[("interest_income", currency)], accrued),
            ]
            memo = f"Interest accrued up to {yesterday} (benchmark history)"
            metadata = f'{{"day":"{yesterday}"}}'
            journal.append(
                (
                    ts(yesterday, 23),
                    0,
                    "interest_accrual",
                    memo,
                    f"loan-accrual:bench:{currency}",
                    metadata,
                    lines,
                    None,
                )
            )
    for currency, fees in totals["fees"].items():
        if fees:
            lines = [(system[("fee_receivable", currency)], -fees), (system[("fee_income", currency)], fees)]
            memo = f"Late fees charged up to {yesterday} (benchmark history)"
            metadata = f'{{"day":"{yesterday}"}}'
            journal.append(
                (ts(yesterday, 23), 1, "fee", memo, f"loan-late-fees:bench:{currency}", metadata, lines, None)
            )
    journal.sort(key=lambda entry: (entry[0], entry[1]))
    entry_id, posting_id = base[JournalEntry], base[Posting]
    for posted_at, _, kind, memo, key, metadata, lines, link in journal:
        entry_id += 1
        entries.line(f"{entry_id}\t{new_uuid()}\t{kind}\t{memo}\t{key or NULL}\t{metadata}\t{posted_at}")
        for account_id, amount_minor in lines:
            posting_id += 1
            balance = balances.get(account_id, 0) + amount_minor
            balances[account_id] = balance
            postings.line(
                f"{posting_id}\t{entry_id}\t{account_id}\t{currency_of[account_id]}\t{amount_minor}\t{balance}\t"
                f"{posted_at}"
            )
        if link is not None:
            if link > 0:
                disbursement_of[link] = entry_id
            else:
                entry_of[-link] = entry_id
        if entry_id % (CHUNK * 10) == 0:
            writer.send(entries, postings)
    writer.send(entries, postings)
    for n, (head, tail) in enumerate(loan_heads, start=1):
        loans.line(f"{head}{disbursement_of[base[Loan] + n]}{tail}")
    for repayment_id, loan_id, repaid, last_paid, interest_paid, principal_paid, paid, currency in repayment_rows:
        allocation = [
            {
                "installment": k,
                "interest": str(money.from_minor_units(interest, currency)),
                "principal": str(money.from_minor_units(principal, currency)),
            }
            for k, (principal, interest) in enumerate(paid, start=1)
        ]
        repayments.add(
            repayment_id,
            new_uuid(),
            loan_id,
            "collection",
            repaid,
            last_paid,
            interest_paid,
            principal_paid,
            allocation,
            entry_of[repayment_id],
            ts(last_paid, 12),
        )
    writer.send(loans, repayments)
    generated = time.perf_counter() - started

    conn = writer.finish()
    copied = time.perf_counter() - started
    try:
        with conn.cursor() as cur:
            system_ids = set(system.values())
            for account_id, balance in balances.items():
                if account_id in system_ids:
                    cur.execute(
                        "UPDATE wallets_ledgeraccount SET balance_minor = %s WHERE id = %s", [balance, account_id]
                    )
            for table in writer.rows:
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))"
                )
        conn.commit()
        written = time.perf_counter() - started
        started = time.perf_counter()
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
            cur.execute("CHECKPOINT")
        vacuumed = time.perf_counter() - started
    finally:
        conn.close()
    return {
        "generated": generated,
        "copied": copied,
        "written": written,
        "copy_busy": writer.busy,
        "vacuumed": vacuumed,
        "rows": dict(writer.rows),
        "expect": {k: dict(v) if isinstance(v, defaultdict) else v for k, v in expect.items()},
        "totals": {k: dict(v) if isinstance(v, defaultdict) else v for k, v in totals.items()},
    }


def in_child(function, *args):
    """``function(*args)`` in a forked child process; its JSON-able result, or its error
    raised here. The seeding and the first check load far more than the servicing job does:
    run here, they would make this process's peak RSS theirs."""
    sys.stdout.flush()
    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()

    def target():
        try:
            results.put(json.dumps({"result": function(*args)}, default=str))
        except BaseException:
            results.put(json.dumps({"error": traceback.format_exc()}))
        finally:
            connections.close_all()

    child = context.Process(target=target)
    child.start()
    answer = json.loads(results.get())
    child.join()
    if "error" in answer:
        raise RuntimeError(f"the child process failed:\n{answer['error']}")
    return answer["result"]


def migrate_and_seed(count: int, day: date, seed_value: int) -> dict:
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started
    result = seed(count, day, random.Random(seed_value))
    result["migrated"] = migrated
    result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


# -- checks -------------------------------------------------------------------------------

# Per loan, in SQL: what the installments say against what the loan row says. ``%(day)s``
# is the day days past due are counted for (serviced_on for a serviced book).
_PER_LOAN_SQL = """
WITH per_loan AS (
    SELECT l.id, l.status, l.currency, l.principal_minor, l.principal_outstanding_minor, l.interest_paid_minor,
           l.interest_accrued_minor, l.fees_charged_minor, l.days_past_due, l.bucket, l.serviced_on,
           l.accrued_through, p.default_after_days, p.grace_days,
           SUM(i.principal_minor - i.principal_paid_minor) AS owed,
           SUM(i.principal_minor) AS scheduled,
           SUM(i.interest_paid_minor) AS interest_paid,
           SUM(i.late_fee_minor) AS fees,
           SUM(CASE WHEN l.accrued_through >= i.due_date THEN i.interest_minor
                    WHEN l.accrued_through <= i.starts_on THEN 0
                    ELSE i.interest_minor * (l.accrued_through - i.starts_on) / (i.due_date - i.starts_on) END)
               AS earned,
           MIN(i.due_date) FILTER (WHERE i.paid_on IS NULL AND i.due_date < l.serviced_on) AS overdue_since,
           COUNT(*) FILTER (WHERE i.paid_on IS NULL AND i.late_fee_charged_on IS NULL
                            AND l.serviced_on > i.due_date + p.grace_days
                            AND (p.late_fee_minor > 0 OR p.late_fee_percent > 0)) AS fees_missing
    FROM loans_loan l JOIN loans_loanproduct p ON p.id = l.product_id JOIN loans_installment i ON i.loan_id = l.id
    WHERE l.status IN ('active', 'defaulted')
    GROUP BY l.id, p.id
)
SELECT
    COUNT(*) FILTER (WHERE owed <> principal_outstanding_minor) AS outstanding,
    COUNT(*) FILTER (WHERE scheduled <> principal_minor) AS scheduled,
    COUNT(*) FILTER (WHERE interest_paid <> interest_paid_minor) AS interest_paid,
    COUNT(*) FILTER (WHERE fees <> fees_charged_minor) AS fees,
    COUNT(*) FILTER (WHERE earned <> interest_accrued_minor) AS accrued,
    COUNT(*) FILTER (WHERE days_past_due <> COALESCE(serviced_on - overdue_since, 0)) AS dpd,
    COUNT(*) FILTER (WHERE bucket <> CASE WHEN days_past_due <= 0 THEN 'current' WHEN days_past_due <= 30 THEN '1-30'
                     WHEN days_past_due <= 60 THEN '31-60' WHEN days_past_due <= 90 THEN '61-90' ELSE '90+' END)
        AS bucket,
    COUNT(*) FILTER (WHERE status = 'active' AND days_past_due >= default_after_days) AS not_defaulted,
    COUNT(*) FILTER (WHERE status = 'defaulted' AND days_past_due = 0) AS not_cured,
    COUNT(*) FILTER (WHERE fees_missing > 0) AS fees_missing,
    COUNT(*) FILTER (WHERE serviced_on IS DISTINCT FROM %(day)s) AS not_serviced,
    COUNT(*) FILTER (WHERE accrued_through IS DISTINCT FROM %(day)s) AS not_accrued,
    COUNT(*) AS open_loans
FROM per_loan
"""


def books_check(label: str, day: date, *, full: bool = True) -> list[str]:
    """Every invariant this benchmark knows; prints the problems and returns them."""
    from django.db.models import F, Sum

    from wallets.selectors import ledger_problems

    print(f"  check ({label}):")
    problems = []
    started = time.perf_counter()
    found = ledger_problems()
    problems += found
    print(f"    wallets.selectors.ledger_problems: {len(found)} problem(s) in {time.perf_counter() - started:.1f} s")
    try:
        from loans.verification import subledger_problems
    except ImportError:
        subledger_problems = None
    if subledger_problems is not None:
        started = time.perf_counter()
        found = subledger_problems(per_loan=full)
        problems += found
        scope = "per loan and per currency" if full else "per currency"
        print(
            f"    loans.verification.subledger_problems ({scope}): {len(found)} problem(s) "
            f"in {time.perf_counter() - started:.1f} s"
        )
    started = time.perf_counter()
    sums = {
        row["currency"]: row
        for row in Loan.objects.values("currency").annotate(
            principal=Sum("principal_outstanding_minor"),
            interest=Sum(F("interest_accrued_minor") - F("interest_paid_minor")),
            fees=Sum(F("fees_charged_minor") - F("fees_paid_minor")),
        )
    }
    held = {
        (account.kind, account.currency): account.balance_minor
        for account in LedgerAccount.objects.filter(owner__isnull=True)
    }
    for currency, row in sorted(sums.items()):
        for kind, part in (
            ("loan_receivable", "principal"),
            ("interest_receivable", "interest"),
            ("fee_receivable", "fees"),
        ):
            balance = held.get((kind, currency), 0)
            if balance != -(row[part] or 0):
                problems.append(
                    f"{currency} {kind} holds {balance}, loans owe {row[part]} (expected {-(row[part] or 0)})"
                )
    with connection.cursor() as cursor:
        cursor.execute(_PER_LOAN_SQL, {"day": day})
        names = [column.name for column in cursor.description]
        counts = dict(zip(names, cursor.fetchone(), strict=True))
        cursor.execute(
            "SELECT COUNT(*) FROM wallets_posting p JOIN wallets_ledgeraccount a ON a.id = p.account_id "
            "WHERE a.kind = 'customer_wallet' AND p.balance_after_minor < 0"
        )
        negative_after = cursor.fetchone()[0]
    open_loans = counts.pop("open_loans")
    for name, bad in counts.items():
        if bad:
            problems.append(f"{bad} open loan(s) fail the per-loan check {name!r}")
    if negative_after:
        problems.append(f"{negative_after} wallet posting(s) with a negative balance_after")
    print(
        f"    receivables per currency and {open_loans} open loans per loan (SQL): "
        f"{time.perf_counter() - started:.1f} s"
    )
    from audit.services import audit_chain_extend, audit_chain_verify

    started = time.perf_counter()
    pending = audit_chain_extend()  # what the chainer thread has not chained yet, as the beat job would
    verified, broken = audit_chain_verify()
    if broken:
        problems.append(f"the audit chain is broken: {broken}")
    print(
        f"    audit chain: {pending} event(s) chained now, {verified} verified in {time.perf_counter() - started:.1f} s"
    )
    for problem in problems[:30]:
        print(f"    !! {problem}")
    if len(problems) > 30:
        print(f"    !! ... and {len(problems) - 30} more")
    print(f"    {'OK' if not problems else f'{len(problems)} PROBLEM(S)'}")
    return problems


def subledger_sums() -> dict:
    from django.db.models import Sum

    return {
        row["currency"]: row
        for row in Loan.objects.values("currency").annotate(
            accrued=Sum("interest_accrued_minor"), fees=Sum("fees_charged_minor")
        )
    }


# -- the runs -----------------------------------------------------------------------------


def timed(label: str, call, *, profile: int = 0):
    """Run ``call()`` and print wall, CPU of this process and of its PostgreSQL backend, RSS."""
    connections.close_all()
    gc.collect()
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    stats = database_activity()
    rss_peak_reset()
    rss_before, _ = rss_mib()
    cpu, pg_cpu = time.process_time(), backend_cpu_seconds(backend)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    result = call()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    cpu, pg_cpu = time.process_time() - cpu, backend_cpu_seconds(backend) - pg_cpu
    _, rss_peak = rss_mib()
    activity = database_activity(stats)
    print(
        f"  {label}: {seconds:.2f} s wall; CPU {cpu:.2f} s Python + {pg_cpu:.2f} s PostgreSQL backend; "
        f"RSS {rss_before:.0f} MiB before, peak {rss_peak:.0f} MiB (+{rss_peak - rss_before:.0f})  [{load()}]"
    )
    print(
        f"    database: {activity['wal'] / 2**20:,.1f} MiB of WAL, {activity['commits']:,} commits; loans_loan "
        f"{activity['loans_upd']:,} rows updated ({activity['loans_hot']:,} HOT), loans_installment "
        f"{activity['inst_upd']:,} updated ({activity['inst_hot']:,} HOT)"
    )
    if profiler:
        for order in ("cumulative", "tottime"):
            print(f"\n  profile of {label}, top {profile} by {order}:")
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).sort_stats(order).print_stats(profile)
            print("\n".join("    " + line for line in stream.getvalue().splitlines() if line.strip()))
    return result, seconds


def database_activity(before: dict | None = None) -> dict:
    """WAL position, commits and row updates (HOT or not) of the two loan tables; with
    ``before``, what changed since. (The statistics collector lags a little: read after
    the run's commits, the counts are whole.)"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, "
            "(SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()), "
            "(SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'loans_loan'), "
            "(SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'loans_loan'), "
            "(SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'loans_installment'), "
            "(SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'loans_installment')"
        )
        now = dict(
            zip(("wal", "commits", "loans_upd", "loans_hot", "inst_upd", "inst_hot"), cursor.fetchone(), strict=True)
        )
    if before is None:
        return now
    return {key: (now[key] or 0) - (before[key] or 0) for key in now}


def compare(label: str, got, expected) -> str:
    return f"{label} {got}" + ("" if got == expected else f" (the seeding predicted {expected}: DIFFERS)")


def main() -> None:
    from loans.services import servicing

    print("BlockScore loan servicing benchmark")
    print(f"  started {time.strftime('%Y-%m-%d %H:%M:%S')}, {load()}")
    day = ARGS.day
    reused = False
    if ARGS.reuse and database_exists():
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('loans_loan') IS NOT NULL")
            has_table = cursor.fetchone()[0]
        if has_table and Loan.objects.exists():
            reused = True
            last = max(
                filter(
                    None,
                    [
                        ServicingRun.objects.order_by("-day").values_list("day", flat=True).first(),
                        Loan.objects.order_by("-serviced_on").values_list("serviced_on", flat=True).first(),
                    ],
                ),
                default=None,
            )
            day = day or (last + timedelta(days=1) if last else ledger_day())
        connections.close_all()
    day = day or ledger_day()
    expect = None
    try:
        if reused:
            print(f"  reusing database {DB_NAME}: {Loan.objects.count()} loans; servicing {day}")
        else:
            pg_admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
            pg_admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
            print(
                f"  database {DB_NAME} created; benchmark day {day}, the book as serviced on {day - timedelta(days=1)}"
            )
            started = time.perf_counter()
            result = in_child(migrate_and_seed, ARGS.loans, day, ARGS.seed)
            seeding = time.perf_counter() - started
            expect = result["expect"]
            totals = result["totals"]
            print(
                f"\nseeding: {seeding:.1f} s in all: migrate {result['migrated']:.1f} s; rows built in "
                f"{result['generated']:.1f} s, COPY (alongside, busy {result['copy_busy']:.1f} s) done at "
                f"{result['copied']:.1f} s, committed at {result['written']:.1f} s; VACUUM ANALYZE and CHECKPOINT "
                f"{result['vacuumed']:.1f} s (child process peak RSS {result['rss_mib']:.0f} MiB)"
            )
            print("  rows: " + ", ".join(f"{table} {rows:,}" for table, rows in result["rows"].items()))
            print(
                f"  {ARGS.loans:,} loans: {totals['delinquent']:,} behind on payments, {totals['defaulted']:,} of them "
                f"defaulted; {totals['paid_installments']:,} installments paid; buckets "
                + ", ".join(f"{bucket} {n:,}" for bucket, n in sorted(totals["buckets"].items()))
            )
            print(
                f"  accrued to yesterday: {fmt_minor(totals['accrued'])}; "
                f"late fees charged: {fmt_minor(totals['fees'])}"
            )
            print(
                f"  the run on {day} should accrue {fmt_minor(expect['interest'])}, charge "
                f"{expect['fees_charged']:,} late fees ({fmt_minor(expect['fees'])}), default {expect['defaulted']:,} "
                f"loans and remind {expect['reminders']:,} installments ({expect['due_today']:,} fall due that day)"
            )
        if ARGS.check:
            print()
            in_child(books_check, "the book before the run", day - timedelta(days=1))
        before = subledger_sums()
        open_loans = Loan.objects.filter(status__in=[Loan.Status.ACTIVE, Loan.Status.DEFAULTED]).count()

        print(f"\nloans.services.servicing.servicing_run(day={day}) over {open_loans:,} open loans")
        run, seconds = timed("run 1", lambda: servicing.servicing_run(day=day), profile=ARGS.profile)
        after = subledger_sums()
        accrued = {
            c: after[c]["accrued"] - before[c]["accrued"] for c in after if after[c]["accrued"] != before[c]["accrued"]
        }
        fees = {c: after[c]["fees"] - before[c]["fees"] for c in after if after[c]["fees"] != before[c]["fees"]}
        print(f"    {run.loans_serviced:,} loans serviced = {run.loans_serviced / seconds:,.0f} loans/s")
        print(
            f"    interest accrued {fmt_minor(run.interest_accrued)}; late fees {run.late_fees_charged:,} "
            f"({fmt_minor(run.late_fees)}); defaulted {run.defaulted:,}; reminders {run.reminders:,}; "
            f"finished_at {'set' if run.finished_at else 'NOT SET'}"
        )
        if accrued != {c: int(m) for c, m in run.interest_accrued.items() if m}:
            print(
                f"    !! the loans' accrued interest moved by {fmt_minor(accrued)}, "
                f"the run says {fmt_minor(run.interest_accrued)}"
            )
        if fees != {c: int(m) for c, m in run.late_fees.items() if m}:
            print(f"    !! the loans' late fees moved by {fmt_minor(fees)}, the run says {fmt_minor(run.late_fees)}")
        if expect is not None:
            print(
                "    against the seeding's prediction: "
                + "; ".join(
                    [
                        compare(
                            "interest",
                            {c: int(m) for c, m in run.interest_accrued.items() if m},
                            {c: m for c, m in expect["interest"].items() if m},
                        ),
                        compare("late fees", run.late_fees_charged, expect["fees_charged"]),
                        compare(
                            "fee amounts",
                            {c: int(m) for c, m in run.late_fees.items() if m},
                            {c: m for c, m in expect["fees"].items() if m},
                        ),
                        compare("defaulted", run.defaulted, expect["defaulted"]),
                        compare("reminders", run.reminders, expect["reminders"]),
                        compare("loans", run.loans_serviced, open_loans),
                    ]
                )
            )
        queued = sum(1 for _ in (Path(VAR_DIR) / "celery" / "queue").glob("*"))
        print(f"    Celery messages queued on the file-system broker: {queued}")

        print(f"\nsecond servicing_run(day={day}) (nothing should be left to do)")
        again, seconds_again = timed("run 2", lambda: servicing.servicing_run(day=day))
        same = (again.loans_serviced, again.interest_accrued, again.late_fees, again.defaulted, again.reminders) == (
            run.loans_serviced,
            run.interest_accrued,
            run.late_fees,
            run.defaulted,
            run.reminders,
        )
        print(
            f"    totals {'unchanged' if same else 'CHANGED: ' + str(again.__dict__)}; "
            f"{ServicingRun.objects.count()} run row(s)"
        )

        collect = getattr(servicing, "loans_collect", None)
        name = "servicing.loans_collect"
        if collect is None:
            from loans.services import repayments

            collect, name = getattr(repayments, "collections_run", None), "repayments.collections_run"
        if collect is not None and not ARGS.no_collect:
            print(f"\n{name}(day={day})")
            if day > ledger_day():
                print(f"  skipped: {day} is after today's ledger day, and repayments are value-dated up to today")
            else:
                try:
                    outcome, collect_seconds = timed("collection", lambda: collect(day=day), profile=ARGS.profile)
                    print(f"    {outcome}")
                    if isinstance(outcome, dict) and outcome.get("loans"):
                        collected = outcome.get("collected", 0)
                        print(
                            f"    {outcome['loans'] / collect_seconds:,.0f} loans/s looked at"
                            + (f"; {collect_seconds / collected * 1000:.1f} ms per repayment made" if collected else "")
                        )
                except Exception:  # noqa: BLE001 - the benchmark reports a failing job and goes on to its checks
                    print("    !! the collection job failed:\n" + traceback.format_exc())

        if ARGS.check:
            print()
            books_check("after the runs", day)
        print(f"\nsummary ({load()})")
        projected = seconds * 100_000 / max(run.loans_serviced, 1)
        print(
            f"  servicing {run.loans_serviced:,} loans: {seconds:.1f} s ({run.loans_serviced / seconds:,.0f} loans/s), "
            f"rerun {seconds_again:.2f} s"
        )
        print(
            f"  target <= {TARGET_SECONDS} s for 100,000 loans: "
            + (f"{projected:.1f} s at this rate, " if run.loans_serviced != 100_000 else "")
            + ("meets" if projected <= TARGET_SECONDS else "BELOW")
        )
    finally:
        from audit import services as audit_services

        audit_services._background_chainer.stop()  # its thread would chain into a dropped database
        connections.close_all()
        if ARGS.keep or ARGS.reuse:
            print(f"kept database {DB_NAME}")
        else:
            pg_admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
            print(f"dropped database {DB_NAME}")
        shutil.rmtree(VAR_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
