"""Benchmark: sanctions screening accuracy and speed on the OFAC SDN + UN lists (issue 5, section 3).

It parses the lists shipped in compliance/data/watchlists/ (the same parsers as the
import), builds the engine's index and measures:

1. **accuracy**, on an evaluation set built here, in two halves drawn with different
   seeds: a *tuning* half (seed S) on which the threshold table is printed, and a *test*
   half (seed S+1, other list entries, other random perturbations, other Faker names)
   on which the figures at the chosen threshold are reported:
   - positives: list names (primary names and aliases of individuals, entities and
     vessels) perturbed one way each: name order, a 1-letter typo, 2-letter typos,
     transliteration variants (spelling rules such as ou/u, y/i, sh/ch, not only the
     engine's variant table), an alias, a legal-form suffix added or removed, case and
     punctuation. Recall = share whose listed entity is among the hits. Typos are put
     in tokens of 4+ letters (a typo in "Li" or "Al" makes another name);
   - negatives: names from Faker in 24 locales (Latin, Cyrillic, Arabic, Persian,
     Chinese, Japanese, Korean, Devanagari, Thai scripts) and company names; a generated
     name whose normalised tokens equal a listed name's is dropped (it *is* on the list).
     False-positive rate = share with any hit;
2. **speed**: the batch path over --customers synthetic customers (Faker names with
   dates of birth and countries, 1 % of them listed names), on one process and on two
   (fork) processes, as names per second;
3. **rescan** (``--rescan N``): on a throw-away SQLite database it imports both lists,
   creates N customers and times ``compliance.services.screening.rescan_all`` (results
   and hits written in bulk).

It prints figures and asserts nothing. Targets: recall >= 0.98, FPR <= 1 %,
>= 2,000 names/s on 2 cores, 100,000 customers rescanned in under a minute.

    .venv/bin/python benchmarks/screening.py [--per-kind 400] [--negatives 10000]
        [--customers 100000] [--rescan 100000] [--seed 1]
"""

import argparse
import multiprocessing
import os
import random
import secrets
import string
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-kind", type=int, default=400, help="positives per perturbation kind and half")
    parser.add_argument("--negatives", type=int, default=10_000, help="non-listed names per half")
    parser.add_argument("--customers", type=int, default=100_000, help="names for the speed test")
    parser.add_argument("--rescan", type=int, default=0, help="customers for the rescan_all test (0: skip)")
    parser.add_argument("--threshold", type=float, default=None, help="default: SCREENING_THRESHOLD")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


ARGS = parse_args()
VAR_DIR = tempfile.mkdtemp(prefix="blockscore-screening-bench-")
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "blockscore.settings.local",
        "BLOCKSCORE_VAR_DIR": VAR_DIR,
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "CACHE_KEY_PREFIX": "blockscore-screening-bench",
    }
)
os.environ.pop("DATABASE_URL", None)  # the rescan runs on a throw-away SQLite file in VAR_DIR
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from faker import Faker  # noqa: E402

from compliance.screening import ListRecord, Query, ScreeningIndex, normalise  # noqa: E402
from compliance.watchlists import ofac, un  # noqa: E402

DATA = ROOT / "compliance" / "data" / "watchlists"
LOCALES = [
    "en_US", "en_GB", "en_IN", "de_DE", "fr_FR", "es_ES", "es_MX", "it_IT", "pt_BR", "nl_NL", "pl_PL", "sv_SE",
    "ru_RU", "uk_UA", "tr_TR", "ar_AA", "fa_IR", "hi_IN", "zh_CN", "ja_JP", "ko_KR", "id_ID", "vi_VN", "th_TH",
]  # fmt: skip
COMPANY_LOCALES = ["en_US", "de_DE", "fr_FR", "es_ES", "ru_RU", "it_IT", "pt_BR", "tr_TR"]
LEGAL_SUFFIXES = ["LLC", "Ltd.", "Limited", "S.A.", "GmbH", "JSC", "Inc.", "Co., Ltd.", "LLP", "OOO", "S.A.R.L.", "AG"]
SPELLING_RULES = [  # transliteration habits, applied to one token
    ("ou", "u"), ("u", "ou"), ("y", "i"), ("i", "y"), ("ee", "i"), ("sh", "ch"), ("j", "dj"), ("q", "k"),
    ("k", "q"), ("dh", "d"), ("kh", "h"), ("ph", "f"), ("aa", "a"), ("a", "aa"), ("e", "a"), ("o", "u"),
    ("ss", "s"), ("s", "ss"), ("z", "s"), ("w", "v"), ("ie", "i"), ("ck", "k"), ("x", "ks"), ("gh", "g"),
]  # fmt: skip
VARIANT_SWAPS = {
    "MOHAMMED": "MUHAMMAD", "MUHAMMAD": "MOHAMED", "MOHAMMAD": "MUHAMMED", "MOHAMED": "MOHAMMAD", "ABDUL": "ABD AL",
    "ABD AL": "ABDUL", "YUSUF": "YOUSEF", "YOUSSEF": "YUSUF", "HUSSEIN": "HUSAYN", "HUSAYN": "HUSSEIN",
    "HASAN": "HASSAN", "HASSAN": "HASAN", "AHMED": "AHMAD", "AHMAD": "AHMED", "OMAR": "UMAR", "UMAR": "OMAR",
    "OSAMA": "USAMA", "KHALED": "KHALID", "KHALID": "KHALED", "SULEIMAN": "SULAYMAN", "SERGEI": "SERGEY",
    "SERGEY": "SERGEI", "ALEXANDER": "ALEKSANDR", "ALEKSANDR": "ALEXANDER", "YURI": "YURIY", "DMITRY": "DMITRI",
}  # fmt: skip


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def read_lists():
    started = time.perf_counter()
    entries = {
        "ofac": ofac.parse(
            (DATA / "ofac_sdn.csv").read_bytes(),
            (DATA / "ofac_alt.csv").read_bytes(),
            (DATA / "ofac_add.csv").read_bytes(),
        ),
        "un": un.parse((DATA / "un_consolidated.xml").read_bytes()),
    }
    parsed = time.perf_counter() - started
    records = [
        ListRecord(
            key=f"{source}:{e.list_id}",
            source=source,
            list_id=e.list_id,
            entity_type=e.entity_type,
            names=(e.name, *e.aliases),
            dates_of_birth=tuple(e.dates_of_birth),
            countries=frozenset(c for c in e.nationalities + e.countries if len(c) == 2),
        )
        for source, items in entries.items()
        for e in items
    ]
    return records, parsed


# --- perturbations -----------------------------------------------------------------------


def latin(name: str) -> bool:
    return all(ord(c) < 0x250 for c in name)


def swap_order(name, rng, record):
    if "," in name:
        last, _, first = name.partition(",")
        return f"{first.strip()} {last.strip()}"
    parts = name.split()
    if len(parts) < 2:
        return None
    rng.shuffle(parts)
    return " ".join(parts) if parts != name.split() else " ".join(parts[1:] + parts[:1])


def _typo(token: str, rng) -> str:
    letters = [k for k, c in enumerate(token) if c.isalpha()]
    i = rng.choice(letters)
    op = rng.choice(["sub", "ins", "del", "swap"])
    letter = rng.choice(string.ascii_uppercase if token.isupper() else string.ascii_lowercase)
    if op == "sub":
        return token[:i] + letter + token[i + 1 :]
    if op == "ins":
        return token[:i] + letter + token[i:]
    if op == "del" and len(token) > 4:
        return token[:i] + token[i + 1 :]
    if i + 1 in letters:
        return token[:i] + token[i + 1] + token[i] + token[i + 2 :]
    return token[:i] + letter + token[i + 1 :]


def typos(count):
    def perturb(name, rng, record):
        parts = name.split()
        long_ones = [i for i, p in enumerate(parts) if sum(c.isalpha() for c in p) >= 4]
        if not long_ones:
            return None
        for _ in range(count):
            i = rng.choice(long_ones)
            parts[i] = _typo(parts[i], rng)
        return " ".join(parts)

    return perturb


def transliterate(name, rng, record):
    upper = name.upper()
    for variant, replacement in VARIANT_SWAPS.items():
        if variant in upper.split() or (" " in variant and variant in upper):
            if rng.random() < 0.5:
                return upper.replace(variant, replacement, 1)
    parts = name.split()
    options = [(i, a, b) for i, p in enumerate(parts) for a, b in SPELLING_RULES if a in p.lower() and len(p) >= 4]
    if not options:
        return None
    i, a, b = rng.choice(options)
    parts[i] = parts[i].lower().replace(a, b, 1).upper() if parts[i].isupper() else parts[i].lower().replace(a, b, 1)
    return " ".join(parts)


def alias(name, rng, record):
    others = [n for n in record.names if n != name and latin(n)]
    if not others:
        return None
    chosen = rng.choice(others)
    return chosen.title() if rng.random() < 0.5 else chosen


def legal_form(name, rng, record):
    if record.entity_type != "entity":
        return None
    tokens = normalise.raw_tokens(name)
    if tokens and tokens[-1] in normalise.LEGAL_FORMS:
        return " ".join(name.replace(",", " ").split()[:-1])  # remove it
    return f"{name} {rng.choice(LEGAL_SUFFIXES)}"


def case_punctuation(name, rng, record):
    choice = rng.randrange(4)
    if choice == 0:
        return name.lower()
    if choice == 1:
        return name.title().replace(",", "")
    if choice == 2:
        return name.replace("-", "").replace(",", " ").replace(".", "").replace("'", "")
    return name.upper().replace("-", " ")


PERTURBATIONS = {
    "order": swap_order,
    "typo_1": typos(1),
    "typo_2": typos(2),
    "transliteration": transliterate,
    "alias": alias,
    "legal_form": legal_form,
    "case_punctuation": case_punctuation,
}


def positives(records, seed: int, per_kind: int, exclude: set):
    rng = random.Random(seed)
    pool = [r for r in records if r.entity_type in ("individual", "entity", "vessel") and r.key not in exclude]
    out, used = [], set()
    for kind, perturb in PERTURBATIONS.items():
        made = tries = 0
        while made < per_kind and tries < per_kind * 50:
            tries += 1
            record = rng.choice(pool)
            name = rng.choice([n for n in record.names if latin(n)] or [record.names[0]])
            if len(normalise.tokens(name)) < 1:
                continue
            query = perturb(name, rng, record)
            if not query or not normalise.tokens(query):
                continue
            out.append((kind, query, record))
            used.add(record.key)
            made += 1
    return out, used


def negatives(index, seed: int, count: int):
    listed = {normalise.tokens(name) for name in index.name_display}
    fakers = [Faker(locale) for locale in LOCALES]
    companies = [Faker(locale) for locale in COMPANY_LOCALES]
    for i, fake in enumerate(fakers + companies):
        fake.seed_instance(seed * 1000 + i)
    rng = random.Random(seed)
    names, dropped = [], 0
    while len(names) < count:
        if rng.random() < 0.1:
            fake = rng.choice(companies)
            name, locale = fake.company(), "company"
        else:
            k = rng.randrange(len(fakers))
            name, locale = fakers[k].name(), LOCALES[k]
        if normalise.tokens(name) in listed:
            dropped += 1
            continue
        names.append((locale, name))
    return names, dropped


# --- accuracy --------------------------------------------------------------------------------


def best_scores(index, positives_set, negatives_set, floor):
    pos = []
    for kind, query, record in positives_set:
        hits = index.screen(Query(query), threshold=floor)
        score = max((m.score for m in hits if m.key == record.key), default=0.0)
        pos.append((kind, score, query, record))
    neg = []
    for locale, name in negatives_set:
        hits = index.screen(Query(name), threshold=floor)
        top = max(hits, key=lambda m: m.score, default=None)
        neg.append((locale, top.score if top else 0.0, name, top))
    return pos, neg


def rates(pos, neg, threshold):
    recall = sum(1 for _, s, *_ in pos if s >= threshold) / len(pos)
    fpr = sum(1 for _, s, *_ in neg if s >= threshold) / len(neg)
    return recall, fpr


def report_accuracy(title, pos, neg, threshold, *, detail):
    recall, fpr = rates(pos, neg, threshold)
    print(f"\n{title} at threshold {threshold}: recall {recall:.4f} ({len(pos)} perturbed list names), ")
    print(f"  false-positive rate {fpr:.4%} ({len(neg)} non-listed names)")
    if not detail:
        return
    by_kind = defaultdict(list)
    for kind, score, *_ in pos:
        by_kind[kind].append(score >= threshold)
    print("  recall by perturbation: " + ", ".join(f"{k} {sum(v) / len(v):.3f}" for k, v in by_kind.items()))
    by_locale = defaultdict(list)
    for locale, score, *_ in neg:
        by_locale[locale].append(score >= threshold)
    noisy = {k: sum(v) / len(v) for k, v in by_locale.items() if sum(v)}
    print("  FPR by locale (non-zero): " + (", ".join(f"{k} {v:.2%}" for k, v in sorted(noisy.items())) or "none"))
    missed = [(kind, query, record.names[0], score) for kind, score, query, record in pos if score < threshold]
    for kind, query, listed, score in missed[:8]:
        print(f"  missed ({kind}): {query!r} for {listed!r} (best {score:.3f})")
    false = [(name, top.matched_name, score) for _, score, name, top in neg if score >= threshold]
    for name, matched, score in false[:8]:
        print(f"  false positive: {name!r} ~ {matched!r} ({score:.3f})")


# --- speed -------------------------------------------------------------------------------------


def customer_queries(records, count, seed):
    rng = random.Random(seed)
    fakers = [Faker(locale) for locale in LOCALES]
    for i, fake in enumerate(fakers):
        fake.seed_instance(seed * 7919 + i)
    countries = ["US", "GB", "DE", "FR", "ES", "MX", "NG", "KE", "IN", "BR", "TR", "RU", "CN", "JP", "SY", "IR"]
    people = [r for r in records if r.entity_type == "individual"]
    out = []
    for _ in range(count):
        fake = rng.choice(fakers)
        if rng.random() < 0.01:
            name = rng.choice(people).names[0]
        else:
            name = f"{fake.first_name()} {fake.last_name()}"
        dob = f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        out.append(Query(name, dob, rng.choice(countries)))
    return out


_WORKER_INDEX = None


def _screen_chunk(args):
    queries, threshold = args
    started = time.perf_counter()
    hits = sum(len(m) for m in _WORKER_INDEX.screen_many(queries, threshold=threshold))
    return hits, time.perf_counter() - started


def speed(records, index, queries, threshold):
    global _WORKER_INDEX
    started = time.perf_counter()
    fresh = ScreeningIndex(records)
    build = time.perf_counter() - started
    print(f"\nindex build: {build:.2f} s ({len(fresh)} entries, {fresh.name_count} names, {len(fresh.vocab)} tokens)")
    started = time.perf_counter()
    hits = sum(len(m) for m in fresh.screen_many(queries, threshold=threshold))
    one = time.perf_counter() - started
    print(f"1 process: {len(queries)} customers in {one:.2f} s = {len(queries) / one:,.0f} names/s ({hits} hits)")
    _WORKER_INDEX = ScreeningIndex(records)  # fresh token cache, shared by fork (copy on write)
    half = len(queries) // 2
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with context.Pool(2) as pool:
        parts = pool.map(_screen_chunk, [(queries[:half], threshold), (queries[half:], threshold)])
    two = time.perf_counter() - started
    print(
        f"2 processes: {len(queries)} customers in {two:.2f} s = {len(queries) / two:,.0f} names/s "
        f"(workers {', '.join(f'{t:.2f} s' for _, t in parts)}; {sum(h for h, _ in parts)} hits)"
    )
    return len(queries) / one, len(queries) / two


def rescan(count, queries):
    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import Profile, User
    from compliance.models import ScreeningResult
    from compliance.services import screening, watchlists

    print(f"\nrescan_all on a throw-away SQLite database ({settings.DATABASES['default']['NAME']}):")
    call_command("migrate", verbosity=0)
    for source, path in (("ofac", DATA), ("un", DATA / "un_consolidated.xml")):
        watchlists.watchlist_import(source=source, files=watchlists.files_from_path(source, str(path)), origin="bench")
    started = time.perf_counter()
    for start in range(0, count, 5000):
        with transaction.atomic():
            users = User.objects.bulk_create(
                [
                    User(
                        email=f"c{start + i}@screen.example",
                        password="!",
                        first_name=queries[(start + i) % len(queries)].name.split(" ", 1)[0],
                        last_name=queries[(start + i) % len(queries)].name.split(" ", 1)[-1],
                    )
                    for i in range(min(5000, count - start))
                ]
            )
            Profile.objects.bulk_create(
                [
                    Profile(user=u, date_of_birth=queries[(start + i) % len(queries)].dob, country="GB")
                    for i, u in enumerate(users)
                ]
            )
    print(f"  {count} customers created in {time.perf_counter() - started:.1f} s")
    screening.current_index()  # built once per process, as in a worker
    started = time.perf_counter()
    counts = screening.rescan_all(trigger="weekly")
    took = time.perf_counter() - started
    print(f"  rescan_all: {took:.1f} s = {counts['screened'] / took:,.0f} customers/s; {counts}")
    print(f"  results written: {ScreeningResult.objects.count()}")
    return took


def main():
    threshold = ARGS.threshold if ARGS.threshold is not None else settings.SCREENING_THRESHOLD
    print(f"screening benchmark, seed {ARGS.seed}, {load()}")
    records, parsed = read_lists()
    print(f"lists parsed in {parsed:.2f} s: {len(records)} entries")
    index = ScreeningIndex(records)
    tune_pos, used = positives(records, ARGS.seed, ARGS.per_kind, exclude=set())
    test_pos, _ = positives(records, ARGS.seed + 1, ARGS.per_kind, exclude=used)
    tune_neg, dropped_tune = negatives(index, ARGS.seed, ARGS.negatives)
    test_neg, dropped_test = negatives(index, ARGS.seed + 1, ARGS.negatives)
    print(f"negatives: dropped {dropped_tune} + {dropped_test} generated names that are listed names")
    floor = 0.70
    pos, neg = best_scores(index, tune_pos, tune_neg, floor)
    print(f"\ntuning half (seed {ARGS.seed}): threshold → recall, FPR")
    for t in [0.80, 0.82, 0.84, 0.85, 0.86, 0.87, 0.88, 0.89, 0.90, 0.92, 0.94]:
        recall, fpr = rates(pos, neg, t)
        print(f"  {t:.2f}: recall {recall:.4f}, FPR {fpr:.4%}")
    report_accuracy("tuning half", pos, neg, threshold, detail=True)
    pos, neg = best_scores(index, test_pos, test_neg, floor)
    report_accuracy(f"TEST half (seed {ARGS.seed + 1})", pos, neg, threshold, detail=True)
    queries = customer_queries(records, ARGS.customers, ARGS.seed)
    print(f"\nspeed ({load()}):")
    speed(records, index, queries, threshold)
    if ARGS.rescan:
        rescan(ARGS.rescan, queries)
    print(f"\ndone ({load()})")


if __name__ == "__main__":
    main()
