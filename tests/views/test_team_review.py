"""The team's review of a shared generation: comments and marks (picked, rejected), who may
review, and the counts its cards show."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from gallery.models import Comment, Favourite, Generation, ReviewMark

from ..factories import make_generation

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def shared(team, other_user) -> Generation:
    return make_generation(other_user, team=team, prompt="harbour at night")


def people(team, outsider) -> dict:
    return {
        "owner": team.owner,
        "member": team.memberships.get(role="member").user,
        "viewer": team.viewer,
        "outsider": outsider,
    }


@pytest.mark.parametrize(
    ("person", "allowed"),
    [("owner", True), ("member", True), ("viewer", False), ("outsider", False)],
)
def test_owners_and_members_comment_and_mark_viewers_and_outsiders_get_404(
    client, team, outsider, shared, person, allowed
):
    client.force_login(people(team, outsider)[person])

    commented = client.post(f"/g/{shared.pk}/comments/", {"body": "Love the light"})
    marked = client.post(f"/g/{shared.pk}/mark/", {"mark": "picked"})

    assert commented.status_code == marked.status_code == (302 if allowed else 404)
    assert Comment.objects.exists() is allowed and ReviewMark.objects.exists() is allowed


def test_a_private_generation_has_no_team_review(client, user):
    generation = make_generation(user)
    client.force_login(user)
    assert 'id="review"' not in client.get(f"/g/{generation.pk}/").content.decode()
    assert client.post(f"/g/{generation.pk}/comments/", {"body": "x"}).status_code == 404
    assert client.post(f"/g/{generation.pk}/mark/", {"mark": "picked"}).status_code == 404


def test_comments_are_listed_oldest_first_with_author_and_time_escaped(
    client, team, user, other_user, shared
):
    earlier = timezone.now() - timedelta(hours=1)
    Comment.objects.create(generation=shared, author=user, body="First!", created_at=earlier)
    client.force_login(other_user)
    client.post(f"/g/{shared.pk}/comments/", {"body": "<script>alert(1)</script>\nline two"})

    client.force_login(team.viewer)
    body = client.get(f"/g/{shared.pk}/").content.decode()
    review = body[body.index('id="review"') :]
    assert review.index("First!") < review.index("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert "<script>alert(1)" not in body and "line two" in review
    assert "<strong>alice</strong>" in review and "<strong>bob</strong>" in review
    assert review.count("<time datetime=") == 2
    assert "Add comment" not in review  # viewers read along


def test_an_htmx_comment_answers_the_review_section(client, other_user, shared):
    client.force_login(other_user)
    response = client.post(f"/g/{shared.pk}/comments/", {"body": "Crop it?"}, headers=HTMX)
    body = response.content.decode()
    assert 'id="review"' in body and "Crop it?" in body and "<html" not in body


def test_an_empty_comment_is_refused_with_a_reason(client, other_user, shared):
    client.force_login(other_user)
    response = client.post(f"/g/{shared.pk}/comments/", {"body": "   "}, headers=HTMX)
    assert "This field is required" in response.content.decode()
    response = client.post(f"/g/{shared.pk}/comments/", {"body": ""}, follow=True)
    assert "This field is required" in response.content.decode()
    assert not Comment.objects.exists()


def test_each_member_has_one_mark_which_they_change_or_clear(client, team, other_user, shared):
    client.force_login(other_user)
    client.post(f"/g/{shared.pk}/mark/", {"mark": "picked"})
    client.post(f"/g/{shared.pk}/mark/", {"mark": "rejected"})
    assert list(ReviewMark.objects.values_list("user__username", "mark")) == [("bob", "rejected")]
    body = client.get(f"/g/{shared.pk}/").content.decode()
    assert "✗ Rejected by bob" in body and "Clear my mark" in body

    client.post(f"/g/{shared.pk}/mark/", {"mark": ""})
    assert not ReviewMark.objects.exists()


def test_an_unknown_mark_is_a_bad_request(client, other_user, shared):
    client.force_login(other_user)
    assert client.post(f"/g/{shared.pk}/mark/", {"mark": "maybe"}).status_code == 400
    assert not ReviewMark.objects.exists()


def test_an_htmx_mark_updates_the_review_and_the_cards_counts(client, user, other_user, shared):
    ReviewMark.objects.create(generation=shared, user=user, mark="picked")
    client.force_login(other_user)
    response = client.post(f"/g/{shared.pk}/mark/", {"mark": "picked"}, headers=HTMX)
    body = response.content.decode()
    assert "✓ Picked by alice, bob" in body
    assert f'id="mark-counts-{shared.pk}" hx-swap-oob="true"' in body and "✓ 2 ✗ 0" in body


def test_team_cards_show_the_counts_and_private_ones_do_not(client, team, user, other_user, shared):
    ReviewMark.objects.create(generation=shared, user=user, mark="picked")
    ReviewMark.objects.create(generation=shared, user=other_user, mark="picked")
    ReviewMark.objects.create(generation=shared, user=team.viewer, mark="rejected")
    make_generation(other_user, prompt="bob's private")
    client.force_login(other_user)
    assert "✓ 2 ✗ 1" in client.get(f"/teams/{team.pk}/gallery/").content.decode()
    assert "✓ 2 ✗ 1" in client.get(f"/g/{shared.pk}/").content.decode()
    home = client.get("/").content.decode()
    assert "✓ 2 ✗ 1" in home and home.count('class="mark-counts') == 1


def test_the_team_gallery_shows_stars_and_counts_in_a_fixed_number_of_queries(
    client, team, user, other_user, django_assert_max_num_queries
):
    for i in range(20):
        generation = make_generation(other_user, team=team, prompt=f"boat {i}")
        ReviewMark.objects.create(generation=generation, user=user, mark="picked")
        ReviewMark.objects.create(generation=generation, user=other_user, mark="rejected")
        Favourite.objects.create(user=user, generation=generation)
    client.force_login(user)
    # +1: the cards' reference images; +3: the user's role and the prompt form (its teams, the
    # settings it remembers); +2: the queued cards' places in the queue, their model's usual
    # time; +1: the month so far beside Generate
    with django_assert_max_num_queries(17):
        body = client.get(f"/teams/{team.pk}/gallery/").content.decode()
    assert body.count("✓ 1 ✗ 1") == 20 and body.count('aria-pressed="true"') == 20


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("picked", ["two picks", "two picks one rejection"]),
        ("rejected", ["one rejection"]),
        ("unreviewed", ["nobody marked it"]),
    ],
)
def test_reviewed_filters_by_the_balance_of_marks(team, user, other_user, state, expected):
    carol = team.viewer
    marks = {
        "two picks": [(user, "picked"), (other_user, "picked")],
        "two picks one rejection": [(user, "picked"), (other_user, "picked"), (carol, "rejected")],
        "one rejection": [(user, "rejected")],
        "a tie": [(user, "picked"), (other_user, "rejected")],
        "nobody marked it": [],
    }
    for prompt, given in marks.items():
        generation = make_generation(user, team=team, prompt=prompt)
        for person, mark in given:
            ReviewMark.objects.create(generation=generation, user=person, mark=mark)

    found = Generation.objects.reviewed(state).order_by("created_at")
    assert [g.prompt for g in found] == expected


# Deleting a comment: its author, or the team's owner (who answers for the team's review).


@pytest.mark.parametrize(
    ("person", "whose", "allowed"),
    [
        ("member", "own", True),
        ("owner", "member's", True),
        ("owner", "own", True),
        ("viewer", "own", True),  # made while still a member: their words stay theirs
        ("member", "owner's", False),
        ("viewer", "member's", False),
        ("author", "owner's", False),  # the generation's author does not moderate the team
        ("outsider", "member's", False),
    ],
)
def test_who_deletes_a_comment(client, team, outsider, person, whose, allowed, django_user_model):
    everyone = people(team, outsider)
    bob = everyone["member"]
    author = django_user_model.objects.create_user("erin")
    team.memberships.create(user=author, role="member")
    everyone["author"] = author
    generation = make_generation(author, team=team, prompt="harbour at night")
    writer = {"own": everyone[person], "member's": bob, "owner's": team.owner}[whose]
    comment = Comment.objects.create(generation=generation, author=writer, body="Crop it?")
    client.force_login(everyone[person])

    page = client.get(f"/g/{generation.pk}/")
    if person != "outsider":
        assert ('aria-label="Delete' in page.content.decode()) is allowed
    response = client.post(f"/comments/{comment.pk}/delete/")

    assert response.status_code == (302 if allowed else 404)
    assert Comment.objects.exists() is not allowed
    if allowed:
        assert response.url == f"/g/{generation.pk}/#review"
        assert "Crop it?" not in client.get(response.url).content.decode()


def test_an_htmx_delete_answers_the_review_without_the_comment(client, other_user, shared):
    kept = Comment.objects.create(generation=shared, author=shared.team.owner, body="Keep me")
    gone = Comment.objects.create(generation=shared, author=other_user, body="Delete me")
    client.force_login(other_user)

    body = client.post(f"/comments/{gone.pk}/delete/", headers=HTMX).content.decode()

    assert 'id="review"' in body and "<html" not in body
    assert "Delete me" not in body and "Keep me" in body
    assert f"/comments/{kept.pk}/delete/" not in body  # alice's: bob may not delete it


def test_deleting_a_comment_needs_the_csrf_token(other_user, shared):
    comment = Comment.objects.create(generation=shared, author=other_user, body="x")
    client = Client(enforce_csrf_checks=True)
    client.force_login(other_user)
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 403
    assert Comment.objects.exists()
