"""The detail page: every parameter, timings, people and places, lineage; and sharing it with
a team or back to private."""

import re

import pytest

from gallery.models import Board, BoardItem, Generation

from ..factories import make_generation

pytestmark = pytest.mark.django_db


def page(client, generation) -> str:
    response = client.get(f"/g/{generation.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_every_parameter_and_the_actual_prompt(client, user, done):
    client.force_login(user)
    body = page(client, done)
    for text in [
        "a lighthouse at dawn",
        "fog, people",
        "A lone lighthouse at dawn, soft pink light over a calm sea",
        "wan2.2-t2i-flash",
        "1024×768",
        "2 requested, 2 billed",
        "<dt>Seed</dt><dd>42</dd>",
        "<dt>Prompt extend</dt><dd>on</dd>",
        "<dt>Watermark</dt><dd>on</dd>",
        "task-123",
        "req-456",
        "<dt>Made by</dt><dd>alice</dd>",
        "nobody (private)",
    ]:
        assert text in body, text


def test_it_shows_each_images_seed_and_a_download_of_its_original(client, user, done):
    client.force_login(user)
    body = page(client, done)
    rows = re.findall(r'<tr>\s*<td>(\d)</td>\s*<td class="seed">(\d+)</td>', body)
    assert rows == [("1", "42"), ("2", "43")]
    for index in (0, 1):
        assert f'href="/g/{done.pk}/images/{index}/download/" download' in body


def test_it_shows_each_step_with_the_time_it_took(client, user, done):
    client.force_login(user)
    body = page(client, done)
    steps = re.findall(
        r'<span class="step">([^<]+)</span> <time[^>]*>[^<]*</time>'
        r'(?: <span class="after">\+([^<]+)</span>)?</li>',
        body,
    )
    assert steps == [
        ("Queued here", ""),
        ("Submitted to DashScope", "2.0 s"),
        ("Started at DashScope", "3.0 s"),
        ("Finished at DashScope", "30 s"),
        ("Images stored", "1.0 s"),
    ]
    assert "36 s in all; 33.0 s at DashScope by its own clock" in body


def test_a_queued_generation_shows_only_what_happened_so_far(client, user):
    generation = make_generation(user, seed=None)
    client.force_login(user)
    body = page(client, generation)
    assert re.findall(r'<span class="step">([^<]+)</span>', body) == ["Queued here"]
    assert "random (DashScope chose it" in body and "so far" in body
    assert "billed" not in body  # nothing was sent yet


def test_a_team_member_sees_who_made_it_and_where_it_is_shared(client, other_user, team, done):
    Generation.objects.filter(pk=done.pk).update(team=team)
    client.force_login(other_user)
    body = page(client, done)
    assert "<dt>Made by</dt><dd>alice</dd>" in body
    assert f'<a href="/teams/{team.pk}/gallery/">Lighthouse keepers</a>' in body


def test_it_lists_only_the_boards_the_viewer_may_see(client, user, other_user, team, done):
    Generation.objects.filter(pk=done.pk).update(team=team)
    first, second = done.images.all()
    boards = {
        "Alice moodboard": Board.objects.create(name="Alice moodboard", owner=user),
        "Bob picks": Board.objects.create(name="Bob picks", owner=other_user),
        "Team covers": Board.objects.create(name="Team covers", team=team),
    }
    for board in boards.values():
        BoardItem.objects.create(board=board, image=first)
    BoardItem.objects.create(board=boards["Team covers"], image=second)  # listed once

    client.force_login(other_user)
    on_boards = re.search(r"<dt>On boards</dt><dd>(.*?)</dd>", page(client, done))[1]

    assert re.findall(r">([^<]+)</a>", on_boards) == ["Bob picks", "Team covers"]
    assert "Alice" not in on_boards


def test_without_boards_it_says_so(client, user, done):
    client.force_login(user)
    assert "<dt>On boards</dt><dd>—</dd>" in page(client, done)


def test_each_thumbnail_opens_the_lightbox_on_its_image(client, user, done):
    client.force_login(user)
    body = page(client, done)
    assert body.count("data-lightbox-group") == 1
    assert (
        f'href="/g/{done.pk}/images/1/" data-lightbox '
        f'data-original="/g/{done.pk}/images/1/original/"'
    ) in body
    assert re.search(r'<script src="/static/js/lightbox\.[0-9a-f]+\.js" defer>', body)


def test_it_links_its_parent_and_its_remixes_with_compare_links(client, user, done):
    child = make_generation(user, prompt="a lighthouse at dusk", parent=done)
    grandchild = make_generation(user, prompt="a lighthouse at night", parent=child)
    client.force_login(user)

    body = page(client, child)

    assert f'Made from\n      <a href="/g/{done.pk}/">#{done.pk}</a>' in body
    assert f'href="/compare/?a={done.pk}&amp;b={child.pk}">Compare with it</a>' in body
    assert f'<a href="/g/{grandchild.pk}/">#{grandchild.pk}</a>' in body
    assert "a lighthouse at night" in body
    assert f'href="/compare/?a={child.pk}&amp;b={grandchild.pk}">Compare</a>' in body


def test_what_the_viewer_may_not_see_is_left_out_of_the_lineage(
    client, user, other_user, team, done
):
    shared = make_generation(user, prompt="shared with the team", parent=done, team=team)
    private_remix = make_generation(other_user, prompt="bob secret take", parent=shared)
    shared_remix = make_generation(other_user, prompt="bob shared take", parent=shared, team=team)

    client.force_login(other_user)  # bob may not see alice's private parent
    body = page(client, shared)
    assert f'href="/g/{done.pk}/"' not in body and "lineage-parent" not in body
    assert "bob secret take" in body  # his own

    client.force_login(user)  # alice may not see bob's private remix
    body = page(client, shared)
    assert "bob shared take" in body and f"/g/{shared_remix.pk}/" in body
    assert "bob secret take" not in body and f"/g/{private_remix.pk}/" not in body


def test_the_lineage_costs_the_same_queries_for_one_remix_or_thirty(
    client, user, done, django_assert_num_queries
):
    make_generation(user, parent=done)
    client.force_login(user)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        page(client, done)
    for _ in range(29):
        make_generation(user, parent=done)
    with django_assert_num_queries(len(one)):
        body = page(client, done)
    assert "Made from this one (30)" in body and "and 6 older ones." in body


def test_the_detail_page_lists_every_parameter(client, user, stored):
    client.force_login(user)
    body = client.get(f"/g/{stored.pk}/").content.decode()
    for text in [
        "a lighthouse at dawn",
        "wanx2.1-t2i-turbo",
        "1024×1024",
        "42",
        "task-123",
        "req-456",
    ]:
        assert text in body, text


def test_the_author_shares_and_unshares(client, team, other_user):
    generation = make_generation(other_user)
    client.force_login(other_user)
    client.post(f"/g/{generation.pk}/share/", {"team": team.pk})
    generation.refresh_from_db()
    assert generation.team == team
    client.post(f"/g/{generation.pk}/unshare/")
    generation.refresh_from_db()
    assert generation.team is None


def test_only_the_author_or_team_owner_unshares(client, team, user, other_user):
    generation = make_generation(user, team=team)
    client.force_login(other_user)  # a member, not the author
    client.post(f"/g/{generation.pk}/unshare/")
    generation.refresh_from_db()
    assert generation.team == team

    bobs = make_generation(other_user, team=team)
    client.force_login(user)  # the team's owner
    client.post(f"/g/{bobs.pk}/unshare/")
    bobs.refresh_from_db()
    assert bobs.team is None and bobs.owner == other_user


def test_a_viewer_cannot_share_into_the_team(client, team):
    generation = make_generation(team.viewer)
    client.force_login(team.viewer)
    client.post(f"/g/{generation.pk}/share/", {"team": team.pk})
    generation.refresh_from_db()
    assert generation.team is None


@pytest.mark.parametrize("team_id", ["abc", "", "²"])
def test_sharing_to_an_odd_team_id_is_404_not_a_crash(client, other_user, team_id):
    generation = make_generation(other_user)
    client.force_login(other_user)
    assert client.post(f"/g/{generation.pk}/share/", {"team": team_id}).status_code == 404
