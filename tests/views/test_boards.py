import re
from datetime import timedelta

import pytest
from django.utils import timezone

from gallery.models import Board, BoardItem, Favourite, Generation, ReviewMark

from ..factories import finished_generation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]
HTMX = {"HX-Request": "true"}


def add_url(generation, index=0) -> str:
    return f"/g/{generation.pk}/images/{index}/boards/"


@pytest.fixture
def personal(user) -> Board:
    return Board.objects.create(name="Alice picks", owner=user)


@pytest.fixture
def team_board(team) -> Board:
    return Board.objects.create(name="Harbour moodboard", team=team)


def test_creating_a_personal_board(client, user):
    client.force_login(user)
    response = client.post("/boards/", {"name": "Night skies", "team": ""})
    board = Board.objects.get()
    assert response.url == f"/boards/{board.pk}/"
    assert (board.owner, board.team) == (user, None)
    body = client.get("/boards/").content.decode()
    assert "Personal" in body and "Night skies" in body


@pytest.mark.parametrize("person", ["owner", "member"])
def test_owners_and_members_create_team_boards(client, team, user, other_user, person):
    client.force_login(user if person == "owner" else other_user)
    client.post("/boards/", {"name": "Harbour", "team": team.pk})
    board = Board.objects.get()
    assert (board.owner, board.team) == (None, team)


def test_a_viewer_cannot_create_a_team_board(client, team):
    client.force_login(team.viewer)
    assert f'<option value="{team.pk}">' not in client.get("/boards/").content.decode()
    response = client.post("/boards/", {"name": "Harbour", "team": team.pk})
    assert "Select a valid choice" in response.content.decode()
    assert not Board.objects.exists()


def test_the_boards_page_lists_your_boards_and_your_teams_boards(
    client, team, other_user, outsider, personal, team_board
):
    Board.objects.create(name="Bob own", owner=other_user)
    client.force_login(other_user)
    body = client.get("/boards/").content.decode()
    assert "Bob own" in body and "Harbour moodboard" in body and str(team) in body
    assert "Alice picks" not in body

    client.force_login(outsider)
    body = client.get("/boards/").content.decode()
    assert "Harbour moodboard" not in body and "No boards yet" in body


@pytest.mark.parametrize(
    ("board_kind", "person", "status"),
    [
        ("personal", "owner", 200),
        ("personal", "member", 404),
        ("personal", "outsider", 404),
        ("team", "owner", 200),
        ("team", "member", 200),
        ("team", "viewer", 200),
        ("team", "outsider", 404),
    ],
)
def test_who_sees_a_board(client, team, outsider, personal, team_board, board_kind, person, status):
    people = {"owner": team.owner, "member": None, "viewer": team.viewer, "outsider": outsider}
    people["member"] = team.memberships.get(role="member").user
    board = personal if board_kind == "personal" else team_board
    client.force_login(people[person])
    assert client.get(f"/boards/{board.pk}/").status_code == status


@pytest.mark.parametrize(
    ("board_kind", "person", "allowed"),
    [
        ("personal", "owner", True),
        ("personal", "member", False),
        ("team", "owner", True),
        ("team", "member", True),
        ("team", "viewer", False),
        ("team", "outsider", False),
    ],
)
def test_who_renames_and_deletes_a_board(
    client, team, other_user, outsider, personal, team_board, board_kind, person, allowed
):
    people = {"owner": team.owner, "member": other_user, "viewer": team.viewer}
    people["outsider"] = outsider
    board = personal if board_kind == "personal" else team_board
    client.force_login(people[person])

    page = client.get(f"/boards/{board.pk}/").content.decode()
    assert ("Rename" in page) is allowed
    response = client.post(f"/boards/{board.pk}/rename/", {"name": "Renamed"})
    board.refresh_from_db()
    assert (board.name == "Renamed") is allowed
    assert response.status_code == (302 if allowed else 404)

    response = client.post(f"/boards/{board.pk}/delete/")
    assert Board.objects.filter(pk=board.pk).exists() is not allowed
    assert response.status_code == (302 if allowed else 404)


def test_a_board_needs_a_name(client, user, personal):
    client.force_login(user)
    response = client.post(f"/boards/{personal.pk}/rename/", {"name": "  "})
    assert "This field is required" in response.content.decode()
    personal.refresh_from_db()
    assert personal.name == "Alice picks"


def test_deleting_a_board_keeps_its_images(client, user, personal):
    generation = finished_generation(user)
    BoardItem.objects.create(board=personal, image=generation.images.get())
    client.force_login(user)
    response = client.post(f"/boards/{personal.pk}/delete/")
    assert response.url == "/boards/"
    assert not BoardItem.objects.exists()
    assert client.get(generation.get_absolute_url()).status_code == 200


def test_adding_an_image_from_a_card_puts_it_on_the_board(client, user, personal):
    generation = finished_generation(user, n=2, prompt="gulls over the pier")
    client.force_login(user)

    response = client.post(add_url(generation, 1), {"board": personal.pk}, headers=HTMX)

    assert "Added to “Alice picks”" in response.content.decode()
    assert BoardItem.objects.get().image == generation.images.get(index=1)
    body = client.get(f"/boards/{personal.pk}/").content.decode()
    assert f"/g/{generation.pk}/images/1/thumbnail/" in body
    assert f"/g/{generation.pk}/images/1/original/" in body
    assert f'href="/g/{generation.pk}/images/1/"' in body and "gulls over the pier" in body
    assert f"/g/{generation.pk}/images/0/" not in body


def test_an_image_can_be_on_several_boards_but_once_on_each(client, user, team, team_board):
    other = Board.objects.create(name="Second", owner=user)
    generation = finished_generation(user, team=team)
    client.force_login(user)
    for board in [team_board, other, other]:
        client.post(add_url(generation), {"board": board.pk})
    assert set(BoardItem.objects.values_list("board__name", flat=True)) == {
        "Harbour moodboard",
        "Second",
    }
    response = client.post(add_url(generation), {"board": other.pk}, headers=HTMX)
    assert "Already on “Second”" in response.content.decode()


def test_without_js_adding_returns_to_the_page_it_came_from(client, user, personal):
    generation = finished_generation(user)
    client.force_login(user)
    response = client.post(add_url(generation), {"board": personal.pk, "next": "/?starred=on"})
    assert response.url == "/?starred=on"
    assert "Added to" in client.get("/").content.decode()  # said once, on the next page

    response = client.post(
        add_url(generation), {"board": personal.pk, "next": "https://evil.test/"}
    )
    assert response.url == f"/g/{generation.pk}/"  # never off-site


def test_a_member_adds_a_team_image_to_the_team_board(client, team, user, other_user, team_board):
    generation = finished_generation(user, team=team)
    client.force_login(other_user)
    client.post(add_url(generation), {"board": team_board.pk})
    client.force_login(team.viewer)
    assert (
        f"/g/{generation.pk}/images/0/thumbnail/"
        in client.get(f"/boards/{team_board.pk}/").content.decode()
    )


@pytest.mark.parametrize(
    ("person", "board_kind", "image_kind"),
    [
        ("viewer", "team", "team"),  # viewers cannot add to a team board
        ("member", "personal of alice", "team"),  # nobody adds to someone else's board
        ("outsider", "own", "team"),  # an image the person cannot see
        ("member", "own", "private of alice"),
        ("owner", "own", "trashed"),
    ],
)
def test_only_visible_images_go_only_on_boards_you_may_change(
    client, team, user, other_user, outsider, personal, team_board, person, board_kind, image_kind
):
    people = {"owner": user, "member": other_user, "viewer": team.viewer, "outsider": outsider}
    someone = people[person]
    boards = {
        "team": team_board,
        "personal of alice": personal,
        "own": Board.objects.create(name="Mine", owner=someone),
    }
    images = {
        "team": finished_generation(user, team=team),
        "private of alice": finished_generation(user),
        "trashed": finished_generation(user, deleted_at=timezone.now()),
    }
    client.force_login(someone)
    response = client.post(add_url(images[image_kind]), {"board": boards[board_kind].pk})
    assert response.status_code == 404
    assert not BoardItem.objects.exists()


def test_a_failed_image_cannot_be_added(client, user, personal):
    generation = finished_generation(user)
    generation.images.update(original="", error_code="DataInspectionFailed")
    client.force_login(user)
    assert client.post(add_url(generation), {"board": personal.pk}).status_code == 404


def test_a_card_offers_a_board_link_that_htmx_swaps_for_the_form(
    client, team, other_user, personal, team_board
):
    generation = finished_generation(other_user, team=team)
    BoardItem.objects.create(board=team_board, image=generation.images.get())
    mine = Board.objects.create(name="Bob own", owner=other_user)
    client.force_login(other_user)
    card = client.get(f"/g/{generation.pk}/card/", headers=HTMX).content.decode()
    assert f'hx-get="{add_url(generation)}"' in card  # a card that finished while shown

    form = client.get(add_url(generation), headers=HTMX).content.decode()
    assert f'<option value="{mine.pk}">' in form and f'<option value="{team_board.pk}">' in form
    assert f'<option value="{personal.pk}">' not in form  # alice's personal board
    assert "On <a" in form and "Harbour moodboard" in form  # where it already is

    client.force_login(team.viewer)
    form = client.get(add_url(generation), headers=HTMX).content.decode()
    assert f'<option value="{team_board.pk}">' not in form and "Create a board" in form


def test_without_js_the_board_link_opens_the_detail_page_with_a_form_per_image(
    client, user, personal
):
    generation = finished_generation(user, n=2)
    client.force_login(user)
    response = client.get(add_url(generation))
    assert response.url == f"/g/{generation.pk}/"
    body = client.get(response.url).content.decode()
    assert body.count(f'<option value="{personal.pk}">') == 2
    assert 'aria-label="Board for image 2"' in body


def test_removing_an_image_from_a_board(client, team, user, other_user, team_board):
    generation = finished_generation(user, team=team)
    item = BoardItem.objects.create(board=team_board, image=generation.images.get())
    url = f"/boards/{team_board.pk}/items/{item.pk}/remove/"

    client.force_login(team.viewer)
    assert client.post(url).status_code == 404
    client.force_login(other_user)
    response = client.post(url, headers=HTMX)
    assert response.status_code == 200 and response.content == b""  # the figure goes
    assert not BoardItem.objects.exists()
    assert client.get(generation.get_absolute_url()).status_code == 200  # the image stays


def test_without_js_removing_returns_to_the_board(client, user, personal):
    item = BoardItem.objects.create(board=personal, image=finished_generation(user).images.get())
    client.force_login(user)
    response = client.post(f"/boards/{personal.pk}/items/{item.pk}/remove/")
    assert response.url == f"/boards/{personal.pk}/"


def test_an_image_unshared_or_trashed_since_drops_out_of_the_team_board(
    client, team, user, other_user, team_board
):
    generation = finished_generation(other_user, team=team, prompt="harbour by bob")
    BoardItem.objects.create(board=team_board, image=generation.images.get())
    Generation.objects.filter(pk=generation.pk).update(team=None)

    client.force_login(user)
    body = client.get(f"/boards/{team_board.pk}/").content.decode()
    assert "harbour by bob" not in body and "0 images" in body
    assert "0 images" in client.get("/boards/").content.decode()
    client.force_login(other_user)  # still the author's
    assert "harbour by bob" in client.get(f"/boards/{team_board.pk}/").content.decode()

    Generation.objects.filter(pk=generation.pk).update(team=team, deleted_at=timezone.now())
    assert "harbour by bob" not in client.get(f"/boards/{team_board.pk}/").content.decode()


def load_more_link(body: str) -> str | None:
    match = re.search(r'<a href="([^"]+)"[^>]*>Load more</a>', body)
    return match[1].replace("&amp;", "&") if match else None


def tile_prompts(body: str) -> list[str]:
    return re.findall(r'<figure class="tile board-item[^>]*>.*?#\d+ ([^<]+)</p>', body, re.DOTALL)


def test_the_board_shows_the_newest_added_first_and_loads_more(client, user, personal):
    start = timezone.now() - timedelta(days=1)
    for i in range(50):
        image = finished_generation(user, prompt=f"wave {i:02}").images.get()
        BoardItem.objects.create(board=personal, image=image, added_at=start + timedelta(i))
    client.force_login(user)

    first = client.get(f"/boards/{personal.pk}/").content.decode()
    assert "50 images" in first
    assert tile_prompts(first) == [f"wave {i:02}" for i in range(49, 25, -1)]
    seen, link = tile_prompts(first), load_more_link(first)
    while link:
        more = client.get(link, headers={"HX-Request": "true", "HX-Target": "review-more"})
        seen += tile_prompts(more.content.decode())
        link = load_more_link(more.content.decode())
    assert seen == [f"wave {i:02}" for i in range(49, -1, -1)]

    oldest = client.get(f"/boards/{personal.pk}/", {"order": "oldest"}).content.decode()
    assert tile_prompts(oldest)[:2] == ["wave 00", "wave 01"]


def test_the_board_is_searched_and_filtered_like_every_list_page(client, user, personal):
    lighthouse = finished_generation(user, n=2, prompt="a lighthouse in fog")
    finished_generation(user, prompt="a lighthouse at noon")  # not on the board
    meadow = finished_generation(user, prompt="a meadow", width=1280, height=720)
    for image in [lighthouse.images.get(index=1), meadow.images.get()]:
        BoardItem.objects.create(board=personal, image=image)
    Favourite.objects.create(user=user, generation=meadow)
    client.force_login(user)
    url = f"/boards/{personal.pk}/"

    page = client.get(url, {"q": "lighthouse"}).content.decode()
    assert tile_prompts(page) == ["a lighthouse in fog"]
    assert 'id="review-filters"' in page and 'value="lighthouse"' in page
    assert f"/g/{lighthouse.pk}/images/1/thumbnail/" in page  # the image on the board
    assert f"/g/{lighthouse.pk}/images/0/" not in page  # not its sibling
    assert tile_prompts(client.get(url, {"starred": "on"}).content.decode()) == ["a meadow"]
    assert tile_prompts(client.get(url, {"size": "1280x720"}).content.decode()) == ["a meadow"]
    nothing = client.get(url, {"q": "harbour"}).content.decode()
    assert tile_prompts(nothing) == [] and "Nothing matches these filters." in nothing

    headers = {"HX-Request": "true", "HX-Target": "review-results"}
    response = client.get(url, {"q": "meadow", "model": ""}, headers=headers)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="review-results"') and "<html" not in body
    assert tile_prompts(body) == ["a meadow"]
    assert f'aria-label="Remove image 1 of #{meadow.pk} from the board"' in body
    assert response["HX-Push-Url"] == f"{url}?q=meadow"


def test_a_team_board_filters_by_author_and_review_a_personal_one_does_not(
    client, team, user, other_user, personal, team_board
):
    by_alice = finished_generation(user, team=team, prompt="by alice")
    by_bob = finished_generation(other_user, team=team, prompt="by bob")
    for generation in [by_alice, by_bob]:
        BoardItem.objects.create(board=team_board, image=generation.images.get())
        BoardItem.objects.create(board=personal, image=generation.images.get())
    ReviewMark.objects.create(generation=by_alice, user=other_user, mark="picked")
    client.force_login(user)

    team_url = f"/boards/{team_board.pk}/"
    assert tile_prompts(client.get(team_url, {"author": "bob"}).content.decode()) == ["by bob"]
    picked = client.get(team_url, {"review": "picked"}).content.decode()
    assert tile_prompts(picked) == ["by alice"]
    mine = client.get(f"/boards/{personal.pk}/").content.decode()
    assert 'name="author"' not in mine and 'name="review"' not in mine


def test_a_viewer_sees_the_team_boards_images_without_remove(client, team, user, team_board):
    BoardItem.objects.create(
        board=team_board, image=finished_generation(user, team=team).images.get()
    )
    client.force_login(team.viewer)
    body = client.get(f"/boards/{team_board.pk}/").content.decode()
    assert len(tile_prompts(body)) == 1 and ">Remove</button>" not in body
    assert "Download originals (ZIP)" not in body  # bulk actions take whole generations


def test_the_board_pages_queries_do_not_grow_with_its_images(
    client, team, user, other_user, team_board, django_assert_max_num_queries
):
    for i in range(30):
        owner = user if i % 2 else other_user
        BoardItem.objects.create(
            board=team_board, image=finished_generation(owner, team=team).images.get()
        )
        Board.objects.create(name=f"Board {i}", owner=user)
    client.force_login(user)
    with django_assert_max_num_queries(9):
        assert client.get(f"/boards/{team_board.pk}/").status_code == 200
    with django_assert_max_num_queries(7):
        body = client.get("/boards/").content.decode()
    assert "30 images" in body and "Board 29" in body


def test_a_board_filters_by_what_its_images_are_but_not_by_status(client, user, personal):
    client.force_login(user)
    body = client.get(f"/boards/{personal.pk}/").content.decode()
    assert 'name="model"' in body and 'name="status"' not in body
    assert 'name="status"' in client.get("/").content.decode()
