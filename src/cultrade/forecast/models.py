"""The two learned models and the two baselines, behind one call: :func:`fit_predict`.

* ``logit``: median imputation (+ missing-value indicators), standardisation, L2 logistic
  regression (C = 0.5) **without** class weighting: ``class_weight="balanced"`` would raise the
  probabilities of these rare events and spoil the Brier score and calibration, while leaving the
  ranking (AUC) almost unchanged.
* ``hgb``: scikit-learn's ``HistGradientBoostingClassifier`` (missing values handled natively),
  shallow trees, learning rate 0.05, 150 rounds, no early stopping (so no random validation split),
  ``random_state`` = the seed, one thread (deterministic and faster on these small tables).
* ``persistence``: the training frequency of the event among rows with, and without, the
  persistence flag (band worsened t-1 -> t; a conflict in the five years before t for onset).
  Ranking is that of the 0/1 flag; the probabilities are the two conditional base rates.
* ``climatology``: the training base rate for everyone.

>>> X = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5], "flag": [0.0, 0, 0, 1, 1, 1]})
>>> y = np.array([0, 0, 0, 1, 0, 1])
>>> fit_predict("climatology", X, y, X.iloc[:2], flag="flag").tolist()
[0.3333333333333333, 0.3333333333333333]
>>> fit_predict("persistence", X, y, X.iloc[[0, 5]], flag="flag").round(3).tolist()
[0.0, 0.667]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cultrade.forecast.options import ModelName, check

HGB_PARAMS = {"learning_rate": 0.05, "max_iter": 150, "max_depth": 3, "max_leaf_nodes": 8,
              "min_samples_leaf": 40, "l2_regularization": 1.0, "early_stopping": False}
LOGIT_C = 0.5


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


def _rate(y: np.ndarray, fallback: float) -> float:
    return float(y.mean()) if y.size else fallback


def fit_predict(name: ModelName, X_train: pd.DataFrame, y_train: np.ndarray, X_test: pd.DataFrame, *,
                flag: str | None = None, seed: int = 0) -> np.ndarray:
    """Fit ``name`` on the training rows and return event probabilities for the test rows."""
    check("model", name)
    y = np.asarray(y_train, dtype=int)
    base = _rate(y, 0.0)
    if name == "climatology" or y.min(initial=0) == y.max(initial=0):
        return np.full(len(X_test), base)
    if name == "persistence":
        if flag is None:
            raise ValueError("persistence needs the name of the flag column")
        on_train = X_train[flag].fillna(0).to_numpy() > 0
        on_test = X_test[flag].fillna(0).to_numpy() > 0
        p_on, p_off = _rate(y[on_train], base), _rate(y[~on_train], base)
        return np.where(on_test, p_on, p_off).astype(float)
    from threadpoolctl import threadpool_limits

    model = make_model(name, seed)
    # One thread: on these small tables OpenMP start-up costs far more than it saves (10x slower on 2 cores).
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence / all-NaN-column notices on small training sets
        model.fit(X_train.to_numpy(dtype=float), y)  # type: ignore[attr-defined]
        proba = model.predict_proba(X_test.to_numpy(dtype=float))[:, 1]  # type: ignore[attr-defined]
    return np.clip(np.asarray(proba, dtype=float), 0.0, 1.0)


__all__ = ["HGB_PARAMS", "LOGIT_C", "fit_predict", "make_model"]
