"""Benchmark: schedule generation and loan quotes (issue: loan servicing, schedule throughput).

Pure Python, no database (Django is set up only for the settings and the models'
imports). For the declining-balance and flat methods, monthly, terms 12, 36 and 360, it
times:

1. ``loans.schedules.schedule(...)``: schedules per second and installments per second;
2. ``loans.services.quotes.loan_quote(...)`` on an unsaved ``LoanProduct``, with its APR
   (``Quote.apr``, Directive 2008/48/EC's equation solved to ~40 digits): quotes per second.

Each case runs for --seconds (after one unmeasured call), cycling through a few amounts
and start dates so that no two consecutive calls are alike. It prints figures and asserts
nothing.

    .venv/bin/python benchmarks/schedules.py [--seconds 2] [--terms 12,36,360]
"""

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="measured seconds per case (default 2)")
    parser.add_argument("--terms", default="12,36,360", help="comma-separated terms in months (default 12,36,360)")
    parser.add_argument("--rate", default="0.189", help="nominal annual rate as a fraction (default 0.189)")
    parser.add_argument("--currency", default="USD")
    return parser.parse_args()


ARGS = parse_args()
VAR_DIR = tempfile.mkdtemp(prefix="blockscore-schedules-bench-")
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "blockscore.settings.local",
        "BLOCKSCORE_VAR_DIR": VAR_DIR,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("DATABASE_URL", None)  # nothing here touches a database
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import django  # noqa: E402

django.setup()

from loans.models import LoanProduct  # noqa: E402
from loans.schedules import schedule  # noqa: E402
from loans.services.quotes import loan_quote  # noqa: E402

AMOUNTS = [Decimal(a) for a in ("1000.00", "2500.00", "7350.55", "12000.00", "49999.99", "250000.00")]
STARTS = [date(2026, 1, 31) + timedelta(days=d) for d in (0, 1, 13, 29, 45, 200, 333)]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def timed(call, seconds: float) -> tuple[int, int, float]:
    """Calls ``call(i)`` for i = 0, 1, ... for about ``seconds``; returns (calls, rows, elapsed)."""
    call(0)  # warm-up, not counted
    calls = rows = 0
    started = time.perf_counter()
    deadline = started + seconds
    now = started
    while now < deadline:
        rows += call(calls)
        calls += 1
        now = time.perf_counter()
    return calls, rows, now - started


def schedules_case(method: str, term: int) -> None:
    rate = Decimal(ARGS.rate)

    def call(i: int) -> int:
        return len(
            schedule(
                amount=AMOUNTS[i % len(AMOUNTS)],
                currency=ARGS.currency,
                annual_rate=rate,
                term=term,
                method=method,
                frequency="monthly",
                start=STARTS[i % len(STARTS)],
            )
        )

    calls, rows, elapsed = timed(call, ARGS.seconds)
    print(
        f"  {method:9} {term:3} months: {calls / elapsed:9,.0f} schedules/s  {rows / elapsed:11,.0f} installments/s"
        f"  ({elapsed / calls * 1e6:8,.1f} µs per schedule, {calls} calls)"
    )


def quotes_case(method: str, term: int) -> None:
    product = LoanProduct(
        code=f"bench-{method}",
        name=f"Bench {method}",
        currency=ARGS.currency,
        min_amount_minor=100_00,
        max_amount_minor=1_000_000_00,
        min_term=1,
        max_term=max(360, term),
        interest_method=method,
        frequency="monthly",
        annual_rate_percent=Decimal(ARGS.rate) * 100,
        origination_fee_percent=Decimal("1.50"),
    )

    def call(i: int) -> int:
        quote = loan_quote(product=product, amount=AMOUNTS[i % len(AMOUNTS)], term=term, start=STARTS[i % len(STARTS)])
        quote.apr  # noqa: B018 - the APR is what costs
        return len(quote.installments)

    calls, rows, elapsed = timed(call, ARGS.seconds)
    sample = loan_quote(product=product, amount=AMOUNTS[0], term=term, start=STARTS[0])
    print(
        f"  {method:9} {term:3} months: {calls / elapsed:9,.0f} quotes/s     {rows / elapsed:11,.0f} installments/s"
        f"  ({elapsed / calls * 1e3:8,.2f} ms per quote, {calls} calls; APR of {AMOUNTS[0]} = {sample.apr} %)"
    )


def main() -> None:
    terms = [int(t) for t in ARGS.terms.split(",") if t.strip()]
    print("BlockScore schedule generation benchmark")
    print(f"  started {time.strftime('%Y-%m-%d %H:%M:%S')}, Python {sys.version.split()[0]}, {load()}")
    print(f"  {ARGS.currency}, {Decimal(ARGS.rate) * 100} % a year nominal, monthly, {ARGS.seconds:g} s per case")
    try:
        print("\nloans.schedules.schedule")
        for method in ("declining", "flat"):
            for term in terms:
                schedules_case(method, term)
        print("\nloans.services.quotes.loan_quote with its APR (origination fee 1.5 %)")
        for method in ("declining", "flat"):
            for term in terms:
                quotes_case(method, term)
        print(f"\ndone ({load()})")
    finally:
        shutil.rmtree(VAR_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
