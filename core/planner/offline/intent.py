"""Step 2: the intent of the masked text, from a small linear model.

A logistic regression over word (1–2) and character (2–5, within words) n-grams of the
masked, cleaned-up text, trained on the generated corpus (`corpus.py`) with a fixed seed.
The trained model is cached beside this file under a name holding a hash of the templates,
the generator and this file, so a change to any of them rebuilds it; loading the cache takes
a fraction of a second, a cold build a few seconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
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
    with contextlib.suppress(PackageNotFoundError):
        digest.update(version("scikit-learn").encode())
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


class LinearModel:
    """The fitted pipeline reduced to arrays: vocabularies, idf weights, coefficients.

    It computes what the scikit-learn pipeline computes (tf-idf with sublinear tf and l2
    norm per vectorizer, then a multinomial logistic regression) with numpy alone, so
    loading it does not import scikit-learn (which takes most of a second)."""

    def __init__(self, pipeline: Any) -> None:
        union, clf = pipeline.named_steps["features"], pipeline.named_steps["clf"]
        self.parts = [
            (v.analyzer, v.ngram_range, {k: int(i) for k, i in v.vocabulary_.items()}, v.idf_.astype(float))
            for _, v in union.transformer_list
        ]
        self.token = re.compile(union.transformer_list[0][1].token_pattern)
        self.classes = [str(c) for c in clf.classes_]
        self.coef = clf.coef_.astype("float64")
        self.intercept = clf.intercept_.astype("float64")

    def _grams(self, analyzer: str, ngram_range: tuple[int, int], text: str) -> list[str]:
        low, high = ngram_range
        if analyzer == "word":
            tokens = self.token.findall(text)
            spans = ((n, i) for n in range(low, high + 1) for i in range(len(tokens) - n + 1))
            return [" ".join(tokens[i : i + n]) for n, i in spans]
        grams: list[str] = []
        for word in re.sub(r"\s\s+", " ", text).split():
            w = f" {word} "
            for n in range(low, high + 1):
                if len(w) <= n:
                    grams.append(w)  # a short word counts once, as scikit-learn counts it
                    break
                grams.extend(w[i : i + n] for i in range(len(w) - n + 1))
        return grams

    def predict_proba(self, text: str) -> list[float]:
        import numpy as np

        scores = self.intercept.copy()
        offset = 0
        for analyzer, ngram_range, vocab, idf in self.parts:
            counts: dict[int, int] = {}
            for gram in self._grams(analyzer, ngram_range, text):
                index = vocab.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if counts:
                idx = np.fromiter(counts, dtype=np.int64)
                weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * idf[idx]
                weights /= np.linalg.norm(weights) or 1.0
                scores += self.coef[:, offset + idx] @ weights
            offset += len(idf)
        scores -= scores.max()
        probs = np.exp(scores)
        return [float(p) for p in probs / probs.sum()]


@lru_cache(maxsize=1)
def model() -> LinearModel:
    """The cached model, or a fresh one (then cached; a failed write is no error)."""
    with _LOCK:
        path = _cache_path()
        if path.exists():
            try:
                with path.open("rb") as f:
                    loaded = pickle.load(f)
                if isinstance(loaded, LinearModel):
                    return loaded
            except Exception:  # a torn or stale file: rebuild
                pass
        fitted = LinearModel(train())
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
    """The intents of the masked text, ranked."""
    fitted = model()
    probs = fitted.predict_proba(prepare(masked))
    ranked = sorted(zip(fitted.classes, probs, strict=True), key=lambda x: (-x[1], x[0]))
    return Guess(ranked=tuple(ranked))


__all__ = ["READS", "WRITES", "Guess", "LinearModel", "classify", "fingerprint", "model", "train"]
