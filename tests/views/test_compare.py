"""Compare: two visible generations side by side, the parameters that differ marked."""

import re

import pytest

from gallery.models import Generation
from gallery.views.compare import word_diff

from ..factories import finished_generation, make_generation

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(user, team, media_root):
    a = finished_generation(
        user,
        prompt="a lighthouse at dawn, oil painting",
        actual_prompt="A lone lighthouse at dawn in thick oil paint",
        seed=7,
    )
    b = make_generation(
        user,
        prompt="a lighthouse at sunset, oil painting",
        actual_prompt="A lone lighthouse at sunset in thick oil paint",
        seed=7,
        width=1280,
        height=720,
        watermark=True,
        parent=a,
        team=team,
    )
    return a, b


def compare(client, a, b):
    return client.get(f"/compare/?a={a}&b={b}")


def differing(body: str) -> list[str]:
    return re.findall(r'<tr class="differs">\s*<th scope="row">([^<]+?) <span', body)


def test_it_marks_the_parameters_that_differ(client, user, pair):
    a, b = pair
    client.force_login(user)

    body = compare(client, a.pk, b.pk).content.decode()

    assert differing(body) == ["Prompt", "Size", "Watermark"]
    assert "3 parameters differ" in body  # DashScope's rewrite of the prompt is not a choice
    assert f"#{b.pk} was made from #{a.pk}." in body


def test_it_marks_the_words_that_changed(client, user, pair):
    client.force_login(user)
    body = compare(client, *(g.pk for g in pair)).content.decode()
    assert "a lighthouse at <mark>dawn</mark>, oil painting" in body
    assert "a lighthouse at <mark>sunset</mark>, oil painting" in body
    assert "A lone lighthouse at <mark>sunset</mark> in thick oil paint" in body


def test_it_shows_both_sides_images_in_one_lightbox(client, user, pair):
    a, b = pair
    client.force_login(user)
    body = compare(client, a.pk, b.pk).content.decode()
    assert body.count("data-lightbox-group") == 1  # ← and → go across both sides
    assert f'href="/g/{a.pk}/images/0/" data-lightbox' in body
    assert f'href="/?remix={b.pk}">Remix</a>' in body
    assert f'href="/compare/?a={b.pk}&amp;b={a.pk}">Swap sides</a>' in body


def test_the_same_parameters_are_said_to_be_the_same(client, user):
    a, b = make_generation(user), make_generation(user)
    client.force_login(user)
    body = compare(client, a.pk, b.pk).content.decode()
    assert differing(body) == [] and "The same parameters." in body


def test_prompts_are_escaped_in_the_marks(client, user):
    a = make_generation(user, prompt="a <b>bold</b> lighthouse")
    b = make_generation(user, prompt="a <i>quiet</i> lighthouse")
    client.force_login(user)
    body = compare(client, a.pk, b.pk).content.decode()
    assert "<b>" not in body and "<i>" not in body
    assert "&lt;b&gt;bold&lt;/b&gt;" in body.replace("<mark>", "").replace("</mark>", "")


def test_a_chinese_prompt_is_compared_character_by_character():
    left, right = word_diff("黎明时的灯塔", "黄昏时的灯塔")
    assert left == [("黎明", True), ("时的灯塔", False)]
    assert right == [("黄昏", True), ("时的灯塔", False)]


def test_a_team_member_compares_team_generations(client, other_user, team, pair):
    a, b = pair
    Generation.objects.filter(pk=a.pk).update(team=team)
    client.force_login(other_user)
    assert compare(client, a.pk, b.pk).status_code == 200


def test_either_side_not_visible_is_404(client, other_user, pair):
    a, b = pair  # bob sees b (his team's), not alice's private a
    client.force_login(other_user)
    assert compare(client, b.pk, b.pk).status_code == 200
    assert compare(client, a.pk, b.pk).status_code == 404
    assert compare(client, b.pk, a.pk).status_code == 404


@pytest.mark.parametrize("query", ["", "?a=1", "?a=1&b=x", "?a=1&b=99999", "?a=1&b=" + "9" * 40])
def test_a_missing_or_bad_side_is_404(client, user, pair, query):
    client.force_login(user)
    assert client.get(f"/compare/{query}").status_code == 404
