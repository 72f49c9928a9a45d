"""The listing every list page shares: "mine" at / and each team at /teams/<id>/gallery/ (search,
filters, keyset pages, the live poll)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gallery.models import Favourite, GeneratedImage, Generation, ReviewMark

from ..factories import make_generation

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def prompts(response) -> list[str]:
    return [generation.prompt for generation in response.context["page"]]


def load_more_link(response) -> str | None:
    match = re.search(r'<a href="([^"]+)"[^>]*>Load more</a>', response.content.decode())
    return match[1].replace("&amp;", "&") if match else None


def test_it_searches_the_prompt_the_negative_prompt_and_the_actual_prompt(logged_in, user):
    make_generation(user, prompt="a Lighthouse at dawn")
    make_generation(user, prompt="a harbour", negative_prompt="lighthouse, fog")
    make_generation(user, prompt="a harbour", actual_prompt="An old LIGHTHOUSE by the sea")
    make_generation(user, prompt="a meadow")

    response = logged_in.get("/", {"q": "lighthouse"})

    assert len(response.context["page"]) == 3
    assert "a meadow" not in response.content.decode()


def test_every_word_of_the_search_must_be_found(logged_in, user):
    make_generation(user, prompt="a red lighthouse")
    make_generation(user, prompt="a red barn")
    assert prompts(logged_in.get("/", {"q": "  red   lighthouse "})) == ["a red lighthouse"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"model": "wan2.5-t2i-preview"}, ["wan 2.5"]),
        ({"status": "FAILED"}, ["failed"]),
        ({"size": "1280x720"}, ["wide"]),
        ({"size": "1280*720"}, ["wide"]),
        ({"size": "1280×720"}, ["wide"]),
        ({"status": "SUCCEEDED", "size": "1024x1024"}, ["plain"]),
    ],
)
def test_it_filters_by_model_status_and_size(logged_in, user, query, expected):
    make_generation(user, prompt="plain", status=Generation.Status.SUCCEEDED)
    make_generation(user, prompt="failed", status=Generation.Status.FAILED)
    make_generation(user, prompt="wide", width=1280, height=720)
    make_generation(user, prompt="wan 2.5", model="wan2.5-t2i-preview", width=1280, height=1280)
    assert prompts(logged_in.get("/", query)) == expected


def test_the_date_range_counts_whole_days(logged_in, user):
    make_generation(user, prompt="sunday night", created_at=MONDAY - timedelta(microseconds=1))
    make_generation(user, prompt="monday morning", created_at=MONDAY)
    make_generation(user, prompt="monday night", created_at=MONDAY + timedelta(hours=23.99))
    make_generation(user, prompt="tuesday", created_at=MONDAY + timedelta(days=1))

    day = {"since": "2026-03-02", "until": "2026-03-02"}
    assert prompts(logged_in.get("/", day)) == ["monday night", "monday morning"]
    assert prompts(logged_in.get("/", {"since": "2026-03-03"})) == ["tuesday"]
    assert prompts(logged_in.get("/", {"until": "2026-03-01"})) == ["sunday night"]


def test_starred_only_shows_what_this_user_starred(logged_in, user, other_user, team):
    starred = make_generation(user, prompt="starred by alice", team=team)
    bobs_star = make_generation(user, prompt="starred by bob", team=team)
    Favourite.objects.create(user=user, generation=starred)
    Favourite.objects.create(user=other_user, generation=bobs_star)

    assert prompts(logged_in.get("/", {"starred": "on"})) == ["starred by alice"]
    team_url = f"/teams/{team.pk}/gallery/"
    assert prompts(logged_in.get(team_url, {"starred": "on"})) == ["starred by alice"]


def test_the_team_gallery_filters_by_author(client, team, user, other_user):
    make_generation(user, prompt="by alice", team=team)
    make_generation(other_user, prompt="by bob", team=team)
    client.force_login(team.viewer)

    response = client.get(f"/teams/{team.pk}/gallery/", {"author": "bob"})

    assert prompts(response) == ["by bob"]
    body = response.content.decode()
    assert '<option value="bob" selected>bob</option>' in body
    assert '<option value="carol">carol</option>' in body  # every member is offered


def test_mine_has_no_author_filter(logged_in, user):
    make_generation(user, prompt="mine")
    response = logged_in.get("/", {"author": "bob"})
    assert 'name="author"' not in response.content.decode()
    assert prompts(response) == ["mine"]


@pytest.mark.parametrize(
    ("review", "expected"),
    [("picked", ["picked"]), ("rejected", ["rejected"]), ("unreviewed", ["unreviewed"])],
)
def test_the_team_gallery_filters_by_review_marks(client, team, user, other_user, review, expected):
    picked = make_generation(user, prompt="picked", team=team)
    rejected = make_generation(user, prompt="rejected", team=team)
    make_generation(user, prompt="unreviewed", team=team)
    ReviewMark.objects.create(generation=picked, user=other_user, mark="picked")
    ReviewMark.objects.create(generation=rejected, user=other_user, mark="rejected")
    client.force_login(user)

    response = client.get(f"/teams/{team.pk}/gallery/", {"review": review})

    assert prompts(response) == expected


def test_the_order_is_newest_or_oldest_first(logged_in, user):
    make_generation(user, prompt="old", created_at=MONDAY)
    make_generation(user, prompt="new", created_at=MONDAY + timedelta(days=1))
    assert prompts(logged_in.get("/")) == ["new", "old"]
    assert prompts(logged_in.get("/", {"order": "oldest"})) == ["old", "new"]


def test_search_never_shows_what_the_user_may_not_see(client, user, other_user, team, outsider):
    make_generation(other_user, prompt="bob's private lighthouse")
    make_generation(outsider, prompt="mallory's lighthouse")
    make_generation(other_user, prompt="bob's shared lighthouse", team=team)
    client.force_login(user)

    assert prompts(client.get("/", {"q": "lighthouse"})) == []
    team_url = f"/teams/{team.pk}/gallery/"
    assert prompts(client.get(team_url, {"q": "lighthouse"})) == ["bob's shared lighthouse"]

    client.force_login(outsider)
    assert client.get(team_url, {"q": "lighthouse"}).status_code == 404
    assert client.get(team_url, {"q": "lighthouse"}, **HTMX).status_code == 404


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"model": "wanx9-t2i"}, "model", "Select a valid choice"),
        ({"status": "EXPLODED"}, "status", "Select a valid choice"),
        ({"size": "big"}, "size", "Write a size as width×height"),
        ({"size": "9" * 30}, "size", "at most 20 characters"),
        ({"since": "2026-13-01"}, "since", "Enter a valid date"),
        ({"since": "0001-01-01"}, "since", "greater than or equal to 1970-01-01"),
        ({"until": "9999-12-31"}, "until", "less than or equal to 9998-12-31"),
        ({"since": "2026-03-02", "until": "2026-03-01"}, "until", "end date is before the start"),
        ({"order": "sideways"}, "order", "Select a valid choice"),
        ({"after": "yesterday"}, "after", "link to a further page is damaged"),
        ({"q": "x" * 201}, "q", "at most 200 characters"),
        ({"q": "nul\x00byte"}, "q", "Null characters are not allowed"),
    ],
)
def test_a_wrong_filter_is_shown_at_its_field_and_left_out(logged_in, user, query, field, words):
    make_generation(user, prompt="a lighthouse", created_at=MONDAY)
    make_generation(user, prompt="a meadow", created_at=MONDAY - timedelta(days=1))

    response = logged_in.get("/", {**query, "q": "lighthouse", **query})

    assert response.status_code == 200
    assert words in " ".join(response.context["filters"].errors[field])
    assert "This filter was left out." in response.content.decode()
    if field != "q":  # the other filters still apply
        assert prompts(response) == ["a lighthouse"]


def test_an_unknown_author_is_a_field_error(client, team):
    client.force_login(team.viewer)
    response = client.get(f"/teams/{team.pk}/gallery/", {"author": "mallory"})
    assert response.status_code == 200
    assert "Select a valid choice" in " ".join(response.context["filters"].errors["author"])


def test_without_javascript_the_filters_are_a_plain_get_form(logged_in):
    body = logged_in.get("/").content.decode()
    form = re.search(r'<form id="review-filters"[^>]*>', body)[0]
    assert 'method="get"' in form and 'action="/"' in form
    assert 'hx-get="/"' in form and 'hx-target="#review-results"' in form
    assert 'hx-push-url="true"' in form
    assert '<div id="review-results"' in body


def test_an_htmx_request_gets_only_the_results_and_pushes_a_tidy_url(logged_in, user):
    make_generation(user, prompt="a lighthouse")
    make_generation(user, prompt="a meadow")
    query = {"q": "lighthouse", "model": "", "status": "", "size": "", "order": "newest"}

    response = logged_in.get(
        "/", query, headers={"HX-Request": "true", "HX-Target": "review-results"}
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="review-results"')
    assert "<html" not in body and 'id="prompt-form"' not in body
    assert "a lighthouse" in body and "a meadow" not in body
    assert response["HX-Push-Url"] == "/?q=lighthouse"
    assert "HX-Request" in response["Vary"]


def test_the_back_button_gets_the_full_page_when_htmx_has_no_copy(logged_in, user):
    make_generation(user, prompt="a lighthouse")
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    body = logged_in.get("/", {"q": "lighthouse"}, headers=headers).content.decode()
    assert "<html" in body and 'id="prompt-form"' in body and "a lighthouse" in body
    assert 'value="lighthouse"' in body  # the filters as they were


def test_load_more_walks_every_card_once_in_either_order(logged_in, user):
    # Ties on created_at are broken by id, so none is repeated or skipped across pages.
    Generation.objects.bulk_create(
        Generation(
            owner=user,
            model="wanx2.1-t2i-turbo",
            prompt=f"p{i}",
            width=1024,
            height=1024,
            created_at=MONDAY + timedelta(minutes=i // 3),
        )
        for i in range(60)
    )
    for order in ["newest", "oldest"]:
        seen, url = [], f"/?order={order}&q=p"
        while url:
            response = logged_in.get(url)
            seen += prompts(response)
            url = load_more_link(response)
        expected = sorted(Generation.objects.all(), key=lambda g: (g.created_at, g.pk))
        if order == "newest":
            expected.reverse()
        assert seen == [g.prompt for g in expected]


def test_load_more_keeps_the_filters_and_appends_the_next_cards(logged_in, user):
    for i in range(30):
        make_generation(user, prompt=f"lighthouse {i}")
    make_generation(user, prompt="a meadow")

    first = logged_in.get("/", {"q": "lighthouse"})
    link = load_more_link(first)
    assert link.startswith("/?q=lighthouse&after=")
    tag = re.search(r"<a [^>]*>Load more</a>", first.content.decode())[0]
    assert 'hx-target="#review-more"' in tag and 'hx-select="#review-more"' in tag
    assert 'hx-select-oob="#history:beforeend"' in tag

    more = logged_in.get(link, headers={"HX-Request": "true", "HX-Target": "review-more"})
    assert prompts(more) == [f"lighthouse {i}" for i in range(5, -1, -1)]
    assert load_more_link(more) is None
    assert "HX-Push-Url" not in more  # "load more" stays on the same address


def test_nothing_matching_says_so(logged_in, user):
    assert "Nothing yet: write a prompt" in logged_in.get("/").content.decode()
    make_generation(user, prompt="a meadow")
    body = logged_in.get("/", {"q": "lighthouse"}).content.decode()
    assert "Nothing matches these filters." in body


# Query counts. A page of cards takes the same number of queries whatever it holds: the
# images, stars and review counts come in a fixed number of queries, never one per card.


def make_cards(owner, count: int, team=None, start=MONDAY) -> list[Generation]:
    """`count` finished generations with two images each, starred and reviewed."""
    generations = Generation.objects.bulk_create(
        Generation(
            owner=owner,
            team=team,
            model="wanx2.1-t2i-turbo",
            prompt=f"lighthouse number {i}",
            actual_prompt=f"an extended lighthouse number {i}",
            width=1024,
            height=1024,
            n=2,
            status=Generation.Status.SUCCEEDED,
            created_at=start + timedelta(seconds=i),
        )
        for i in range(count)
    )
    GeneratedImage.objects.bulk_create(
        GeneratedImage(
            generation=g,
            index=index,
            original=f"generations/{g.pk}/{index}.png",
            thumbnail=f"generations/{g.pk}/{index}.thumb.webp",
            width=1024,
            height=1024,
        )
        for g in generations
        for index in range(2)
    )
    Favourite.objects.bulk_create(Favourite(user=owner, generation=g) for g in generations)
    if team:
        ReviewMark.objects.bulk_create(
            ReviewMark(generation=g, user=owner, mark="picked") for g in generations
        )
    return generations


def count_queries(client, url: str, **kwargs) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    assert not [q for q in queries if "COUNT(*)" in q["sql"]]  # no counting the whole table
    return len(queries)


HTMX = {"headers": {"HX-Request": "true", "HX-Target": "review-results"}}
MORE = {"headers": {"HX-Request": "true", "HX-Target": "review-more"}}
# Session, user, the page of generations (stars and review counts are subqueries in it), their
# images; on the full page also the menu's teams and the prompt form's (mine: its remembered
# settings, and the teams it may create into), or the team and its members (the author filter,
# plus one to look up the chosen author); on the full page, the current DashScope outage, and
# beside Generate the month so far (the person's and the chosen team's budgets, in one).
MINE_BUDGET = 11  # +1: the boards offered by the bulk bar; +1: the cards' reference images
TEAM_BUDGET = 15  # +3: the user's role, and the prompt form a member gets (as on mine)


@pytest.mark.parametrize("htmx", [False, True])
def test_the_queries_do_not_grow_with_the_cards_on_mine(logged_in, user, team, htmx):
    kwargs = HTMX if htmx else {}
    make_cards(user, 1, team=team)
    one = count_queries(logged_in, "/?starred=on", **kwargs)
    make_cards(user, 40, team=team, start=MONDAY + timedelta(days=1))
    many = count_queries(logged_in, "/?starred=on", **kwargs)

    assert one == many <= MINE_BUDGET
    assert len(logged_in.get("/?starred=on").context["page"]) == 24


@pytest.mark.parametrize("htmx", [False, True])
def test_the_queries_do_not_grow_with_the_cards_on_a_team(client, user, other_user, team, htmx):
    kwargs = HTMX if htmx else {}
    client.force_login(team.viewer)
    url = f"/teams/{team.pk}/gallery/?review=picked&q=lighthouse"
    make_cards(user, 1, team=team)
    one = count_queries(client, url, **kwargs)
    make_cards(other_user, 40, team=team, start=MONDAY + timedelta(days=1))
    many = count_queries(client, url, **kwargs)

    assert one == many <= TEAM_BUDGET


def test_ten_thousand_generations_stay_within_the_same_budget(
    client, user, other_user, team, django_assert_max_num_queries
):
    make_cards(user, 5_000, team=team)
    make_cards(other_user, 5_000, team=team, start=MONDAY + timedelta(days=1))
    client.force_login(user)
    team_url = f"/teams/{team.pk}/gallery/"

    for url, budget in [
        ("/", MINE_BUDGET),
        ("/?q=lighthouse&status=SUCCEEDED&size=1024x1024&starred=on", MINE_BUDGET),
        ("/?order=oldest&since=2026-03-02&until=2026-03-02", MINE_BUDGET),
        (team_url, TEAM_BUDGET),
        (f"{team_url}?author=bob&q=number+4&review=picked", TEAM_BUDGET),
        (f"{team_url}?order=oldest", TEAM_BUDGET),
    ]:
        with django_assert_max_num_queries(budget):
            response = client.get(url)
        assert len(response.context["page"]) == 24
        with django_assert_max_num_queries(budget):
            response = client.get(load_more_link(response), **MORE)  # a page further on
        assert len(response.context["page"]) == 24


# A team gallery's live poll: cards others make while it is open come in on top.

POLL = {"headers": {"HX-Request": "true", "HX-Target": "review-newer"}}


def poll_link(response) -> str | None:
    match = re.search(r'<div id="review-newer"[^>]*hx-get="([^"]+)"', response.content.decode())
    return match[1].replace("&amp;", "&") if match else None


def test_an_open_team_gallery_gets_the_cards_made_since_with_its_filters(
    client, team, user, other_user
):
    make_generation(user, team=team, prompt="lighthouse shown", created_at=MONDAY)
    client.force_login(user)
    page = client.get(f"/teams/{team.pk}/gallery/", {"q": "lighthouse"})
    assert prompts(page) == ["lighthouse shown"]
    link = poll_link(page)
    assert link.startswith(f"/teams/{team.pk}/gallery/?q=lighthouse&newer=")

    make_generation(other_user, team=team, prompt="lighthouse by bob")
    make_generation(other_user, team=team, prompt="meadow by bob")  # not under this search
    # made in the same microsecond as the newest shown: the id tells it is newer
    make_generation(other_user, team=team, prompt="lighthouse tied", created_at=MONDAY)
    make_generation(other_user, prompt="lighthouse private to bob")
    poll = client.get(link, **POLL)

    assert prompts(poll) == ["lighthouse by bob", "lighthouse tied"]
    assert "lighthouse shown" not in poll.content.decode()  # only what is new
    assert "HX-Push-Url" not in poll  # the address stays
    assert prompts(client.get(poll_link(poll), **POLL)) == []  # nothing new since


def test_the_poll_takes_a_flood_in_order_without_skipping_any(client, team, user, other_user):
    make_generation(user, team=team, prompt="first", created_at=MONDAY)
    client.force_login(user)
    link = poll_link(client.get(f"/teams/{team.pk}/gallery/"))
    for i in range(30):
        make_generation(other_user, team=team, prompt=f"new {i}", created_at=MONDAY + timedelta(i))

    poll = client.get(link, **POLL)
    assert prompts(poll) == [f"new {i}" for i in range(23, -1, -1)]  # newest on top
    assert prompts(client.get(poll_link(poll), **POLL)) == [f"new {i}" for i in range(29, 23, -1)]


def test_an_empty_team_gallery_polls_for_whatever_comes(client, team, user, other_user):
    client.force_login(user)
    assert poll_link(client.get(f"/teams/{team.pk}/gallery/")) == f"/teams/{team.pk}/gallery/"
    page = client.get(f"/teams/{team.pk}/gallery/", {"author": "bob"})
    assert prompts(page) == []
    link = poll_link(page)
    assert link == f"/teams/{team.pk}/gallery/?author=bob"

    make_generation(user, team=team, prompt="by alice")
    make_generation(other_user, team=team, prompt="by bob")
    poll = client.get(link, **POLL)
    assert prompts(poll) == ["by bob"]
    assert "&newer=" in poll_link(poll)


@pytest.mark.parametrize(
    "where",
    ["mine", "oldest first", "a further page"],
)
def test_only_the_top_of_a_newest_first_team_gallery_polls(logged_in, user, team, where):
    for i in range(30):
        make_generation(user, team=team, prompt=f"p{i}", created_at=MONDAY + timedelta(i))
    team_url = f"/teams/{team.pk}/gallery/"
    assert poll_link(logged_in.get(team_url)) is not None
    further = load_more_link(logged_in.get(team_url))
    url = {"mine": "/", "oldest first": f"{team_url}?order=oldest", "a further page": further}
    assert poll_link(logged_in.get(url[where])) is None


def test_the_poll_stays_within_the_team_budget(client, user, other_user, team):
    make_cards(user, 1, team=team)
    client.force_login(team.viewer)
    link = poll_link(client.get(f"/teams/{team.pk}/gallery/?review=picked"))
    make_cards(other_user, 40, team=team, start=MONDAY + timedelta(days=1))
    assert count_queries(client, link, **POLL) <= TEAM_BUDGET
    assert len(client.get(link, **POLL).context["page"]) == 24
