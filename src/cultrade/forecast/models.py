"""The two learned models and the five baselines, behind one call: :func:`fit_predict`.

Learned models (hyper-parameters fixed before any backtest was run, the same for every target):

* ``logit``: median imputation (+ missing-value indicators), standardisation, L2 logistic
  regression (C = 0.5) **without** class weighting: ``class_weight="balanced"`` would raise the
  probabilities of these rare events and spoil the Brier score and calibration, while leaving the
  ranking (AUC) almost unchanged.
* ``hgb``: scikit-learn's ``HistGradientBoostingClassifier`` (missing values handled natively),
  shallow trees, learning rate 0.05, 150 rounds, no early stopping (so no random validation split),
  ``random_state`` = the seed, one thread (deterministic and faster on these small tables).

Baselines. Each but climatology ranks the rows by **one** column of the feature table; its
probabilities come from a one-variable logistic regression of the training labels on that column
(so the ranking is the column's, or its reverse if the training years say so, and the
probabilities are calibrated on the training years like the models'):

* ``persistence``: the target's own past (:data:`cultrade.forecast.targets.PERSISTENCE_FEATURE`:
  the event under way in the five years before t; last year's score change; the band worsened);
* ``climatology``: the training base rate for everyone;
* ``distance_to_cut``: points to the next band cut point (rows in the top band count as
  :data:`FAR_FROM_CUT` points away);
* ``score_rank``: the current risk score;
* ``wgi_average``: minus the plain mean of the six WGI estimates
  (:func:`cultrade.risk.validate.baselines`).

A missing value of a baseline's column is filled with the training median.

>>> X = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5], "flag": [0.0, 0, 0, 1, 1, 1]})
>>> y = np.array([0, 0, 0, 1, 0, 1])
>>> fit_predict("climatology", X, y, X.iloc[:2]).tolist()
[0.3333333333333333, 0.3333333333333333]
>>> fit_predict("persistence", X, y, X.iloc[[0, 5]], feature="flag").round(3).tolist()
[0.0, 0.667]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cultrade.forecast.options import ModelName, check
from cultrade.forecast.targets import PERSISTENCE_FEATURE

HGB_PARAMS = {"learning_rate": 0.05, "max_iter": 150, "max_depth": 3, "max_leaf_nodes": 8,
              "min_samples_leaf": 40, "l2_regularization": 1.0, "early_stopping": False}
LOGIT_C = 0.5
FAR_FROM_CUT = 10.0
BASELINE_FEATURE: dict[str, str] = {"distance_to_cut": "dist_to_next_band", "score_rank": "score",
                                    "wgi_average": "wgi_average"}
BASELINE_TEXT: dict[str, str] = {
    "persistence": "the target's own past (see the table of targets)",
    "climatology": "the training base rate",
    "distance_to_cut": "score points to the next band cut (closer = more likely)",
    "score_rank": "the current risk score",
    "wgi_average": "minus the plain mean of the six WGI estimates",
}


def baseline_feature(name: str, target: str) -> str | None:
    """The feature column baseline ``name`` ranks by for ``target`` (None for climatology and the models)."""
    if name == "persistence":
        return PERSISTENCE_FEATURE[target]
    return BASELINE_FEATURE.get(name)


def make_model(name: ModelName, seed: int = 0) -> object:
    """An unfitted scikit-learn estimator for ``logit`` or ``hgb``."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if check("model", name) == "logit":
        return make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler(),
                             LogisticRegression(C=LOGIT_C, max_iter=2000))
    if name == "hgb":
        return HistGradientBoostingClassifier(random_state=seed, **HGB_PARAMS)
    raise ValueError(f"{name} is a baseline, not an estimator")


def _column(X: pd.DataFrame, feature: str, fill: float | None = None) -> np.ndarray:
    x = X[feature].to_numpy(dtype=float)
    if feature == "dist_to_next_band":
        x = np.where(np.isnan(x), FAR_FROM_CUT, x)
    return x if fill is None else np.where(np.isnan(x), fill, x)


def _one_variable(x_train: np.ndarray, y: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    """Probabilities of a one-variable logistic regression (unpenalised, standardised input)."""
    from sklearn.linear_model import LogisticRegression

    fill = float(np.nanmedian(x_train)) if np.isfinite(x_train).any() else 0.0
    xt, xs = np.where(np.isnan(x_train), fill, x_train), np.where(np.isnan(x_test), fill, x_test)
    scale = float(xt.std()) or 1.0
    centre = float(xt.mean())
    model = LogisticRegression(C=1e6, solver="newton-cholesky", max_iter=100).fit(((xt - centre) / scale)[:, None], y)
    return np.asarray(model.predict_proba(((xs - centre) / scale)[:, None])[:, 1], dtype=float)


def fit_predict(name: ModelName, X_train: pd.DataFrame, y_train: np.ndarray, X_test: pd.DataFrame, *,
                feature: str | None = None, seed: int = 0) -> np.ndarray:
    """Fit ``name`` on the training rows and return event probabilities for the test rows.

    Baselines other than climatology rank by the column ``feature`` (see :func:`baseline_feature`).
    """
    check("model", name)
    y = np.asarray(y_train, dtype=int)
    base = float(y.mean()) if y.size else 0.0
    if name == "climatology" or y.min(initial=0) == y.max(initial=0):
        return np.full(len(X_test), base)
    if name not in ("logit", "hgb"):
        if feature is None:
            raise ValueError(f"baseline {name} needs the name of the column it ranks by")
        return _one_variable(_column(X_train, feature), y, _column(X_test, feature))
    from threadpoolctl import threadpool_limits

    model = make_model(name, seed)
    # One thread: on these small tables OpenMP start-up costs far more than it saves (10x slower on 2 cores).
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence / all-NaN-column notices on small training sets
        model.fit(X_train.to_numpy(dtype=float), y)  # type: ignore[attr-defined]
        proba = model.predict_proba(X_test.to_numpy(dtype=float))[:, 1]  # type: ignore[attr-defined]
    return np.clip(np.asarray(proba, dtype=float), 0.0, 1.0)


__all__ = ["BASELINE_FEATURE", "BASELINE_TEXT", "FAR_FROM_CUT", "HGB_PARAMS", "LOGIT_C", "baseline_feature",
           "fit_predict", "make_model"]
