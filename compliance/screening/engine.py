"""The screening index: blocking through a token index, then token-aligned scoring.

Built once per set of list versions from plain ``ListRecord`` values (no ORM here) and
then reused for every query, one at a time or in batches.

**Blocking.** Every distinct list token is indexed under itself and under its
deletion neighbourhood (the token with one letter removed, and with two removed for
long tokens): a query token with a typo, a transposition, a missing or an extra letter
shares a key with the listed spelling. Each query token is looked up once (memoised),
giving the list tokens within Jaro-Winkler ``TOKEN_MIN`` of it and so the list names
that contain them. A name is a candidate when it shares at least two tokens with a
query of two tokens or more (one for a one-token query): a name sharing one token of
several cannot reach the threshold.

**Scoring.** Query and list tokens are aligned greedily by similarity: Jaro-Winkler,
or at least a forgiven typo's worth when they are within one edit (tokens of 4+
letters) or two (8+) by OSA distance (order-free: "LAST, First" = "First Last"). Two
different one-syllable tokens of a name given in its own script (meng/peng) do not
align. Once two real name tokens agree, a query token and a list token left over are
compared letter by letter rather than counted as extras. The name score is the weighted similarity
of the aligned pairs over the aligned weight plus the weight of the tokens left over
(query tokens count fully, list tokens by ``LIST_EXTRA_PENALTY``: a list name often
carries more names than a customer gives). Particles and initials weigh less. Date of
birth and country then add or subtract a little (``DOB_*``, ``COUNTRY_*``); every hit
says what agreed or conflicted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import combinations

from rapidfuzz.distance import OSA, JaroWinkler

from compliance.screening import normalise

TOKEN_MIN = 0.80  # blocking: list tokens this close to a query token make names candidates
PAIR_MIN = 0.75  # scoring: below this two tokens are not the same name
JOIN_MIN = 0.95  # one token against two adjacent ones joined
SHORT_TOKEN = 4  # tokens this short: one letter changed is a different name ("meng"/"peng")
SHORT_STRETCH = 1.5  # so their distance counts this much more
SINGLE_TOKEN_PENALTY = 0.05  # one name against one name ("Julien" ~ "JULIANA") says less
QUERY_EXTRA_PENALTY = 1.0
LIST_EXTRA_PENALTY = 0.5
DOB_MATCH = 0.08  # the listed date (or the listed year or range, when that is all the list gives)
DOB_YEAR_MATCH = 0.02  # same year, another day: data-entry differences happen
DOB_CONFLICT = -0.12  # every listed date of birth at least two years away
COUNTRY_MATCH = 0.02
COUNTRY_CONFLICT = -0.02
MAX_BONUS = DOB_MATCH + COUNTRY_MATCH
EDIT_ONE_LEN = 4  # tokens this long forgive one edit (OSA: a swap is one)
EDIT_TWO_LEN = 8  # and two, from this length
EDIT_TWO_NEAR_LEN = 6  # and two from this length beside another name that agrees exactly
EDIT_ONE_SIM = 0.91  # the similarity one forgiven edit is worth
EDIT_TWO_SIM = 0.86  # and two
EDIT_SHORT_SUB_SIM = 0.88  # one letter substituted in a 4-letter token (a swap is worth more)
EDIT_PER_LETTER = 0.01  # a typo in a longer token says less
EDIT_SIM_MAX = 0.96
RESIDUAL_MIN = 0.5  # a left-over pair: this alike (1 - OSA / length)
RESIDUAL_FULL = 2  # ... once this many full pairs agree
SYLLABLE_CAP = 0.70  # two different one-syllable tokens (zhang/huang)
_SYLLABLE = re.compile(r"^(?:zh|ch|sh|ng|[bcdfghjklmnpqrstwxyz])?[hrwi]?[aeiou]{1,3}(?:ng|n)?$")


@dataclass(frozen=True)
class ListRecord:
    """What the engine needs of one list entry. ``key`` is the caller's id for it."""

    key: int | str
    source: str
    list_id: str
    entity_type: str
    names: tuple[str, ...]  # the primary name first, then the aliases
    dates_of_birth: tuple[str, ...] = ()
    countries: frozenset[str] = frozenset()  # ISO codes of nationalities and countries


@dataclass(frozen=True)
class Query:
    name: str
    dob: str | None = None  # ISO date or year
    country: str | None = None  # ISO 3166-1 alpha-2


@dataclass
class Match:
    key: int | str
    source: str
    list_id: str
    entity_type: str
    matched_name: str
    score: float
    name_score: float
    tokens: list[tuple[str, str, float]] = field(default_factory=list)
    unmatched_query: list[str] = field(default_factory=list)
    unmatched_list: list[str] = field(default_factory=list)
    dob: str = "unknown"  # match, year, conflict, unknown
    country: str = "unknown"  # match, conflict, unknown

    def explanation(self) -> dict:
        return {
            "matched_name": self.matched_name,
            "name_score": round(self.name_score, 4),
            "tokens": [{"query": q, "list": c, "similarity": round(s, 4)} for q, c, s in self.tokens],
            "unmatched_query_tokens": self.unmatched_query,
            "unmatched_list_tokens": self.unmatched_list,
            "dob": self.dob,
            "country": self.country,
            "score": round(self.score, 4),
        }


def _deletions(token: str) -> set[str]:
    """The token and its deletion neighbourhood (1 letter; 2 for tokens of 5+)."""
    keys = {token}
    if len(token) >= 4:
        ones = {token[:i] + token[i + 1 :] for i in range(len(token))}
        keys |= ones
        if len(token) >= 5:
            for one in ones:
                keys |= {one[:i] + one[i + 1 :] for i in range(len(one))}
    return keys


def edit_similarity(a: str, b: str) -> float:
    """A typo's worth: one edit (substitution, insertion, deletion or swap of adjacent
    letters) in tokens of EDIT_ONE_LEN letters or more, two from EDIT_TWO_LEN; else 0."""
    shorter = min(len(a), len(b))
    if shorter < EDIT_ONE_LEN:
        return 0.0
    allowed = 2 if shorter >= EDIT_TWO_LEN else 1
    distance = OSA.distance(a, b, score_cutoff=allowed)
    if distance > allowed:
        return 0.0
    longer = max(len(a), len(b))
    if distance <= 1:
        if longer == EDIT_ONE_LEN and sum(x != y for x, y in zip(a, b, strict=True)) == 1:
            return EDIT_SHORT_SUB_SIM  # one letter changed in four: often another name (Rios/Rihs)
        return min(EDIT_SIM_MAX, EDIT_ONE_SIM + EDIT_PER_LETTER * (longer - 5))
    return min(EDIT_SIM_MAX, EDIT_TWO_SIM + EDIT_PER_LETTER * (longer - 8))


@lru_cache(maxsize=200_000)
def residual_similarity(a: str, b: str) -> float:
    """1 - OSA distance / the longer length: letter by letter, for left-over tokens."""
    return 1.0 - OSA.distance(a, b) / max(len(a), len(b))


@lru_cache(maxsize=500_000)
def token_similarity(a: str, b: str) -> float:
    """Jaro-Winkler, stricter for short tokens; at least a forgiven typo's worth."""
    if a == b:
        return 1.0
    sim = JaroWinkler.normalized_similarity(a, b)
    if min(len(a), len(b)) <= SHORT_TOKEN:
        sim = 1.0 - (1.0 - sim) * SHORT_STRETCH
    shorter = min(len(a), len(b))
    if shorter < EDIT_ONE_LEN or (shorter <= SHORT_TOKEN and OSA.distance(a, b, score_cutoff=2) > 1):
        # A token of three letters forgives no typo (Lia/Lima), one of four one (Bena/Benard).
        sim = min(sim, EDIT_SHORT_SUB_SIM)
    return max(sim, edit_similarity(a, b))


def syllables(a: str, b: str) -> bool:
    """Two one-syllable tokens in the Chinese, Korean or Vietnamese manner (zhang, huang)."""
    return bool(_SYLLABLE.match(a) and _SYLLABLE.match(b))


def dob_agreement(query_dob: str | None, listed: Sequence[str]) -> str:
    """match / year / conflict / unknown between a customer's date and the listed ones."""
    if not query_dob or not listed:
        return "unknown"
    year = query_dob[:4]
    if not year.isdigit():
        return "unknown"
    qyear = int(year)
    best = "conflict"
    for value in listed:
        if "/" in value:  # a range of years
            start, _, end = value.partition("/")
            if start.isdigit() and end.isdigit() and int(start) <= qyear <= int(end):
                return "match"
            if start.isdigit() and end.isdigit() and int(start) - 1 <= qyear <= int(end) + 1:
                best = "near"
            continue
        if query_dob.startswith(value) or (len(query_dob) == 4 and value.startswith(query_dob)):
            return "match"  # same date, or the listed year/month holds it
        if value[:4] == year:
            best = "year"
        elif value[:4].isdigit() and abs(int(value[:4]) - qyear) <= 1 and best == "conflict":
            best = "near"
    return "unknown" if best == "near" else best


class ScreeningIndex:
    """An index over list records; ``screen`` one query or ``screen_many``."""

    def __init__(self, records: Iterable[ListRecord], *, label: str = ""):
        self.label = label
        self.records: list[ListRecord] = []
        self.vocab: dict[str, int] = {}
        self.vocab_tokens: list[str] = []
        self.postings: list[list[int]] = []
        # names: (record index, display name, token ids, weights, total weight)
        self.name_record: list[int] = []
        self.name_display: list[str] = []
        self.name_tokens: list[tuple[int, ...]] = []
        self.name_written: list[tuple[str, ...]] = []
        self.name_significant: list[int] = []
        self.name_weights: list[tuple[float, ...]] = []
        self.name_weight_total: list[float] = []
        self.keys: dict[str, list[int]] = {}
        self._token_cache: dict[str, tuple[dict[int, float], frozenset[int]]] = {}
        for record in records:
            self._add(record)
        for token_id, token in enumerate(self.vocab_tokens):
            for key in _deletions(token):
                self.keys.setdefault(key, []).append(token_id)
        self.postings = [sorted(set(p)) for p in self.postings]

    def __len__(self) -> int:
        return len(self.records)

    @property
    def name_count(self) -> int:
        return len(self.name_display)

    def _add(self, record: ListRecord) -> None:
        record_index = len(self.records)
        self.records.append(record)
        seen: set[tuple[str, ...]] = set()
        for display in record.names:
            pairs = normalise.token_pairs(display)
            toks = tuple(canon for canon, _ in pairs)
            if not toks or toks in seen:
                continue
            seen.add(toks)
            ids = [self._vocab_id(token) for token in toks]
            name_id = len(self.name_display)
            for token_id in ids:
                self.postings[token_id].append(name_id)
            # Blocking also knows the spelling as written, and adjacent short tokens
            # joined ("HONG-SOP" is found by "Hongsop").
            extra = {written for canon, written in pairs if written != canon}
            extra |= {a + b for a, b in zip(toks, toks[1:], strict=False) if min(len(a), len(b)) <= 4}
            for form in extra - set(toks):
                self.postings[self._vocab_id(form)].append(name_id)
            weights = tuple(normalise.weight(t) for t in toks)
            self.name_record.append(record_index)
            self.name_display.append(display)
            self.name_tokens.append(tuple(ids))
            self.name_written.append(tuple(written for _, written in pairs))
            self.name_weights.append(weights)
            self.name_weight_total.append(sum(weights))
            self.name_significant.append(sum(1 for w in weights if w >= 1))

    def _vocab_id(self, token: str) -> int:
        token_id = self.vocab.get(token)
        if token_id is None:
            token_id = self.vocab[token] = len(self.vocab_tokens)
            self.vocab_tokens.append(token)
            self.postings.append([])
        return token_id

    def _similar(self, token: str) -> tuple[dict[int, float], frozenset[int]]:
        """List tokens within TOKEN_MIN of ``token``, and the names holding them (memoised)."""
        cached = self._token_cache.get(token)
        if cached is not None:
            return cached
        found: set[int] = set()
        for key in _deletions(token):
            ids = self.keys.get(key)
            if ids:
                found.update(ids)
        sims: dict[int, float] = {}
        names: set[int] = set()
        for token_id in found:
            other = self.vocab_tokens[token_id]
            sim = 1.0 if other == token else JaroWinkler.normalized_similarity(token, other)
            if sim < TOKEN_MIN:
                sim = edit_similarity(token, other)
            if sim < TOKEN_MIN and min(len(token), len(other)) >= EDIT_TWO_NEAR_LEN:
                # Two edits in a 6- or 7-letter token: a candidate; scoring decides.
                sim = TOKEN_MIN if OSA.distance(token, other, score_cutoff=2) <= 2 else sim
            if sim >= TOKEN_MIN:
                sims[token_id] = sim
                names.update(self.postings[token_id])
        result = (sims, frozenset(names))
        if len(self._token_cache) > 500_000:
            self._token_cache.clear()
        self._token_cache[token] = result
        return result

    def screen(self, query: Query, *, threshold: float, entity_types: Iterable[str] | None = None) -> list[Match]:
        """Hits at or above ``threshold``, best first (one per list entry: its best name)."""
        qpairs = normalise.token_pairs(query.name) if query.name else ()
        if not qpairs:
            return []
        qtokens = tuple(canon for canon, _ in qpairs)
        qwritten = tuple(written for _, written in qpairs)
        types = frozenset(entity_types) if entity_types else None
        native = not query.name.isascii()
        company = normalise.company_style(query.name)
        qweights = [normalise.weight(t) for t in qtokens]
        qweight_total = sum(qweights)
        full_query = sum(1 for w in qweights if w >= 1)
        names = []
        for canon, written in qpairs:
            found = self._similar(canon)[1]
            if written != canon:
                found = found | self._similar(written)[1]
            names.append(found)
        for i in range(len(qtokens) - 1):  # "Hong Sop" finds "HONGSOP"
            if min(len(qtokens[i]), len(qtokens[i + 1])) <= 4:
                joined = self._similar(qtokens[i] + qtokens[i + 1])[1]
                if joined:
                    names[i] = names[i] | joined
                    names[i + 1] = names[i + 1] | joined
        # A name is a candidate when it shares two of the query's significant tokens
        # (one, when the query has only one: then names with 3+ significant tokens of
        # their own cannot reach the threshold).
        significant = [names[i] for i, w in enumerate(qweights) if w >= 1] or names
        if len(significant) == 1:
            candidates = {n for n in significant[0] if self.name_significant[n] <= 2}
        else:
            candidates = set()
            for a, b in combinations(significant, 2):
                candidates |= a & b if len(a) <= len(b) else b & a
        floor = threshold - MAX_BONUS
        best: dict[int, Match] = {}
        for name_id in candidates:
            record_index = self.name_record[name_id]
            record = self.records[record_index]
            if types is not None and record.entity_type not in types:
                continue
            if company and record.entity_type == "individual":
                continue  # a company's name ("Martinez Group") is not a person's ("MARTIN")
            # A person's name of two or more names against an entity or a vessel: one
            # name in common ("Scott Hodges" / "SCOT") is not enough.
            two = full_query >= 2 and not company and record.entity_type != "individual"
            scored = self._score_name(qtokens, qwritten, qweights, qweight_total, name_id, floor, native, two)
            if scored is None:
                continue
            name_score, pairs, unmatched_q, unmatched_c = scored
            dob = dob_agreement(query.dob, record.dates_of_birth)
            country = "unknown"
            if query.country and record.countries:
                country = "match" if query.country.upper() in record.countries else "conflict"
            score = name_score
            score += {"match": DOB_MATCH, "year": DOB_YEAR_MATCH, "conflict": DOB_CONFLICT}.get(dob, 0.0)
            score += {"match": COUNTRY_MATCH, "conflict": COUNTRY_CONFLICT}.get(country, 0.0)
            score = max(0.0, min(1.0, score))
            if score < threshold:
                continue
            previous = best.get(record_index)
            if previous is not None and previous.score >= score:
                continue
            best[record_index] = Match(
                key=record.key,
                source=record.source,
                list_id=record.list_id,
                entity_type=record.entity_type,
                matched_name=self.name_display[name_id],
                score=round(score, 4),
                name_score=name_score,
                tokens=pairs,
                unmatched_query=unmatched_q,
                unmatched_list=unmatched_c,
                dob=dob,
                country=country,
            )
        return sorted(best.values(), key=lambda m: (-m.score, m.source, m.list_id))

    def _score_name(self, qtokens, qwritten, qweights, qweight_total, name_id, floor, native=False, two=False):
        ctoken_ids = self.name_tokens[name_id]
        cweights = self.name_weights[name_id]
        ctokens = [self.vocab_tokens[t] for t in ctoken_ids]
        cwritten = self.name_written[name_id]
        pairs = []  # (similarity, query token indexes, list token indexes)
        for i, qtoken in enumerate(qtokens):
            for j, ctoken in enumerate(ctokens):
                sim = token_similarity(qtoken, ctoken)
                if sim < 1.0 and (qwritten[i] != qtoken or cwritten[j] != ctoken):
                    sim = max(sim, token_similarity(qwritten[i], cwritten[j]))
                if sim < 1.0 and native and syllables(qtoken, ctoken):
                    # A name given in its own script (or with its diacritics) is
                    # romanised exactly: another syllable is another name (Meng/Peng).
                    sim = min(sim, SYLLABLE_CAP)
                if sim >= PAIR_MIN:
                    pairs.append((sim, (i,), (j,)))
        if not pairs:
            return None
        if any(sim == 1.0 and qweights[i] >= 1 and cweights[j] >= 1 for sim, (i,), (j,) in pairs):
            # Beside a name that agrees exactly, a 6- or 7-letter token forgives two
            # edits ("IRAN HSAXLAK" / "IRAN SHALAK").
            for i, qtoken in enumerate(qtokens):
                if qweights[i] < 1 or len(qtoken) < EDIT_TWO_NEAR_LEN:
                    continue
                for j, ctoken in enumerate(ctokens):
                    if cweights[j] < 1 or len(ctoken) < EDIT_TWO_NEAR_LEN or qtoken == ctoken:
                        continue
                    if OSA.distance(qtoken, ctoken, score_cutoff=2) <= 2:
                        sim = min(EDIT_SIM_MAX, EDIT_TWO_SIM + EDIT_PER_LETTER * (max(len(qtoken), len(ctoken)) - 8))
                        pairs.append((sim, (i,), (j,)))
        # A token written as two ("Hongsop" / "HONG-SOP"), on either side.
        for i, qtoken in enumerate(qtokens):
            for j in range(len(ctokens) - 1):
                if min(len(ctokens[j]), len(ctokens[j + 1])) > SHORT_TOKEN:
                    continue
                sim = token_similarity(qtoken, ctokens[j] + ctokens[j + 1])
                if sim >= JOIN_MIN:
                    pairs.append((sim, (i,), (j, j + 1)))
        for j, ctoken in enumerate(ctokens):
            for i in range(len(qtokens) - 1):
                if min(len(qtokens[i]), len(qtokens[i + 1])) > SHORT_TOKEN:
                    continue
                sim = token_similarity(qtokens[i] + qtokens[i + 1], ctoken)
                if sim >= JOIN_MIN:
                    pairs.append((sim, (i, i + 1), (j,)))
        pairs.sort(key=lambda p: (-p[0], len(p[1]) + len(p[2])))
        used_q: set[int] = set()
        used_c: set[int] = set()
        numerator = matched_weight = 0.0
        aligned = []
        full_pairs = query_pairs = 0
        for sim, qs, cs in pairs:
            if any(i in used_q for i in qs) or any(j in used_c for j in cs):
                continue
            used_q.update(qs)
            used_c.update(cs)
            qw = sum(qweights[i] for i in qs)
            cw = sum(cweights[j] for j in cs)
            w = (qw + cw) / 2
            numerator += sim * w
            matched_weight += w
            aligned.append((qs, cs, sim))
            if qw >= 1 and cw >= 1:
                full_pairs += 1
            if qw >= 1:
                query_pairs += 1
        if two and query_pairs < 2:
            return None
        if full_pairs >= RESIDUAL_FULL:
            # The rest of a name that otherwise agrees: a left-over query token and a
            # left-over list token are compared letter by letter ("Joad" / "Javad": two
            # typos in a short token) rather than counted as extras on both sides.
            rest = []
            for i in range(len(qtokens)):
                if i in used_q or qweights[i] < 1:
                    continue
                for j in range(len(ctokens)):
                    if j in used_c or cweights[j] < 1:
                        continue
                    sim = residual_similarity(qtokens[i], ctokens[j])
                    if sim >= RESIDUAL_MIN:
                        rest.append((sim, i, j))
            for sim, i, j in sorted(rest, reverse=True):
                if i in used_q or j in used_c:
                    continue
                used_q.add(i)
                used_c.add(j)
                w = (qweights[i] + cweights[j]) / 2
                numerator += sim * w
                matched_weight += w
                aligned.append(((i,), (j,), sim))
        unmatched_q_weight = qweight_total - sum(qweights[i] for i in used_q)
        unmatched_c_weight = self.name_weight_total[name_id] - sum(cweights[j] for j in used_c)
        denominator = matched_weight + QUERY_EXTRA_PENALTY * unmatched_q_weight
        denominator += LIST_EXTRA_PENALTY * unmatched_c_weight
        name_score = numerator / denominator
        if full_pairs <= 1:
            name_score -= SINGLE_TOKEN_PENALTY
        if name_score < floor:
            return None
        tokens = [
            (" ".join(qtokens[i] for i in qs), " ".join(ctokens[j] for j in cs), sim) for qs, cs, sim in sorted(aligned)
        ]
        unmatched_q = [qtokens[i] for i in range(len(qtokens)) if i not in used_q]
        unmatched_c = [ctokens[j] for j in range(len(ctokens)) if j not in used_c]
        return name_score, tokens, unmatched_q, unmatched_c

    def screen_many(
        self, queries: Iterable[Query], *, threshold: float, entity_types: Iterable[str] | None = None
    ) -> list[list[Match]]:
        """The batch path: the same answers as ``screen``, with identical queries
        (same name, date and country) answered once."""
        answers: dict[Query, list[Match]] = {}
        out = []
        for query in queries:
            found = answers.get(query)
            if found is None:
                found = answers[query] = self.screen(query, threshold=threshold, entity_types=entity_types)
            out.append(found)
        return out


def iso_dob(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()[:10] or None
