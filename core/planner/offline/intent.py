"""Step 2: the intent of the masked text, from a small linear model.

A logistic regression over word (1–2) and character (2–5, within words) n-grams of the
masked, cleaned-up text, trained on the generated corpus (`corpus.py`) with a fixed seed.
The trained model is cached beside this file under a name holding a hash of the templates,
the generator and this file, so a change to any of them rebuilds it; loading the cache takes
a fraction of a second, a cold build a few seconds.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
_SOURCES = ("templates.py", "corpus.py", "intent.py", "text.py", "entities.py")
READS = {"list_tasks", "list_projects", "show_task", "whoami"}
WRITES = {"create_task", "update_status", "update_due", "update_people", "update_other",
          "add_comment", "link_account", "undo"}  # fmt: skip
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Guess:
    """The intents ranked, best first, with their probabilities."""

    ranked: tuple[tuple[str, float], ...]

    @property
    def intent(self) -> str:
        return self.ranked[0][0]

    @property
    def confidence(self) -> float:
        return self.ranked[0][1]

    @property
    def margin(self) -> float:
        return self.ranked[0][1] - (self.ranked[1][1] if len(self.ranked) > 1 else 0.0)

    def prob(self, intent: str) -> float:
        return dict(self.ranked).get(intent, 0.0)

    def mass(self, intents: set[str]) -> float:
        return sum(p for i, p in self.ranked if i in intents)


def fingerprint() -> str:
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((HERE / name).read_bytes())
    try:
        import sklearn

        digest.update(sklearn.__version__.encode())
    except ImportError:  # pragma: no cover
        pass
    return digest.hexdigest()[:16]


def _cache_path() -> Path:
    folder = Path(os.environ.get("DARCY_MODEL_CACHE", HERE / ".model-cache"))
    return folder / f"intent-{fingerprint()}.pkl"


def prepare(masked: str) -> str:
    """What the model reads: lower case, the masks as single words."""
    return (
        masked.lower()
        .replace("⟨person⟩", " zperson ")
        .replace("⟨project⟩", " zproject ")
        .replace("⟨date⟩", " zdate ")
        .replace("⟨quote⟩", " zquote ")
        .replace("⟨email⟩", " zemail ")
    )


def train() -> Any:
    """The pipeline, fitted on the generated corpus (deterministic)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    from core.planner.offline.corpus import generate
    from core.planner.offline.text import parse_utterance

    rows = generate()
    texts = [prepare(parse_utterance(text).text) for text, _ in rows]
    labels = [intent for _, intent in rows]
    words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"[\w']+")
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
    model = Pipeline(
        [
            ("features", FeatureUnion([("words", words), ("chars", chars)])),
            ("clf", LogisticRegression(C=20.0, max_iter=3000, random_state=0)),
        ]
    )
    model.fit(texts, labels)
    return model


@lru_cache(maxsize=1)
def model() -> Any:
    """The cached model, or a fresh one (then cached; a failed write is no error)."""
    with _LOCK:
        path = _cache_path()
        if path.exists():
            try:
                with path.open("rb") as f:
                    return pickle.load(f)
            except Exception:  # a torn or stale file: rebuild
                pass
        fitted = train()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for old in path.parent.glob("intent-*.pkl"):
                old.unlink(missing_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                pickle.dump(fitted, tmp)
            Path(tmp.name).replace(path)
        except OSError:
            pass
        return fitted


def classify(masked: str) -> Guess:
    """The intents of the masked text, ranked (the pipeline's steps called directly: joblib's
    dispatch in FeatureUnion costs more than the model on one short text)."""
    from scipy.sparse import hstack

    fitted = model()
    text = [prepare(masked)]
    union, clf = fitted.named_steps["features"], fitted.named_steps["clf"]
    features = hstack([vectorizer.transform(text) for _, vectorizer in union.transformer_list]).tocsr()
    probs = clf.predict_proba(features)[0]
    ranked = sorted(zip(clf.classes_, (float(p) for p in probs), strict=True), key=lambda x: (-x[1], x[0]))
    return Guess(ranked=tuple((str(c), p) for c, p in ranked))


__all__ = ["READS", "WRITES", "Guess", "classify", "fingerprint", "model", "train"]
