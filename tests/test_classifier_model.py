"""The classifier models shipped in qc_pipeline/rules/models/ are exactly what their training data and
the recipe give (regenerate with `python scripts/fit_classifier.py`), and a run uses them without
fitting or importing scikit-learn; a model that no longer matches its data is never used."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from qc_pipeline.rules import classifier
from qc_pipeline.rules.classifier import (
    TRAINING_DIR, Fitted, Scorer, fit, model_path, read_examples, shipped_model, training_digest,
)

SHIPPED = sorted(TRAINING_DIR.glob("*.jsonl"))


def test_every_shipped_training_file_has_its_model():
    assert SHIPPED
    for training in SHIPPED:
        assert model_path(training).is_file(), f"{training.name}: run python scripts/fit_classifier.py"


@pytest.mark.parametrize("training", SHIPPED, ids=lambda p: p.name)
def test_the_shipped_model_equals_a_fresh_fit_of_its_data(training):
    data = json.loads(model_path(training).read_text(encoding="utf-8"))
    assert data["training_sha256"] == training_digest(str(training)), \
        f"{training.name} changed since its model was fitted: run python scripts/fit_classifier.py"
    assert data["recipe"] == classifier.RECIPE, "the recipe changed: run python scripts/fit_classifier.py"
    shipped, fresh = Fitted.from_data(data), Fitted.of(fit(read_examples(str(training))))
    assert (shipped.labels, shipped.grams, shipped.sublinear_tf) == (fresh.labels, fresh.grams, fresh.sublinear_tf)
    for name in ("idf", "coef", "intercept"):
        np.testing.assert_allclose(getattr(shipped, name), getattr(fresh, name), rtol=1e-9, atol=1e-12, err_msg=name)
    texts = [e.text for e in read_examples(str(training))]
    for a, b in zip(Scorer(shipped).predict_proba(texts), Scorer(fresh).predict_proba(texts)):
        assert a == pytest.approx(b, abs=1e-9)


def test_the_model_file_is_the_same_bytes_for_the_same_data(tmp_path):
    # Same bytes on one machine; across scikit-learn/BLAS builds the last digits of a coefficient may
    # differ, which the shipped-equals-fresh test above bounds (rtol 1e-9) instead of comparing bytes.
    training = tmp_path / SHIPPED[0].name
    shutil.copy(SHIPPED[0], training)
    text = Fitted.of(fit(read_examples(str(training)))).to_json(training)
    assert text == Fitted.of(fit(read_examples(str(training)))).to_json(training)
    assert json.loads(text).keys() == json.loads(model_path(SHIPPED[0]).read_text(encoding="utf-8")).keys()


def test_a_run_uses_the_shipped_model_without_scikit_learn():
    code = (
        "import sys\n"
        "from qc_pipeline.rules import load_ruleset, check_text\n"
        "rules = load_ruleset()\n"
        "hits = check_text('你自己不会看吗，页面上写得很明白了', rules)\n"
        "assert any(h.probability is not None for h in hits), hits\n"
        "assert 'sklearn' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_model_that_no_longer_matches_its_data_is_not_used(tmp_path, monkeypatch):
    training = tmp_path / "replies.jsonl"
    shutil.copy(SHIPPED[0], training)
    monkeypatch.setattr(classifier, "TRAINING_DIR", tmp_path)
    monkeypatch.setattr(classifier, "MODEL_DIR", tmp_path / "models")
    classifier.write_shipped_models()
    assert shipped_model(str(training)) is not None
    with training.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"text": "您说得对，是我们的疏忽", "label": "none"}, ensure_ascii=False) + "\n")
    training_digest.cache_clear()
    assert shipped_model(str(training)) is None
    monkeypatch.setitem(classifier.RECIPE, "text", "another")
    training_digest.cache_clear()
    classifier.write_shipped_models()
    monkeypatch.setitem(classifier.RECIPE, "text", "fold")
    assert shipped_model(str(training)) is None
