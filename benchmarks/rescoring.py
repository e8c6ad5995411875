"""Benchmark: nightly rescoring of synthetic customers on PostgreSQL (issue 4, section 4).

On a throw-away database (dropped and created here, dropped again unless --keep) it
migrates (which registers the committed scorecard as champion), creates --customers
customers with a complete set of survey answers drawn at random from each question's
options (a seeded generator), gives a share of them EUR wallets so the wallets feature
provider has data to read, and then times ``credit.services.rescoring.rescore_all``:

1. first night: every customer is new, so every one gets a history row (bulk inserts);
2. second night: nothing changed, so nothing is written (reads and scoring only);
3. after --changed percent of the customers changed one answer: only those are written.

Target (issue 4): >= 5,000 customers/s including database writes, on this 2-core machine.
It prints figures and asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/blockscore_rescore_bench \\
        .venv/bin/python benchmarks/rescoring.py [--customers 100000] [--keep]
"""

import argparse
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/blockscore_rescore_bench"
TARGET = 5000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000, help="synthetic customers (default 100000)")
    parser.add_argument("--batch", type=int, default=None, help="rescoring batch size (default: the job's)")
    parser.add_argument(
        "--workers", type=int, default=None, help="rescoring threads (default: NIGHTLY_RESCORE_WORKERS, 2)"
    )
    parser.add_argument("--changed", type=float, default=10, help="percent who change an answer (default 10)")
    parser.add_argument("--wallets", type=float, default=30, help="percent with an EUR wallet (default 30)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


ARGS = parse_args()
DATABASE_URL = os.environ.get("DATABASE_URL") or DEFAULT_URL
_url = urlsplit(DATABASE_URL)
if _url.scheme not in ("postgres", "postgresql", "pgsql"):
    sys.exit(f"DATABASE_URL must name a PostgreSQL database: {DATABASE_URL}")
DB_NAME = unquote(_url.path.lstrip("/"))
if not DB_NAME.endswith("_bench"):
    sys.exit(f"refusing to drop and recreate {DB_NAME!r}: the benchmark database's name must end in _bench")
PG = {
    "host": _url.hostname or "127.0.0.1",
    "port": _url.port or 5432,
    "user": unquote(_url.username or "postgres"),
    "password": unquote(_url.password) if _url.password else None,
}
VAR_DIR = tempfile.mkdtemp(prefix="blockscore-rescore-bench-")
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "blockscore.settings.local",
        "DATABASE_URL": DATABASE_URL,
        "BLOCKSCORE_VAR_DIR": VAR_DIR,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "CACHE_KEY_PREFIX": "blockscore-rescore-bench",
    }
)
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.pop("REDIS_URL", None)  # no e-mails are sent from here: the broker stays local

import django  # noqa: E402
import psycopg2  # noqa: E402
from psycopg2 import sql  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402


def pg_admin(statement) -> None:
    conn = psycopg2.connect(dbname="postgres", **{k: v for k, v in PG.items() if v is not None})
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def customers_create(count: int, rng: random.Random) -> list[int]:
    """Users, answers to every active question, and EUR wallets for a share of them."""
    from accounts.models import User
    from credit.models import SurveyAnswer, SurveyQuestion
    from wallets.models import LedgerAccount

    questions = list(SurveyQuestion.objects.filter(active=True))
    user_ids: list[int] = []
    chunk = 5000
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        with transaction.atomic():
            users = User.objects.bulk_create(
                [User(email=f"bench{start + i}@rescore.example", password="!") for i in range(size)]
            )
            answers = []
            for user in users:
                for question in questions:
                    if question.answer_type == "choice":
                        value = rng.choice(question.options)["value"]
                    else:
                        value = str(rng.randint(question.min_value or 1, min(question.max_value or 100, 20_000)))
                    answers.append(SurveyAnswer(user=user, question=question, key=question.key, value=value))
            SurveyAnswer.objects.bulk_create(answers, batch_size=5000)
            wallets = [
                LedgerAccount(
                    kind=LedgerAccount.Kind.CUSTOMER_WALLET,
                    owner=user,
                    currency="EUR",
                    number=f"9{user.pk:010d}0"[:12],
                    name="bench wallet",
                    balance_minor=rng.randint(0, 50_000),
                )
                for user in users
                if rng.random() * 100 < ARGS.wallets
            ]
            LedgerAccount.objects.bulk_create(wallets, batch_size=5000)
        user_ids += [user.pk for user in users]
    return user_ids


def answers_change(user_ids: list[int], percent: float, rng: random.Random) -> int:
    """A share of the customers answers one question differently (the old answer superseded)."""
    from django.utils import timezone

    from credit.models import SurveyAnswer, SurveyQuestion

    question = SurveyQuestion.objects.get(key="savings", active=True)
    chosen = rng.sample(user_ids, int(len(user_ids) * percent / 100))
    with transaction.atomic():
        current = {
            a.user_id: a
            for a in SurveyAnswer.objects.filter(user_id__in=chosen, key="savings", superseded_at__isnull=True)
        }
        SurveyAnswer.objects.filter(pk__in=[a.pk for a in current.values()]).update(superseded_at=timezone.now())
        fresh = []
        for user_id, old in current.items():
            others = [o["value"] for o in question.options if o["value"] != old.value]
            fresh.append(SurveyAnswer(user_id=user_id, question=question, key="savings", value=rng.choice(others)))
        SurveyAnswer.objects.bulk_create(fresh, batch_size=5000)
    return len(chosen)


def night(label: str, customers: int) -> float:
    from credit.models import CreditScore
    from credit.services.rescoring import BATCH_SIZE, rescore_all

    before = CreditScore.objects.count()
    connections.close_all()
    started = time.perf_counter()
    counts = rescore_all(batch_size=ARGS.batch or BATCH_SIZE, workers=ARGS.workers)
    seconds = time.perf_counter() - started
    written = CreditScore.objects.count() - before
    rate = counts["customers"] / seconds
    print(
        f"  {label}: {counts['customers']} customers in {seconds:.2f} s = {rate:,.0f} customers/s; "
        f"{written} history rows written ({counts['rescored']} rescored, {counts['unchanged']} unchanged, "
        f"{counts['incomplete']} incomplete), {counts['alerts']} alerts, {counts['milestones']} milestones  [{load()}]"
    )
    if counts["customers"] != customers:
        print(f"  !! expected {customers} customers")
    return rate


def main() -> None:
    print("BlockScore nightly rescoring benchmark")
    print(f"  started {time.strftime('%Y-%m-%d %H:%M:%S')}, {load()}")
    pg_admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
    pg_admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT version()")
            print(f"  {cur.fetchone()[0].split(' on ')[0]}, database {DB_NAME}")
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        from credit.services.registry import champion_scorecard

        model, scorecard = champion_scorecard()
        print(
            f"  migrated in {time.perf_counter() - started:.1f} s; champion {model.version}, "
            f"{len(scorecard.features)} inputs"
        )
        rng = random.Random(ARGS.seed)
        started = time.perf_counter()
        user_ids = customers_create(ARGS.customers, rng)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        print(
            f"  {len(user_ids)} customers with answers in {time.perf_counter() - started:.1f} s "
            f"({ARGS.wallets:.0f} % with an EUR wallet)"
        )

        from django.conf import settings

        workers = ARGS.workers or settings.NIGHTLY_RESCORE_WORKERS
        print(f"\nrescoring (credit.services.rescoring.rescore_all, one process, {workers} thread(s))")
        figures = [night("night 1, all new", len(user_ids)), night("night 2, nothing changed", len(user_ids))]
        changed = answers_change(user_ids, ARGS.changed, rng)
        print(f"  {changed} customers changed their savings answer")
        figures.append(night(f"night 3, {ARGS.changed:.0f} % changed", len(user_ids)))

        print(f"\nsummary ({load()})")
        worst = min(figures)
        verdict = "meets" if worst >= TARGET else "BELOW"
        print(f"  slowest night {worst:,.0f} customers/s; target >= {TARGET:,} customers/s: {verdict}")
    finally:
        connections.close_all()
        if ARGS.keep:
            print(f"kept database {DB_NAME}")
        else:
            pg_admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
            print(f"dropped database {DB_NAME}")
        shutil.rmtree(VAR_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
