"""The offline planner: deterministic, no network, no key.

It is the embedded default, the fallback when every model fails, and the reference in
tests. It understands in four steps (README, "Understanding"):

1. `entities`: spot every span that names a person, a project, a date or a status, and
   mask it (⟨PERSON⟩, ⟨PROJECT⟩, ⟨DATE⟩, ⟨STATUS⟩);
2. `intent`: a small linear model over the masked text's word and character n-grams,
   trained deterministically from the generated corpus (`corpus`, `templates`), names
   the intent, or says two intents are too close to call;
3. the intent's slot filler (`create`, `update`, `comment`, `reads`, `account`) fills
   the arguments from the spotted entities and the rest of the text;
4. `dispatch` abstains rather than guesses: a write that cannot be filled is asked
   about, never answered with a read.

Names stay as typed: the gate resolves people, projects and tasks (core/resolve.py).
Dates are resolved here, against `ctx.now`, because a planner's output carries ISO dates.
"""

from core.planner.offline.dispatch import OfflinePlanner, plan_text
from core.planner.offline.text import Utterance, parse_utterance
from core.planner.offline.vocabulary import status_option

__all__ = ["OfflinePlanner", "Utterance", "parse_utterance", "plan_text", "status_option"]
