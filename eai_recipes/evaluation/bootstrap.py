"""Bootstrap confidence intervals for mean per-sample scores, and for the paired difference of two models.

The resampling is scipy.stats.bootstrap's (BCa by default), seeded so that the same scores and the same
seed always give the same interval. For the difference between two models the two score lists are
resampled together (`paired=True`): each resample draws the same sample indices for both models, which is
what makes the interval of the difference narrower than the two intervals side by side suggest.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

DEFAULT_RESAMPLES = 9999
DEFAULT_CONFIDENCE = 0.95
DEFAULT_SEED = 0
DEFAULT_METHOD = "BCa"


@dataclass(frozen=True)
class BootstrapSettings:
    n_resamples: int = DEFAULT_RESAMPLES
    confidence: float = DEFAULT_CONFIDENCE
    seed: int = DEFAULT_SEED
    method: str = DEFAULT_METHOD  # scipy's: "BCa", "percentile" or "basic"

    def __post_init__(self) -> None:
        if self.n_resamples < 1:
            raise ValueError(f"n_resamples must be at least 1, got {self.n_resamples}")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be between 0 and 1, got {self.confidence}")
        if self.method not in ("BCa", "percentile", "basic"):
            raise ValueError(f"method must be BCa, percentile or basic, got {self.method!r}")

    def as_dict(self) -> dict:
        return asdict(self)


def _mean(x, axis=-1):
    return x.mean(axis=axis)


def _mean_difference(x, y, axis=-1):
    return x.mean(axis=axis) - y.mean(axis=axis)


def _interval(data: tuple, statistic, paired: bool, settings: BootstrapSettings) -> dict:
    """Run scipy's bootstrap; fall back to the percentile method where BCa is undefined (e.g. every score
    equal, where its jackknife has zero variance), and say which method gave the interval."""
    import numpy as np
    from scipy import stats

    point = float(statistic(*data))
    n = len(data[0])
    if n < 2:
        return {"mean": point, "ci": [point, point], "method": "none (one sample)"}
    method = settings.method
    for attempt in (method, "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DegenerateDataWarning: handled by the fallback below
            res = stats.bootstrap(
                data, statistic, n_resamples=settings.n_resamples, confidence_level=settings.confidence,
                method=attempt, paired=paired, vectorized=True, rng=np.random.default_rng(settings.seed),
                batch=max(1, min(settings.n_resamples, 2_000_000 // max(n, 1))),
            )
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if np.isfinite(low) and np.isfinite(high):
            return {"mean": point, "ci": [low, high], "method": attempt}
    # Every resample gives the same value (all scores equal): the interval is that value.
    return {"mean": point, "ci": [point, point], "method": "degenerate (all resamples equal)"}


def mean_ci(values: Sequence[float], settings: BootstrapSettings = BootstrapSettings()) -> dict:
    """{"mean", "ci": [low, high], "method"} for the mean of per-sample scores."""
    import numpy as np

    if len(values) == 0:
        raise ValueError("no values to bootstrap")
    return _interval((np.asarray(values, dtype=float),), _mean, False, settings)


def paired_difference_ci(a: Sequence[float], b: Sequence[float],
                         settings: BootstrapSettings = BootstrapSettings()) -> dict:
    """{"mean", "ci", "method"} for mean(a) - mean(b), resampling the same indices of a and b together."""
    import numpy as np

    if len(a) != len(b):
        raise ValueError(f"paired bootstrap needs equal lengths, got {len(a)} and {len(b)}")
    if len(a) == 0:
        raise ValueError("no values to bootstrap")
    return _interval((np.asarray(a, dtype=float), np.asarray(b, dtype=float)), _mean_difference, True, settings)
