"""The card: what it shows while its generation is made and after, and what its buttons do:
star, cancel, check again, retry."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from gallery.dashscope.client import DashScopeClient
from gallery.dispatcher import Dispatcher
from gallery.models import Favourite, Generation, ReviewMark

from ..conftest import TEST_KEY, run_dispatcher
from ..factories import make_generation
from ..harness import wait_until

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
STARRED = 'aria-pressed="true"'
UNSTARRED = 'aria-pressed="false"'
Status = Generation.Status


def test_a_done_card_shows_thumbnails_that_open_the_lightbox_and_stops_polling(
    client, user, stored
):
    client.force_login(user)
    body = client.get(f"/g/{stored.pk}/card/").content.decode()
    assert f'href="/g/{stored.pk}/images/0/" data-lightbox' in body
    assert f'src="/g/{stored.pk}/images/0/thumbnail/"' in body
    assert "a lighthouse at dawn, soft light" in body
    assert "hx-trigger" not in body


def test_an_active_card_looks_again_just_after_the_next_check_of_its_task(client, user):
    client.force_login(user)
    poll_at = timezone.now() + timedelta(seconds=1.2)
    generation = make_generation(user, status=Generation.Status.RUNNING, poll_at=poll_at)
    asked = timezone.now()
    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    answered = timezone.now()
    assert f'hx-get="/g/{generation.pk}/card/"' in body and "Running" in body
    delay = timedelta(milliseconds=int(re.search(r"delay:(\d+)ms", body)[1]))
    # 150 ms after the check, counted from when the card was rendered (to the millisecond).
    after, rounding = timedelta(milliseconds=150), timedelta(milliseconds=1)
    assert poll_at - answered + after - rounding <= delay
    assert delay <= poll_at - asked + after + rounding


def test_a_card_being_saved_looks_again_soon(client, user):
    generation = make_generation(user, status=Generation.Status.DOWNLOADING)
    client.force_login(user)
    assert "delay:100ms" in client.get(f"/g/{generation.pk}/card/").content.decode()


def test_a_queued_card_says_it_waits_here_not_at_dashscope(client, user):
    generation = make_generation(user)
    client.force_login(user)
    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    assert "Queued here" in body and "delay:1000ms" in body


def test_a_card_long_queued_looks_less_often(client, user):
    """It waits for a slot that a whole task's run frees: asking every second only costs."""
    generation = make_generation(user)
    Generation.objects.filter(pk=generation.pk).update(
        created_at=timezone.now() - timedelta(seconds=6)
    )
    client.force_login(user)
    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    assert "Queued here" in body and "delay:3000ms" in body


def test_an_active_card_reloads_itself_with_three_queries(
    client, user, django_assert_max_num_queries
):
    """Every open card asks every second or so: the session, the user and the card, no more."""
    generation = make_generation(user, status=Generation.Status.RUNNING)
    client.force_login(user)
    with django_assert_max_num_queries(3):
        assert "Running" in client.get(f"/g/{generation.pk}/card/").content.decode()


def test_an_active_generations_tiles_reload_themselves_with_one_query_more_while_queued(
    client, user, settings, django_assert_max_num_queries
):
    """In a listing the placeholders say their place in the queue (a query while queued) and
    the usual time of the model's tasks (a query a minute, cached)."""
    settings.USUAL_TIME_CACHED_SECONDS = 60  # a model no other test asks the usual time of
    generation = make_generation(user, model="wanx2.0-t2i-turbo", status=Generation.Status.RUNNING)
    client.force_login(user)
    url = f"/g/{generation.pk}/card/?listed=1"
    client.get(url)  # the usual time, worked out once
    with django_assert_max_num_queries(3):
        assert "Running" in client.get(url).content.decode()
    generation.status = Generation.Status.QUEUED
    generation.save()
    with django_assert_max_num_queries(4):
        assert "Next to be sent" in client.get(url).content.decode()


def test_a_reloaded_team_card_keeps_the_review_counts_and_your_star(client, team, user, other_user):
    generation = make_generation(other_user, team=team, status=Generation.Status.SUCCEEDED)
    ReviewMark.objects.create(generation=generation, user=user, mark=ReviewMark.Mark.PICKED)
    ReviewMark.objects.create(generation=generation, user=other_user, mark=ReviewMark.Mark.PICKED)
    ReviewMark.objects.create(generation=generation, user=team.viewer, mark="rejected")
    Favourite.objects.create(generation=generation, user=user)
    client.force_login(user)
    body = client.get(f"/g/{generation.pk}/card/", headers={"HX-Request": "true"}).content.decode()
    assert "✓ 2 ✗ 1" in body and 'aria-pressed="true"' in body
    assert f"by {other_user.username}" in body


def test_a_failed_card_explains_in_plain_words_and_shows_dashscopes_code(client, user):
    generation = make_generation(
        user,
        status=Generation.Status.FAILED,
        error_code="DataInspectionFailed",
        error_message="Input data may contain inappropriate content.",
    )
    client.force_login(user)
    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    assert "content check flagged the prompt" in body
    assert (
        "DataInspectionFailed" in body and "Input data may contain inappropriate content." in body
    )


def star_url(generation) -> str:
    return f"/g/{generation.pk}/star/"


def test_starring_with_htmx_swaps_the_button(client, user):
    generation = make_generation(user)
    client.force_login(user)

    response = client.post(star_url(generation), {"starred": "1"}, headers=HTMX)

    body = response.content.decode()
    assert body.lstrip().startswith('<form method="post" action="/g/')  # just the button
    assert STARRED in body and "★" in body
    assert Favourite.objects.filter(user=user, generation=generation).exists()

    body = client.post(star_url(generation), {"starred": "0"}, headers=HTMX).content.decode()
    assert UNSTARRED in body and "☆" in body
    assert not Favourite.objects.exists()


def test_starring_twice_keeps_one_star(client, user):
    generation = make_generation(user)
    client.force_login(user)
    for _ in range(2):
        client.post(star_url(generation), {"starred": "1"})
    assert Favourite.objects.count() == 1


def test_without_js_starring_returns_to_the_page_it_came_from(client, user):
    generation = make_generation(user)
    client.force_login(user)
    response = client.post(star_url(generation), {"starred": "1", "next": "/?q=lighthouse"})
    assert response.url == "/?q=lighthouse"
    response = client.post(
        star_url(generation), {"starred": "0"}, headers={"referer": "http://testserver/trash/"}
    )
    assert response.url == "http://testserver/trash/"
    response = client.post(star_url(generation), {"starred": "1", "next": "//evil.test/"})
    assert response.url == f"/g/{generation.pk}/"


def test_stars_are_each_users_own(client, team, user, other_user):
    generation = make_generation(user, team=team)
    Favourite.objects.create(user=other_user, generation=generation)
    client.force_login(user)
    for url in ["/", f"/teams/{team.pk}/gallery/", f"/g/{generation.pk}/"]:
        body = client.get(url).content.decode()
        assert UNSTARRED in body and STARRED not in body
    client.force_login(other_user)
    for url in [f"/teams/{team.pk}/gallery/", f"/g/{generation.pk}/"]:
        assert STARRED in client.get(url).content.decode()


def test_a_viewer_may_star_what_they_see(client, team, user):
    generation = make_generation(user, team=team)
    client.force_login(team.viewer)
    client.post(star_url(generation), {"starred": "1"})
    assert Favourite.objects.filter(user=team.viewer).exists()


def test_a_polled_card_keeps_its_star(client, user):
    generation = make_generation(user, status=Generation.Status.RUNNING)
    Favourite.objects.create(user=user, generation=generation)
    client.force_login(user)
    assert STARRED in client.get(f"/g/{generation.pk}/card/").content.decode()


def test_the_favourites_link_shows_only_starred_generations(client, user):
    starred = make_generation(user, prompt="a starred lighthouse")
    make_generation(user, prompt="an ordinary harbour")
    Favourite.objects.create(user=user, generation=starred)
    client.force_login(user)
    home = client.get("/").content.decode()
    assert 'href="/?starred=on"' in home and "★ Favourites" in home

    body = client.get("/?starred=on").content.decode()
    assert "a starred lighthouse" in body and "an ordinary harbour" not in body


def test_favourited_by_is_a_reusable_filter(user, other_user):
    mine = make_generation(user)
    theirs = make_generation(user)
    Favourite.objects.create(user=user, generation=mine)
    Favourite.objects.create(user=other_user, generation=mine)
    Favourite.objects.create(user=other_user, generation=theirs)
    assert list(Generation.objects.favourited_by(user)) == [mine]  # once, though starred twice
    unstarred = make_generation(user)
    starred = {g: g.starred for g in Generation.objects.with_star(other_user)}
    assert starred == {mine: True, theirs: True, unstarred: False}


def test_a_generation_queued_here_is_cancelled_at_once(client, user):
    generation = make_generation(user)
    client.force_login(user)
    assert "Cancel" in client.get(f"/g/{generation.pk}/card/").content.decode()

    response = client.post(f"/g/{generation.pk}/cancel/", headers={"HX-Request": "true"})

    generation.refresh_from_db()
    assert generation.status == Status.CANCELED
    body = response.content.decode()
    assert "Cancelled before it was sent to DashScope" in body and "Cancelled" in body


def pending_at_dashscope(user, dashscope):
    generation = make_generation(user)
    task = DashScopeClient(dashscope.base_url, TEST_KEY).submit(generation.image_request())
    Generation.objects.filter(pk=generation.pk).update(
        status=Status.PENDING, task_id=task.task_id, submitted_at=timezone.now()
    )
    return generation, task.task_id


@pytest.mark.django_db(transaction=True)
def test_a_task_pending_at_dashscope_is_cancelled_there_by_the_worker(client, user, dashscope):
    dashscope.config.pending_seconds = 30
    generation, task_id = pending_at_dashscope(user, dashscope)
    client.force_login(user)

    response = client.post(f"/g/{generation.pk}/cancel/", headers=HTMX)

    # The web request only recorded it: DashScope has not been asked yet.
    assert dashscope.stats()["tasks"][task_id]["status"] == "PENDING"
    body = response.content.decode()
    assert '<span class="badge">Cancelling…</span>' in body
    assert "Cancel</button>" not in body
    assert "hx-trigger" in body  # it goes on reloading until DashScope has answered

    run_dispatcher()

    assert dashscope.stats()["tasks"][task_id]["status"] == "CANCELED"
    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    assert '<span class="badge">Cancelled</span>' in body
    generation.refresh_from_db()
    assert (generation.status, generation.error_code) == (Status.CANCELED, "Canceled")


@pytest.mark.django_db(transaction=True)
def test_a_task_dashscope_started_before_the_cancel_reached_it_runs_on_and_says_so(
    client, user, dashscope
):
    dashscope.config.pending_seconds = 0
    dashscope.config.running_seconds = 2
    generation, task_id = pending_at_dashscope(user, dashscope)
    client.force_login(user)
    client.post(f"/g/{generation.pk}/cancel/", headers=HTMX)

    dispatcher = Dispatcher()
    wait_until(
        lambda: (
            dispatcher.tick() is not None
            and Generation.objects.get(pk=generation.pk).cancel_refused
        ),
        20,
        lambda: Generation.objects.values("status", "cancel_request").get(pk=generation.pk),
    )
    dispatcher.pool.shutdown()

    body = client.get(f"/g/{generation.pk}/card/").content.decode()
    assert "Could not cancel: DashScope had already started it." in body
    assert "Cancel</button>" not in body
    run_dispatcher()
    assert Generation.objects.get(pk=generation.pk).status == Status.SUCCEEDED


def test_only_the_author_cancels(client, team, user, other_user):
    generation = make_generation(user, team=team)
    client.force_login(other_user)
    assert "Cancel</button>" not in client.get(f"/g/{generation.pk}/card/").content.decode()
    client.post(f"/g/{generation.pk}/cancel/")
    generation.refresh_from_db()
    assert generation.status == Status.QUEUED


def make_timed_out(user, submitted_hours_ago):
    return make_generation(
        user,
        status=Status.FAILED,
        error_code="TimedOut",
        task_id="t-1",
        submitted_at=timezone.now() - timedelta(hours=submitted_hours_ago),
    )


@pytest.fixture
def timed_out(user):
    return make_timed_out(user, submitted_hours_ago=1)


def test_recheck_puts_a_timed_out_task_back_under_watch(client, user, timed_out, take_queued_jobs):
    client.force_login(user)
    response = client.post(f"/g/{timed_out.pk}/recheck/", headers={"HX-Request": "true"})

    timed_out.refresh_from_db()
    assert (timed_out.status, timed_out.error_code) == (Status.RUNNING, "")
    assert "Running" in response.content.decode()
    assert [job["func"] for job in take_queued_jobs()] == ["gallery.tasks.dispatch"]


def test_a_timed_out_card_offers_the_check(client, user, timed_out):
    client.force_login(user)
    assert "Check again at DashScope" in client.get(f"/g/{timed_out.pk}/card/").content.decode()


def test_a_task_older_than_dashscope_keeps_it_cannot_be_rechecked(client, user):
    expired = make_timed_out(user, submitted_hours_ago=25)
    client.force_login(user)
    assert "Check again" not in client.get(f"/g/{expired.pk}/card/").content.decode()
    client.post(f"/g/{expired.pk}/recheck/")
    expired.refresh_from_db()
    assert expired.status == Status.FAILED


def test_recheck_leaves_other_failures_alone(client, user, take_queued_jobs):
    failed = make_generation(user, status=Status.FAILED, error_code="DataInspectionFailed")
    client.force_login(user)
    body = client.get(f"/g/{failed.pk}/card/").content.decode()
    assert "Check again" not in body

    client.post(f"/g/{failed.pk}/recheck/")

    failed.refresh_from_db()
    assert failed.status == Status.FAILED and not take_queued_jobs()


@pytest.fixture
def unknown_outcome(user):
    return make_generation(
        user,
        status=Status.FAILED,
        error_code="SubmitOutcomeUnknown",
        negative_prompt="fog",
        width=800,
        height=1200,
        n=3,
        seed=9,
        watermark=True,
    )


def test_retry_queues_a_new_generation_made_from_the_failed_one(
    client, user, unknown_outcome, take_queued_jobs
):
    client.force_login(user)
    body = client.get(f"/g/{unknown_outcome.pk}/card/").content.decode()
    assert "Try again" in body

    response = client.post(f"/g/{unknown_outcome.pk}/retry/")

    assert response.status_code == 302
    again = Generation.objects.exclude(pk=unknown_outcome.pk).get()
    assert (again.status, again.parent, again.owner) == (Status.QUEUED, unknown_outcome, user)
    assert again.image_request() == unknown_outcome.image_request()
    assert [job["func"] for job in take_queued_jobs()] == ["gallery.tasks.dispatch"]


def test_retry_does_not_copy_a_generation_still_in_flight(client, user):
    running = make_generation(user, status=Status.RUNNING)
    client.force_login(user)
    client.post(f"/g/{running.pk}/retry/")
    assert Generation.objects.count() == 1


@pytest.mark.parametrize("code", ["DataInspectionFailed", "IPInfringementSuspect", "Arrearage"])
def test_a_refusal_of_what_was_asked_is_tried_again_through_the_form_filled_in(
    client, user, code, take_queued_jobs
):
    refused = make_generation(
        user, prompt="a flagged lighthouse", seed=9, status=Status.FAILED, error_code=code
    )
    client.force_login(user)
    assert "Change and try again" in client.get(f"/g/{refused.pk}/card/").content.decode()

    response = client.post(f"/g/{refused.pk}/retry/", follow=True)

    assert Generation.objects.count() == 1 and take_queued_jobs() == []  # nothing resent
    form = response.context["form"]
    assert form["prompt"].value() == "a flagged lighthouse" and form["seed"].value() == 9
    assert form["remix"].value() == refused.pk


def test_a_cancelled_generation_says_so_plainly_without_an_error(client, user):
    cancelled = make_generation(user, status=Status.CANCELED, error_code="Canceled")
    client.force_login(user)
    body = client.get(f"/g/{cancelled.pk}/card/").content.decode()
    assert '<p class="notice">The generation was cancelled.</p>' in body
    assert 'role="alert"' not in body and "Code:" not in body
    assert "Try again" in body
