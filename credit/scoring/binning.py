"""Monotonic binning with weight of evidence (training only; needs numpy).

A numeric feature is cut into pre-bins at its quantiles, small bins are merged into a
neighbour until every bin holds at least ``min_bin_share`` of the rows, and adjacent bins
are then pooled (pool-adjacent-violators) until the bad rate is strictly monotonic in the
value, in whichever direction (ascending or descending) keeps more information value.
A categorical feature's categories are ordered by their (smoothed) bad rate and binned
the same way, so its bins are monotonic by construction.

Weight of evidence is ``ln(share of goods in the bin / share of bads in the bin)``, with
half a count added to each side so that an all-good or all-bad bin stays finite:
positive WoE means better than average. Information value is the usual
``sum((share_good - share_bad) * woe)``.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Binning:
    """The fitted bins of one feature (numeric: ``cuts``; categorical: ``groups``)."""

    name: str
    kind: str
    cuts: list[int] = field(default_factory=list)  # numeric: bin i is cuts[i-1] <= x < cuts[i]
    groups: list[list[str]] = field(default_factory=list)  # categorical: categories per bin
    counts: list[int] = field(default_factory=list)
    bads: list[int] = field(default_factory=list)
    woe: list[float] = field(default_factory=list)
    iv: float = 0.0
    trend: str = ""

    def bin_index(self, values) -> np.ndarray:
        if self.kind == "numeric":
            return np.searchsorted(np.asarray(self.cuts), np.asarray(values, dtype=float), side="right")
        lookup = {category: i for i, group in enumerate(self.groups) for category in group}
        return np.array([lookup[value] for value in values])

    def transform(self, values) -> np.ndarray:
        return np.asarray(self.woe)[self.bin_index(values)]


def _woe_iv(counts: np.ndarray, bads: np.ndarray, total_good: int, total_bad: int) -> tuple[np.ndarray, float]:
    goods = counts - bads
    share_good = (goods + 0.5) / (total_good + 0.5 * len(counts))
    share_bad = (bads + 0.5) / (total_bad + 0.5 * len(counts))
    woe = np.log(share_good / share_bad)
    return woe, float(np.sum((share_good - share_bad) * woe))


def _merge(counts: list, bads: list, members: list, i: int) -> None:
    """Merge bin i+1 into bin i (in place)."""
    counts[i] += counts.pop(i + 1)
    bads[i] += bads.pop(i + 1)
    members[i] = members[i] + members.pop(i + 1)


def _rate(counts, bads, i):
    return bads[i] / counts[i] if counts[i] else 0.0


def _merge_small(counts, bads, members, min_count):
    while len(counts) > 1:
        small = [i for i in range(len(counts)) if counts[i] < min_count]
        if not small:
            return
        i = min(small, key=lambda k: (counts[k], k))
        if i == 0 or (counts[i] == 0 and i < len(counts) - 1):
            _merge(counts, bads, members, 0)
        elif i == len(counts) - 1:
            _merge(counts, bads, members, i - 1)
        else:
            # into the neighbour whose bad rate is closer
            left = abs(_rate(counts, bads, i) - _rate(counts, bads, i - 1))
            right = abs(_rate(counts, bads, i) - _rate(counts, bads, i + 1))
            _merge(counts, bads, members, i - 1 if left <= right else i)


def _make_monotonic(counts, bads, members, ascending: bool):
    """Pool adjacent violators until the bad rate strictly rises (or falls) bin by bin."""
    changed = True
    while changed and len(counts) > 1:
        changed = False
        for i in range(len(counts) - 1):
            a, b = _rate(counts, bads, i), _rate(counts, bads, i + 1)
            if (ascending and b <= a) or (not ascending and b >= a):
                _merge(counts, bads, members, i)
                changed = True
                break


def _limit_bins(counts, bads, members, max_bins):
    while len(counts) > max_bins:
        diffs = [abs(_rate(counts, bads, i + 1) - _rate(counts, bads, i)) for i in range(len(counts) - 1)]
        _merge(counts, bads, members, int(np.argmin(diffs)))


def _finish(name, kind, counts, bads, members, y_bad, max_bins, trends):
    """Try each trend; keep the monotonic binning with the highest information value."""
    total_bad = int(y_bad.sum())
    total_good = len(y_bad) - total_bad
    best = None
    for trend in trends:
        c, b, m = list(counts), list(bads), list(members)
        _make_monotonic(c, b, m, ascending=trend == "ascending")
        _limit_bins(c, b, m, max_bins)
        woe, iv = _woe_iv(np.array(c, dtype=float), np.array(b, dtype=float), total_good, total_bad)
        if best is None or iv > best[-1] + 1e-12:
            best = (trend, c, b, m, woe, iv)
    trend, c, b, m, woe, iv = best
    binning = Binning(name=name, kind=kind, counts=c, bads=b, woe=[float(w) for w in woe], iv=iv, trend=trend)
    if kind == "numeric":
        # members are lists of pre-bin lower edges; a bin's lower edge is its first member's
        binning.cuts = [int(group[0]) for group in m[1:]]
    else:
        binning.groups = m
    return binning


def bin_numeric(name, x, y_bad, *, min_bin_share=0.05, max_prebins=20, max_bins=6) -> Binning:
    x = np.asarray(x, dtype=float)
    y_bad = np.asarray(y_bad, dtype=int)
    values = np.unique(x)
    if len(values) <= max_prebins:
        cuts = values[1:]
    else:
        quantiles = np.quantile(x, np.linspace(0, 1, max_prebins + 1)[1:-1], method="nearest")
        cuts = np.unique(quantiles)
        cuts = cuts[cuts > values[0]]
    index = np.searchsorted(cuts, x, side="right")
    lowers = [values[0], *cuts]
    counts = [int(np.sum(index == i)) for i in range(len(lowers))]
    bads = [int(np.sum(y_bad[index == i])) for i in range(len(lowers))]
    members = [[lower] for lower in lowers]
    # drop empty pre-bins (quantile cuts can leave none)
    keep = [i for i, n in enumerate(counts) if n]
    counts, bads, members = [counts[i] for i in keep], [bads[i] for i in keep], [members[i] for i in keep]
    _merge_small(counts, bads, members, min_bin_share * len(x))
    return _finish(name, "numeric", counts, bads, members, y_bad, max_bins, ("ascending", "descending"))


def bin_categorical(name, x, y_bad, categories, *, min_bin_share=0.05, max_bins=6, prior_weight=10) -> Binning:
    """Categories never seen in training sort by the prior and join a neighbouring bin."""
    x = np.asarray(x, dtype=object)
    y_bad = np.asarray(y_bad, dtype=int)
    prior = y_bad.mean()
    stats = []
    for category in categories:
        mask = x == category
        n, bad = int(mask.sum()), int(y_bad[mask].sum())
        stats.append(((bad + prior_weight * prior) / (n + prior_weight), category, n, bad))
    stats.sort(key=lambda s: (s[0], categories.index(s[1])))
    counts = [s[2] for s in stats]
    bads = [s[3] for s in stats]
    members = [[s[1]] for s in stats]
    # unseen categories are empty bins: fold each into its neighbour in rate order
    _merge_small(counts, bads, members, max(1, min_bin_share * len(x)))
    return _finish(name, "categorical", counts, bads, members, y_bad, max_bins, ("ascending",))
