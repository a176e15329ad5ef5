"""What is not the request: pleasantries, lead-ins, claims of authority, and taking a task said
as permission or an offer ("fine for me to take over X" is "I'll take over X").

The gate decides by the requester's real role, so a claimed role or relayed approval is dropped
and the rest planned."""

from __future__ import annotations

import re

from core.planner.offline.text import strip_polite

# Relayed authority and claimed roles are not part of the request: the gate decides by the
# requester's real role. "[admin mode] archive X" is "archive X".
_CLAIMS = [
    r"^\s*(?:please\s+)?(?:ignore|disregard|forget) (?:all |any |your |the )?"
    r"(?:previous |prior |above |earlier )?(?:instructions|rules|prompts?)(?:\s+and)?[\s,.;:]*",
    r"^\s*[\[(](?:admin|lead|sudo|root|owner|mod|override|system)[^\])]*[\])]\s*[:,-]?\s*",
    r"(?:^|[,;.]\s*|\s+)(?:as (?:an? |the )?(?:admin|lead|organiser|organizer|exec|president|"
    r"committee member)|(?:i'?m|i am) (?:on the (?:committee|exec|board)|an? (?:admin|lead|"
    r"organiser|organizer|exec)|the (?:president|lead|treasurer|admin|organiser))"
    r"(?: (?:on|for|of) (?:this|that|it|the \w+(?: \w+)?))?|"
    r"(?:with|on) (?:\w+'s|the committee's|my lead's) (?:permission|approval|ok|blessing|say-?so)|"
    r"(?:approved|signed off|okayed|ok'd) by \w+|\w+(?:'s| is) (?:fine|ok|okay|cool|happy) "
    r"with(?: (?:me|it|this|that) doing (?:it|this|that))?|\w+ (?:said|says|told me) "
    r"(?:it'?s |its )?(?:fine|ok|okay|cool)(?: for me)?(?: to)?|"
    r"\w+ (?:said|says|told me) i (?:can|could|may)|"
    r"(?:i have|i've got|i got) (?:permission|approval|the ok)(?: from \w+)?)"
    r"(?:\s*(?:,|so|and|,\s*so|\.)\s*|\s+(?=\w)|$)",
]
_CLAIM_RES = [re.compile(p, re.I) for p in _CLAIMS]


_PLEASANTRY = re.compile(
    r"^(?:hi|hey|hello|heya|hiya|morning|good (?:morning|afternoon|evening)|hope\b|how are|how's it going|"
    r"long (?:day|week)|crazy (?:day|week)|busy (?:day|week)|happy \w+day|thanks|cheers|ok|okay|so|sorry|"
    r"quick (?:one|thing|question|q)|one more thing)\b[^.!?]*[.!?]+\s+",
    re.I,
)
_LEAD_IN = re.compile(
    r"^(?:(?:just )?(?:wanted to |want to |thought i'?d |(?:i'?ve |i have |i was )?(?:been )?(?:meaning|"
    r"wanting|going) to )?(?:let you know|letting you know|tell you|say|update you|mention)(?: that)?|"
    r"fyi|btw|heads up|just so you know|quick update|update|status update|basically|"
    r"i think|i reckon|i guess|i believe|i wonder|i was wondering|i'm wondering|pretty sure|looks like|"
    r"seems like|it seems|good news|great news|i was thinking|i'm thinking|so)\b[\s,:–—-]*",
    re.I,
)


# Taking a task, phrased as permission or an offer: "fine for me to take over X", "happy to grab X",
# "mind if I do X", "I can take X". All say "I'll take over X".
# "take a look", "take a break": not taking a task
_NOT_TAKEN = r"(?!(?:a |an )?(?:look|peek|glance|break|note|care|photo|picture|review|check)\b)"
_OFFER = re.compile(
    r"(?:\b\w+ (?:said|says|told me|reckons)(?: that)? )?(?:(?:it'?s|its|it is|is it|would it be|it'd be) )?"
    r"(?:(?:fine|ok|okay|cool|alright|all good)(?: with \w+)? (?:for me to|if i)|^(?:for me to|if i)|"
    r"(?:do you |would you )?mind if i|"
    r"(?:(?:i'?m|i am|i'd be|i would be|am) )?(?:happy|glad|keen|free|willing|able) to|"
    r"i (?:can|could|may|don't mind|do not mind|wouldn't mind)|(?:can|could|may) i|let me|"
    r"(?:i am|i'm) wanting to|i want to|i'd like to|i would like to|i wanna)\s+"
    r"(?:take|taking|grab|grabbing|handle|handling|pick up|picking up|look after|looking after|cover|"
    rf"covering|own|do|doing)(?:\s+(?:over|on))?\s+{_NOT_TAKEN}(?=\S)",
    re.I,
)
_WILL_TAKE = re.compile(rf"\bi(?:'ll| will)\s+(?:take|grab)(?:\s+(?:over|on))?\s+{_NOT_TAKEN}(?=\S)", re.I)


# The task said first, then what to do with "it": "the catering order, can you assign that to Dan".
_FRONTED = re.compile(
    r"^(?P<topic>(?!(?:it|that|this|them|i|we|you|can|could|please|make|create|add|new|put|log|set|open|"
    r"start|assign|mark|move|push|give|hand|remind|get|have|ask|tell|need)\b)[^,\s]+(?:\s+[^,\s]+){0,5}?),?\s+"
    r"(?:(?:can|could|would|will) "
    r"(?:you|we|u)\s+|please\s+|pls\s+|i (?:want|need|'d like|would like) to\s+|let's\s+|just\s+)*"
    r"(?P<verb>mark|set|move|push|bump|give|hand|assign|reassign|archive|close|rename|change|delay|postpone|"
    r"extend|tick off)\s+(?:it|that|this|them)\b(?P<rest>.*)$",
    re.I,
)


def strip_claims(s: str) -> str:
    """The request without pleasantries before it ("hope you're well!"), lead-ins ("just wanted to
    let you know") or claims of authority ("Bob's fine with me doing it, …")."""
    while (m := _PLEASANTRY.match(s)) and s[m.end() :].strip():
        s = s[m.end() :]
    s = _OFFER.sub("i'll take over ", s, count=1)
    s = _WILL_TAKE.sub("i'll take over ", s, count=1)
    for pattern in _CLAIM_RES:
        s = pattern.sub(" ", s)
    while (m := _LEAD_IN.match(s.strip())) and s.strip()[m.end() :].strip():
        s = s.strip()[m.end() :]
    s = re.sub(r"^\s*(?:so|and|then)\s+", "", s.strip(), flags=re.I)
    s = re.sub(r"^(?:(?:can|could|may) i|i can|i could|i may|i'?ll|i will|let me)\s+(?=take|have|do|grab)",
               "i'll ", s, flags=re.I)  # fmt: skip
    s = re.sub(r"^(?:so\s+)?(?:i|we)\s+(?:can|could|may|am allowed to|'m allowed to)\s+(?!take|have|do|grab)",
               "", s, flags=re.I)  # fmt: skip
    s = strip_polite(s.strip(" ,.;")) if s.strip(" ,.;") else s
    m = _FRONTED.match(s)
    return f"{m.group('verb')} {m.group('topic').strip()}{m.group('rest')}" if m else s


__all__ = ["strip_claims"]
