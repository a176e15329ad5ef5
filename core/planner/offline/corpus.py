"""The generated training corpus: templates × slot fillers × registers, deterministic.

`generate()` returns (masked text, intent) pairs: every template of `templates.py`, filled
`VARIANTS` times with random fillers and dressed in a random register (a chatty preamble,
politeness, slang, a typo, lower or upper case, an emoji, a trailing "thanks"). The same
seed gives the same corpus, so the model trained on it is the same on every machine.
"""

from __future__ import annotations

import random
import re

from core.planner.offline.entities import MASKS
from core.planner.offline.templates import ENDINGS, FILLERS, POLITE, PREAMBLES, TEMPLATES

SEED = 16
VARIANTS = 14
SLOT = re.compile(r"\{(\w+)\}")
_MASK_SLOTS = {"P": MASKS["person"], "P2": MASKS["person"], "PR": MASKS["project"],
               "D": MASKS["date"], "Q": MASKS["quote"], "E": MASKS["email"]}  # fmt: skip
_SLANG = [("you", "u"), ("please", "pls"), ("before", "b4"), ("thanks", "thx"), ("your", "ur"),
          ("what's", "whats"), ("i'm", "im"), ("i've", "ive"), ("can't", "cant")]  # fmt: skip
_IMPERATIVE = re.compile(
    r"^(?:create|add|make|put|set|assign|reassign|give|hand|move|push|change|mark|rename|comment|"
    r"leave|show|list|tell|archive|close|tick|bump|extend|delay|postpone|reschedule|log|write|"
    r"jot|loop|swap|describe|update|remind|get|have|ask|note|post|reopen)\b"
)


def _fill(template: str, rng: random.Random) -> str:
    def slot(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in _MASK_SLOTS:
            return _MASK_SLOTS[name]
        return rng.choice(FILLERS[name])

    return SLOT.sub(slot, template)


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _dress(text: str, intent: str, rng: random.Random) -> str:
    if intent not in ("chat", "link_account", "undo") and rng.random() < 0.5:
        text = rng.choice(PREAMBLES) + text
    if _IMPERATIVE.match(text) and rng.random() < 0.4:
        text = rng.choice(POLITE) + text
    if rng.random() < 0.5:
        text += rng.choice(ENDINGS)
    if rng.random() < 0.25:
        old, new = rng.choice(_SLANG)
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
    if rng.random() < 0.15:
        text = _typo(text, rng)
    roll = rng.random()
    if roll < 0.3:
        text = text[:1].upper() + text[1:]
    elif roll < 0.35:
        text = text.upper()
    return text


def generate(seed: int = SEED, variants: int = VARIANTS) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    rows: list[tuple[str, str]] = []
    for intent in sorted(TEMPLATES):
        for template in TEMPLATES[intent]:
            seen: set[str] = set()
            for _ in range(variants if SLOT.search(template) else max(3, variants // 3)):
                text = _dress(_fill(template, rng), intent, rng)
                if text not in seen:
                    seen.add(text)
                    rows.append((text, intent))
    return rows


__all__ = ["SEED", "generate"]
