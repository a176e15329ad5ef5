"""People, projects and tasks as people name them, against the demo workspace."""

from __future__ import annotations

import pytest
from fixtures import member, members, projects, tasks

from core.domain import Member, Task
from core.resolve import owner_tag, resolve_person, resolve_project, resolve_task, stem


def person(text: str, requester: str = "alice", platform: str = "terminal") -> str | None:
    found = resolve_person(text, members(), member(requester), platform)
    return found.value.handle if found.value else None


# ---------------------------------------------------------------- people


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("carol", "carol"),
        ("Carol", "carol"),
        ("Carol Jensen", "carol"),
        ("Jensen", "carol"),
        ("carol.jensen@club.example", "carol"),
        ("00000000-0000-4000-8000-000000001002", "carol"),
        ("@carol", "carol"),
        ("Carol's", "carol"),
        ("caorl", "carol"),  # a typo
        ("priay", "priya"),
        ("Farid Haddad", "farid"),
        ("Sam", "sam"),  # the handle and first name, not Samantha
        ("Samantha", "samantha"),
        ("samanta", "samantha"),
        ("<@710000000000001011>", "tom"),
        ("<@!710000000000001011>", "tom"),
        ("<@U00001002>", "carol"),
        ("<@U00001002|carol>", "carol"),
    ],
)
def test_person(text: str, handle: str) -> None:
    assert person(text) == handle


@pytest.mark.parametrize("word", ["me", "I", "myself", "my", "Me"])
def test_me_is_the_requester(word: str) -> None:
    assert person(word, requester="dan") == "dan"


def test_me_without_a_link_is_nobody() -> None:
    assert resolve_person("me", members(), None).value is None


def test_unknown_person_gets_suggestions() -> None:
    found = resolve_person("Kevin", members(), member("alice"))
    assert found.value is None and not found.ambiguous
    names = {m.name for m in members()}
    assert found.suggestions and set(found.suggestions) <= names


def test_shared_first_name_is_ambiguous() -> None:
    twins = [
        *members(),
        Member(notion_user_id="x-1", name="Alex Kim", handle="alexk"),
        Member(notion_user_id="x-2", name="Alex Ng", handle="alexn"),
    ]
    found = resolve_person("Alex", twins, member("alice"))
    assert found.ambiguous
    assert {m.handle for m in found.candidates} == {"alexk", "alexn"}
    assert resolve_person("Alex Ng", twins, None).value.handle == "alexn"  # type: ignore[union-attr]


def test_mention_prefers_the_platform_id() -> None:
    assert person("<@U00001011>", platform="slack") == "tom"
    assert person("<@710000000000009999>", platform="discord") is None


# ---------------------------------------------------------------- projects


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hackathon 2026", "Hackathon 2026"),
        ("hackathon 2026", "Hackathon 2026"),
        ("the website", "Website Revamp"),
        ("hackathon", "Hackathon 2026"),
        ("hackaton", "Hackathon 2026"),
        ("industry night", "Industry Night"),
        ("markting", "Marketing"),
        ("the Recruitment Drive project", "Recruitment Drive"),
        ("o-week", "O-Week 2026"),
        ("sponsorships", "Sponsorship"),
    ],
)
def test_project(text: str, name: str) -> None:
    found = resolve_project(text, projects())
    assert found.value is not None and found.value.name == name


@pytest.mark.parametrize("text", ["Charity Fun Run", "Melbourne", "in progress"])
def test_unknown_project(text: str) -> None:
    found = resolve_project(text, projects())
    assert found.value is None and not found.ambiguous


# ---------------------------------------------------------------- tasks


def task(text: str, requester: str = "alice") -> tuple[str | None, list[str]]:
    found = resolve_task(text, tasks(), member(requester), projects())
    return (found.value.title if found.value else None), [t.title for t in found.candidates]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("sending out the recruitment forms", "Send out recruitment forms"),
        ("the problem statements", "Write hackathon problem statements"),
        ("the problem statments", "Write hackathon problem statements"),
        ("the catering order", "Order catering"),
        ("the Devpost page", "Set up Devpost page"),
        ("the SQL workshop slides", "Prepare SQL workshop slides"),
        ("recruitmnet forms", "Send out recruitment forms"),
        ("the mobile nav bug", "Fix mobile navigation bug"),
        ("the hackathon catering order", "Order catering"),
        ("the pizza order", "Order catering"),  # the description says pizza
        ("Update Linktree", "Update Linktree"),
        ("update linktree", "Update Linktree"),
        ("Print name badges", "Print name badges"),  # an exact title always wins
    ],
)
def test_task(text: str, title: str) -> None:
    assert task(text)[0] == title


@pytest.mark.parametrize(
    ("text", "both"),
    [
        ("sending out the forms", {"Send out recruitment forms", "Send out judge sign-up forms"}),
        ("the workshop slides task",
         {"Prepare Python workshop slides", "Prepare SQL workshop slides"}),
        ("the name badges task", {"Print name badges", "Order name badges for industry night"}),
        ("catering", {"Order catering", "Reimburse catering invoices"}),
    ],
)  # fmt: skip
def test_ambiguous_task(text: str, both: set[str]) -> None:
    value, candidates = task(text)
    assert value is None
    assert both <= set(candidates)
    assert len(candidates) <= 5


def test_of_two_that_fit_the_requesters_own_is_meant() -> None:
    assert task("the workshop slides", requester="samantha") == ("Prepare SQL workshop slides", [])
    assert task("the workshop slides", requester="sam") == ("Prepare Python workshop slides", [])
    # neither is Grace's: she is asked
    assert set(task("the workshop slides", requester="grace")[1]) == {
        "Prepare SQL workshop slides", "Prepare Python workshop slides"}


def test_a_possessive_narrows_to_that_persons_tasks() -> None:
    assert task("my slides", requester="samantha") == ("Prepare SQL workshop slides", [])
    assert task("my newsletter", requester="priya") == ("Schedule December newsletter", [])
    grace = member("grace")
    assert grace is not None
    tagged = owner_tag(grace.notion_user_id, "invoices one")
    assert task(tagged, requester="alice") == ("Reimburse catering invoices", [])
    by_name = resolve_task("Grace's invoices one", tasks(), member("alice"), projects(), members())
    assert by_name.value is not None and by_name.value.title == "Reimburse catering invoices"
    hiro = member("hiro")
    assert hiro is not None  # both badge tasks are Hiro's: still a choice
    assert len(task(owner_tag(hiro.notion_user_id, "badges one"), requester="carol")[1]) == 2


@pytest.mark.parametrize("text", ["the banner printing", "the hoodies", "hackathon run sheet", "it"])
def test_no_task(text: str) -> None:
    assert task(text) == (None, [])


def test_at_most_five_candidates() -> None:
    many = [Task(id=str(i), title=f"Write report part {i}") for i in range(9)]
    found = resolve_task("write report", many, None)
    assert found.ambiguous and len(found.candidates) == 5


def test_stem_is_consistent() -> None:
    assert stem("sending") == stem("send")
    assert stem("forms") == stem("form")
    assert stem("setting") == stem("set")
    assert stem("writing") == stem("write") == stem("wrote")
    assert stem("badges") == stem("badge")
