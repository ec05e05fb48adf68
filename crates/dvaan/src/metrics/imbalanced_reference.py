"""Prints imbalanced_fixture.json: the expected numbers for the tests in imbalanced.rs.

Not run by the tests. Regenerate with imbalanced-learn installed:

    python3 imbalanced_reference.py > imbalanced_fixture.json

Scores are logits; a sample is predicted positive when its logit is strictly above 0, as
in the Rust code. Every score is a multiple of 1/4, so f32 and f64 agree exactly.
"""

import json

import imblearn
import numpy as np
from imblearn.metrics import classification_report_imbalanced

CASES = {
    # 7 positives, 16 negatives; two logits sit exactly on the threshold (predicted negative).
    "mixed": (
        [2.5, -0.5, 0.0, 1.25, -2.0, 0.75, -1.0, 0.0, 3.0, -0.25, 0.5, -1.5,
         -0.75, 1.0, -3.0, 0.25, -1.25, -2.5, 1.5, -0.5, -1.75, 0.0, -0.25],
        [1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0,
         0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0],
    ),
    # Nothing predicted positive: the positive class's precision and F1 are 0 by convention.
    "no_positive_predictions": (
        [-1.0, -0.5, -2.0, -0.25, -3.0],
        [1, 0, 0, 1, 0],
    ),
}

ROW_KEYS = ["precision", "recall", "specificity", "f1", "g_mean", "iba", "support"]
REPORT_KEYS = ["pre", "rec", "spe", "f1", "geo", "iba", "sup"]


def report(scores, labels):
    y_pred = (np.asarray(scores) > 0).astype(int)
    r = classification_report_imbalanced(
        labels, y_pred, labels=[0, 1], output_dict=True, alpha=0.1, zero_division=0
    )
    row = lambda d: {k: float(d[f"{m}"]) for k, m in zip(ROW_KEYS, REPORT_KEYS)}
    weighted = {k: float(r[f"avg_{m}"]) for k, m in zip(ROW_KEYS[:-1], REPORT_KEYS[:-1])}
    weighted["support"] = float(r["total_support"])
    return {
        "scores": scores,
        "labels": labels,
        "negative": row(r["0"]),
        "positive": row(r["1"]),
        "weighted": weighted,
    }


print(json.dumps({
    "imbalanced_learn": imblearn.__version__,
    "alpha": 0.1,
    "cases": {name: report(s, l) for name, (s, l) in CASES.items()},
}, indent=1))
