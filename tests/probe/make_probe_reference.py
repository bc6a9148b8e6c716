#!/usr/bin/python3
"""Reference numbers for tests/probe (writes tests/fixtures/probe/protocol_reference.json).

Runs the linear-probe protocol with scikit-learn 1.2.1 / numpy 1.24 (Debian bookworm's
python3-sklearn) on the committed fixture CSVs: StandardScaler on train, LogisticRegression(C,
random_state=42, max_iter=1000), StratifiedKFold(5) scores per C, test metrics, and the bootstrap
recipe (RandomState(seed).randint(0, n, n) per resample, skipping resamples that miss a class,
np.percentile 2.5 / 97.5). Also: fold assignments, randint streams, percentiles and metric values on
small hand-made inputs. Run from the repository root: /usr/bin/python3 tests/probe/make_probe_reference.py
"""
import json

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, balanced_accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler, label_binarize

FIX = "tests/fixtures/probe/"
CS = [0.01, 0.1, 1.0]
SEED, RESAMPLES = 42, 200


def metrics(y, P, K):
    pred = P.argmax(1)
    if K == 2:
        return [roc_auc_score(y, P[:, 1]), average_precision_score(y, P[:, 1]), balanced_accuracy_score(y, pred)]
    Y = label_binarize(y, classes=np.arange(K))
    return [average_precision_score(Y, P, average="macro"), balanced_accuracy_score(y, pred),
            roc_auc_score(y, P, multi_class="ovr", average="macro")]


def selection(y, P, K):
    if K == 2:
        return roc_auc_score(y, P[:, 1])
    return average_precision_score(label_binarize(y, classes=np.arange(K)), P, average="macro")


def task(name, label="label"):
    tr = pd.read_csv(FIX + name + "_train.csv")
    te = pd.read_csv(FIX + name + "_test.csv")
    classes = np.unique(tr[label].values)
    K = len(classes)
    y = np.searchsorted(classes, tr[label].values)
    yt = np.searchsorted(classes, te[label].values)
    sc = StandardScaler().fit(tr.filter(regex="pred").values)
    X = sc.transform(tr.filter(regex="pred").values)
    Xt = sc.transform(te.filter(regex="pred").values)
    out = {"folds": [int(f) for f in np.argsort(np.concatenate(
        [te_idx for _, te_idx in StratifiedKFold(5).split(X, y)]))], "cv": [], "val": []}
    # test fold of each row
    fold_of = np.empty(len(y), dtype=int)
    for f, (_, te_idx) in enumerate(StratifiedKFold(5).split(X, y)):
        fold_of[te_idx] = f
    out["folds"] = fold_of.tolist()
    for C in CS:
        scores = []
        for tr_idx, te_idx in StratifiedKFold(5).split(X, y):
            m = LogisticRegression(C=C, random_state=42, max_iter=1000).fit(X[tr_idx], y[tr_idx])
            scores.append(selection(y[te_idx], m.predict_proba(X[te_idx]), K))
        out["cv"].append({"C": C, "fold_scores": scores, "score": float(np.mean(scores))})
        m = LogisticRegression(C=C, random_state=42, max_iter=1000).fit(X, y)
        out["val"].append({"C": C, "score": selection(yt, m.predict_proba(Xt), K)})
    best = max(out["cv"], key=lambda c: (c["score"], -c["C"]))["C"]
    out["chosen_C"] = best
    out["val_chosen_C"] = max(out["val"], key=lambda c: (c["score"], -c["C"]))["C"]
    P = LogisticRegression(C=best, random_state=42, max_iter=1000).fit(X, y).predict_proba(Xt)
    out["test_metrics"] = metrics(yt, P, K)
    rng = np.random.RandomState(SEED)
    boot, skipped = [], 0
    for _ in range(RESAMPLES):
        idx = rng.randint(0, len(yt), len(yt))
        if len(np.unique(yt[idx])) < len(np.unique(yt)):
            skipped += 1
            continue
        boot.append(metrics(yt[idx], P[idx], K))
    boot = np.array(boot)
    out["bootstrap"] = {"resamples": RESAMPLES, "seed": SEED, "used": len(boot), "skipped": skipped,
                        "low": np.percentile(boot, 2.5, axis=0).tolist(),
                        "high": np.percentile(boot, 97.5, axis=0).tolist()}
    return out


def wide():
    """More features than twice the rows (the case of 4096 features and a few hundred lesions):
    non-negative correlated features like pooled activations, printed with 6 digits; `label2` two
    classes, `label3` three. Writes wide_{train,test}.csv; returns scikit-learn's fits."""
    r = np.random.RandomState(0)
    n, nt, d = 60, 30, 160
    lab3 = r.randint(0, 3, n + nt)
    lat = r.randn(n + nt, 8)
    lat[:, :3] += 1.5 * np.eye(3)[lab3]
    X = np.maximum(lat @ r.randn(8, d) / 3 + 0.3 * r.randn(n + nt, d), 0)
    df = pd.DataFrame({"id": ["w%d" % i for i in range(n + nt)], "label2": (lab3 == 0).astype(int), "label3": lab3})
    feats = pd.DataFrame(X, columns=["pred_%d" % j for j in range(d)])
    df = pd.concat([df, feats], axis=1)
    df.iloc[:n].to_csv(FIX + "wide_train.csv", index=False, float_format="%.6g")
    df.iloc[n:].to_csv(FIX + "wide_test.csv", index=False, float_format="%.6g")
    tr, te = pd.read_csv(FIX + "wide_train.csv"), pd.read_csv(FIX + "wide_test.csv")
    sc = StandardScaler().fit(tr.filter(regex="pred").values)
    X, Xt = sc.transform(tr.filter(regex="pred").values), sc.transform(te.filter(regex="pred").values)
    out = {}
    for label in ("label2", "label3"):
        for C in (0.01, 1.0):
            m = LogisticRegression(C=C, random_state=42, max_iter=1000).fit(X, tr[label].values)
            out["%s.C%s" % (label, C)] = {"n_iter": int(m.n_iter_[0]), "coef": m.coef_.tolist(),
                                          "intercept": m.intercept_.tolist(), "proba": m.predict_proba(Xt).tolist()}
    return out


small_labels = [2, 0, 1, 1, 0, 2, 2, 0, 1, 0, 0, 2, 1, 1, 0, 3, 3, 3, 1, 0]
small_folds = np.empty(len(small_labels), dtype=int)
for f, (_, te_idx) in enumerate(StratifiedKFold(3).split(np.zeros(len(small_labels)), small_labels)):
    small_folds[te_idx] = f

rng = np.random.RandomState(7)
P3 = rng.dirichlet([1, 1, 1], 30)
P3[3] = P3[4]  # a tie between rows
y3 = rng.randint(0, 3, 30)
y3[:3] = [0, 1, 2]
values = np.random.RandomState(3).randn(37)

# A small test set: many resamples miss the single positive and are skipped.
ys = np.array([0, 0, 0, 1, 0, 0, 0, 0, 1, 0])
ss = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.05, 0.3, 0.6, 0.5])
rng = np.random.RandomState(5)
small_boot, small_skipped = [], 0
for _ in range(100):
    idx = rng.randint(0, len(ys), len(ys))
    if len(np.unique(ys[idx])) < 2:
        small_skipped += 1
        continue
    small_boot.append(roc_auc_score(ys[idx], ss[idx]))

ref = {
    "bootstrap_small": {"targets": ys.tolist(), "scores": ss.tolist(), "seed": 5, "resamples": 100,
                        "skipped": small_skipped, "used": len(small_boot),
                        "low": float(np.percentile(small_boot, 2.5)), "high": float(np.percentile(small_boot, 97.5))},
    "binary": task("binary"),
    "multiclass": task("multiclass"),
    "wide": wide(),
    "wide_label3": task("wide", "label3"),
    "stratified_small": {"labels": small_labels, "folds": 3, "test_fold": small_folds.tolist()},
    "randint": {"seed": 7, "high": 1000, "draws": np.random.RandomState(7).randint(0, 1000, 25).tolist(),
                "seed2": 123, "high2": 3, "draws2": np.random.RandomState(123).randint(0, 3, 25).tolist()},
    "percentile": {"values": values.tolist(), "q": [0, 2.5, 50, 97.5, 100],
                   "expected": np.percentile(values, [0, 2.5, 50, 97.5, 100]).tolist()},
    "metrics3": {"proba": P3.tolist(), "targets": y3.tolist(),
                 "map": average_precision_score(label_binarize(y3, classes=[0, 1, 2]), P3, average="macro"),
                 "auroc_ovr": roc_auc_score(y3, P3, multi_class="ovr", average="macro"),
                 "balanced_accuracy": balanced_accuracy_score(y3, P3.argmax(1))},
}
with open(FIX + "protocol_reference.json", "w") as f:
    json.dump(ref, f, indent=1)
print("wrote", FIX + "protocol_reference.json")
