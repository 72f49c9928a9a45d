"""Hostile input to the prompt form: each refusal is a clear error at its field and queues
nothing; text a person may really write (emoji, right-to-left scripts) is taken as typed.
(tests/views/test_home.py has the everyday refusals: too long, required, n, seed, size.)"""

import re

import pytest

from gallery.models import Board, Comment, Generation, Team

from ..factories import PROMPT_FORM, make_generation

pytestmark = pytest.mark.django_db


def field_errors(body: str, field: str) -> list[str]:
    """The errors shown inside the field's own box on the page (up to the next field's)."""
    box = re.search(
        rf'class="field[^"]* invalid" id="field-{field}">(.*?)(?:id="field-|\Z)', body, re.S
    )
    assert box, f"no error shown at {field}"
    errors = re.search(r'<div class="errors" role="alert">(.*?)</div>', box[1], re.S)
    return re.findall(r"<p>(.*?)</p>", errors[1], re.S) if errors else []


def assert_nothing_queued(take_queued_jobs) -> None:
    assert not Generation.objects.exists()
    assert not take_queued_jobs()


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"prompt": "\u200b\u200d\u2060 \u3000"}, "prompt", "no visible characters"),
        (
            {"prompt": "a cat \u202eesuom a\u202c"},
            "prompt",
            "hidden text-direction character U+202E",
        ),
        (
            {"prompt": "a cat \u2067inside\u2069"},
            "prompt",
            "hidden text-direction character U+2067",
        ),
        ({"prompt": "bell\x07 and escape\x1b[31m"}, "prompt", "control character U+0007"),
        ({"prompt": "a C1 control \x85 here"}, "prompt", "control character U+0085"),
        ({"negative_prompt": "blur\x00"}, "negative_prompt", "Null characters are not allowed"),
        ({"negative_prompt": "x\u202e"}, "negative_prompt", "hidden text-direction character"),
        ({"negative_prompt": "🌫" * 501}, "negative_prompt", "at most 500 characters"),
        ({"prompt": "🌊" * 501}, "prompt", "at most 500 characters"),
        (
            {"size": "custom", "width": "1024\x00", "height": "1024"},
            "width",
            "Enter a whole number",
        ),
        (
            {"size": "custom", "width": "-1024", "height": "1024"},
            "width",
            "greater than or equal to 1",
        ),
        (
            {"size": "custom", "width": "99999999999", "height": "1024"},
            "width",
            "less than or equal to 4096",
        ),
        ({"size": "custom", "width": "511", "height": "1024"}, "width", "between 512 and 1440"),
        ({"size": "99999*99999"}, "size", "Select a valid choice"),
        ({"n": "1.5"}, "n", "Enter a whole number"),
        ({"n": "-1"}, "n", "greater than or equal to 1"),
        ({"n": "1" * 30}, "n", "less than or equal to 4"),
        ({"seed": "-2147483648"}, "seed", "greater than or equal to 0"),
        ({"seed": "9" * 40}, "seed", "less than or equal to 2147483647"),
        ({"seed": "1e9"}, "seed", "Enter a whole number"),
        ({"model": ""}, "model", "This field is required"),
        ({"model": "<script>alert(1)</script>"}, "model", "Select a valid choice"),
        ({"model": "wanx2.1-t2i-turbo\x00"}, "model", "Select a valid choice"),
    ],
)
def test_a_hostile_value_is_refused_at_its_field_and_nothing_is_queued(
    logged_in, change, field, words, htmx, take_queued_jobs
):
    headers = {"HX-Request": "true"} if htmx else {}

    response = logged_in.post("/", {**PROMPT_FORM, **change}, headers=headers)

    assert response.status_code == 200
    shown = " ".join(field_errors(response.content.decode(), field))
    assert words in shown, shown
    assert_nothing_queued(take_queued_jobs)


def test_a_team_the_user_is_not_in_is_refused(logged_in, user, other_user, take_queued_jobs):
    Team.create("Alice's studio", owner=user)  # so the form has a team field to show it at
    theirs = Team.create("Bob's studio", owner=other_user)
    response = logged_in.post("/", {**PROMPT_FORM, "team": theirs.pk})
    assert "Select a valid choice" in " ".join(field_errors(response.content.decode(), "team"))
    assert_nothing_queued(take_queued_jobs)


def test_a_team_posted_by_someone_in_no_team_is_refused_where_it_shows(
    logged_in, other_user, take_queued_jobs
):
    theirs = Team.create("Bob's studio", owner=other_user)
    response = logged_in.post("/", {**PROMPT_FORM, "team": theirs.pk})
    assert "Select a valid choice" in " ".join(field_errors(response.content.decode(), "team"))
    assert_nothing_queued(take_queued_jobs)


def test_a_request_too_large_to_take_is_refused_and_queues_nothing(
    logged_in, take_queued_jobs, settings
):
    settings.UPLOAD_BODY_MAX_BYTES = 2 * settings.REQUEST_BODY_MAX_BYTES
    response = logged_in.post("/", {**PROMPT_FORM, "prompt": "x" * settings.UPLOAD_BODY_MAX_BYTES})
    assert response.status_code == 413
    assert_nothing_queued(take_queued_jobs)


@pytest.mark.parametrize(
    "prompt",
    [
        "a lighthouse at dawn 🌅🏳️‍🌈 👩🏽‍🎨",  # emoji, with joiners and skin tones
        "منارة عند الفجر\u200f, oil painting",  # Arabic, with a right-to-left mark
        "שחר מעל המגדלור",  # Hebrew
        "黎明时分的灯塔，油画风格",  # Chinese
        "line one\nline two\ttabbed",
        "🌊" * 500,  # the longest a Wan 2.1 prompt may be, counted in characters
    ],
)
def test_text_a_person_may_write_is_taken_as_typed(logged_in, prompt, take_queued_jobs):
    response = logged_in.post("/", {**PROMPT_FORM, "prompt": prompt})
    assert response.status_code == 302
    assert Generation.objects.get().prompt == prompt.strip()
    assert [job["func"] for job in take_queued_jobs()] == ["gallery.tasks.dispatch"]


@pytest.mark.parametrize(
    ("url", "data", "model"),
    [
        ("/boards/", {"name": "Night \u202eskies", "team": ""}, Board),
        ("/teams/", {"name": "Night \u202eshift"}, Team),
        ("/g/{shared}/comments/", {"body": "Love \u202ethe light"}, Comment),
    ],
    ids=["board", "team", "comment"],
)
def test_names_and_comments_refuse_hidden_direction_characters(
    logged_in, user, team, url, data, model
):
    shared = make_generation(user, team=team)
    before = model.objects.count()
    response = logged_in.post(url.format(shared=shared.pk), data, follow=True)
    assert "hidden text-direction character U+202E" in response.content.decode()
    assert model.objects.count() == before
