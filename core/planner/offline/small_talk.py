"""No tool: help, greetings, thanks and everything Darcy does not do."""

from __future__ import annotations

import re

from core.planner.offline.text import Utterance, strip_polite
from core.tools import ToolCall

_HELP = re.compile(
    r"^(?:help|\?+|commands?|usage|menu|options|instructions|guide|getting started|"
    r"what can (?:you|i) (?:do|ask|say)|what do you do|what are you|who are you|"
    r"how (?:do|does|can) (?:i|you|this|it)\b.*|how does this work|what is this|"
    r"what can darcy do|tell me what you can do|show me what you can do)\W*$",
    re.I,
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|heya|hiya|yo|sup|wassup|g'?day|howdy|greetings|morning|"
    r"good (?:morning|afternoon|evening|day)|hi there|hey there|how are you|how's it going)"
    r"(?:\s+(?:darcy|there|all|everyone|mate))?\W*$",
    re.I,
)
_THANKS = re.compile(
    r"\b(?:thanks|thank you|cheers|ta|appreciate|legend|awesome|perfect|nice one|"
    r"good job|well done|great|cool|nice|ok|okay|got it|sweet|lovely)\b",
    re.I,
)


def plan_small_talk(msg: Utterance) -> ToolCall:
    """Help, a greeting, thanks, or anything else Darcy does not do."""
    s = msg.text.strip()
    short_help = len(s.split()) <= 6 and re.search(r"\b(?:help|commands|instructions)\b", s, re.I)
    if _HELP.match(s) or _HELP.match(strip_polite(s)) or short_help:
        return ToolCall(intent="help")
    if _GREETING.match(s):
        return ToolCall(intent="greeting")
    if _THANKS.search(s) and len(s.split()) <= 6:
        return ToolCall(intent="thanks")
    return ToolCall(intent="out_of_scope")
