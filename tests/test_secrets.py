"""The DashScope API key never shows: not in any page or HTMX fragment of a whole generation
flow, not in the files served, the admin (q2's tasks and schedules too), error pages or logs
(this process's, and a real qcluster's and gunicorn's), and not in q2's task arguments and
results stored in the database."""

import logging

import pytest
from django.test import Client
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule, Task
from django_q.signing import SignedPackage
from django_q.tasks import _sync, async_task

from gallery import tasks
from gallery.models import GeneratedImage, Generation, Team

from .conftest import TEST_KEY, make_generation, served_bytes
from .harness import TIMEOUT, WebServer, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
Status = Generation.Status
HTMX = {"HX-Request": "true"}
FORM = {"model": "wanx2.1-t2i-turbo", "size": "1024*1024", "n": 2, "prompt_extend": "on"}


class Seen:
    """Everything a person, an admin or a log reader was shown, to grep for the key."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.texts: list[str] = []
        self.blobs: list[bytes] = []

    def get(self, url: str, headers: dict | None = None, status: int = 200):
        return self.take(self.client.get(url, headers=headers or {}), url, status)

    def post(self, url: str, data: dict, headers: dict | None = None, status: int = 200):
        return self.take(self.client.post(url, data, headers=headers or {}), url, status)

    def take(self, response, url: str, status: int):
        assert response.status_code == status, url
        if response.streaming:  # images, downloads, ZIPs
            body = b"".join(response.streaming_content)
            response.close()
        else:
            body = response.content
        self.blobs.append(body)
        self.texts.append(body.decode(errors="replace"))
        self.texts.append(str(response.headers))
        return response

    def image(self, url: str) -> None:
        """An image view's answer: the file, or (object storage) what its presigned URL holds."""
        response = self.client.get(url)
        self.blobs.append(served_bytes(response))
        self.texts.append(str(response.headers))

    def text(self) -> str:
        return "\n".join(self.texts)


def test_the_key_appears_nowhere_a_person_or_a_log_can_see(
    dashscope, client, admin_user, caplog, take_queued_jobs
):
    caplog.set_level(logging.DEBUG)
    dashscope.config.valid_keys = [TEST_KEY]
    team = Team.create("Harbour crew", owner=admin_user)
    client.force_login(admin_user)
    seen = Seen(client)

    # A whole flow: the form, a generation made through it (q2 runs inline), its card and pages
    seen.get("/")
    seen.post("/", {**FORM, "prompt": "a lighthouse", "team": team.pk}, HTMX)
    seen.post("/", {**FORM, "prompt": "a harbour"}, status=302)
    dashscope.config.valid_keys = ["sk-another-key"]  # now every call fails with InvalidApiKey
    seen.post("/", {**FORM, "prompt": "refused"}, HTMX)
    done = Generation.objects.get(prompt="a lighthouse")
    other = Generation.objects.get(prompt="a harbour")
    refused = Generation.objects.get(prompt="refused")
    assert done.status == other.status == Generation.Status.SUCCEEDED
    assert (refused.status, refused.error_code) == (Generation.Status.FAILED, "InvalidApiKey")
    seen.post(f"/g/{refused.pk}/retry/", {}, status=302)
    # a card still being made (after the last dispatcher run, which would poll it)
    running = make_generation(admin_user, status=Generation.Status.RUNNING, task_id="task-9")

    for generation in (done, other, refused, running):
        seen.get(f"/g/{generation.pk}/")
        seen.get(f"/g/{generation.pk}/card/", HTMX)
    for image in GeneratedImage.objects.filter(generation__in=[done, other]):
        base = f"/g/{image.generation_id}/images/{image.index}"
        seen.image(f"{base}/original/")
        seen.image(f"{base}/thumbnail/")
        seen.get(f"{base}/download/")
        seen.get(f"{base}/boards/", HTMX)
    seen.get("/?q=lighthouse", HTMX)
    seen.get(f"/compare/?a={done.pk}&b={other.pk}")
    seen.post("/bulk/", {"action": "zip", "ids": [done.pk, other.pk]})
    seen.post(f"/g/{done.pk}/star/", {"starred": "1"}, HTMX)
    for url in ("/boards/", "/teams/", f"/teams/{team.pk}/", f"/teams/{team.pk}/gallery/"):
        seen.get(url)

    # q2's own records: queued tasks (not run inline), a failed one, the schedules
    Conf.SYNC = False
    tasks.kick()
    async_task("gallery.tasks.store_results", done.pk)
    async_task("gallery.tasks.store_results", "not-an-id", task_name="fails")
    queued = take_queued_jobs()
    # Run as a cluster would, so its failure is recorded (sync mode raises it instead)
    _sync(SignedPackage.dumps(queued[-1]))
    Conf.SYNC = True
    assert len(queued) == 3 and Task.objects.filter(success=False).exists()

    # The admin: every list and every record of the generations and of q2
    admin_models = {
        "gallery/generation": Generation.objects.all(),
        "gallery/generatedimage": GeneratedImage.objects.all(),
        "django_q/success": Task.objects.filter(success=True),
        "django_q/failure": Task.objects.filter(success=False),
        "django_q/schedule": Schedule.objects.all(),
    }
    if Conf.ORM:  # q2's admin shows the queue only when it is in the database
        admin_models["django_q/ormq"] = OrmQ.objects.all()
    for path, records in admin_models.items():
        seen.get(f"/admin/{path}/")
        for record in records:
            seen.get(f"/admin/{path}/{record.pk}/change/")

    # What q2 keeps in the database, and what the logs said
    stored = [repr((t.func, t.args, t.kwargs, t.result)) for t in Task.objects.all()]
    stored += [repr(task) for task in queued]
    stored += [repr((s.func, s.args, s.kwargs)) for s in Schedule.objects.all()]
    everything = seen.text() + "\n".join(stored) + caplog.text

    assert "InvalidApiKey" in everything  # the failure itself is shown…
    assert "a lighthouse" in everything and len(stored) > 5  # …and all this was looked at…
    assert TEST_KEY not in everything  # …but never the key
    assert not any(TEST_KEY.encode() in blob for blob in seen.blobs)  # nor in a file served


@pytest.mark.urls("tests.security.urls")
def test_error_pages_never_show_the_key(dashscope, client, user):
    client.force_login(user)
    client.raise_request_exception = False
    seen = Seen(client)
    seen.get("/no/such/page/", status=404)
    seen.get("/_fail/403/", status=403)
    seen.get("/_fail/400/", status=400)
    seen.get("/", {"host": "wanxweb.evil.example"}, status=400)
    seen.get("/_fail/500/", status=500)  # an exception whose message holds the key
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    Seen.take(seen, strict.post("/", {"prompt": "no token"}), "/ (CSRF)", 403)

    assert TEST_KEY not in seen.text()


@pytest.fixture
def talkative(qcluster, tmp_path):
    """The qcluster started again at log level DEBUG, and gunicorn beside it logging every
    request at DEBUG too: their logs say all they would ever say."""
    qcluster.env["LOG_LEVEL"] = "DEBUG"
    qcluster.kill()
    qcluster.start()
    options = ("--access-logfile", "-", "--log-level", "debug")
    env = {**qcluster.env, "HTTPS": "false"}
    web = WebServer(env, tmp_path / "gunicorn.log", options=options)
    web.start()
    yield qcluster, web
    web.kill()


def test_the_key_is_in_no_log_of_the_worker_or_the_web_process(talkative, simulator, user):
    qcluster, web = talkative
    browser = web.log_in(user.username, "wonderland-2026")  # the `user` fixture's

    # A generation made through gunicorn and stored by the qcluster, then one DashScope refuses
    web.create(browser, "a lighthouse")
    done = wait_until(
        lambda: Generation.objects.filter(prompt="a lighthouse", status=Status.SUCCEEDED).first(),
        60,
        lambda: list(Generation.objects.values_list("status", "error_code")),
    )
    simulator.config.valid_keys = ["sk-another-key"]  # every call now fails with InvalidApiKey
    web.create(browser, "refused")
    refused = wait_until(
        lambda: Generation.objects.filter(prompt="refused", status=Status.FAILED).first(),
        60,
        lambda: list(Generation.objects.values_list("status", "error_code")),
    )
    assert refused.error_code == "InvalidApiKey"
    for generation in (done, refused):
        card = browser.get(f"{web.url}/g/{generation.pk}/card/", timeout=TIMEOUT)
        assert card.status_code == 200

    worker_log, web_log = qcluster.log(), web.log()
    # The logs tell of the whole flow (so the check below has something to read)…
    assert f"generation {done.pk} submitted as DashScope task {done.task_id}" in worker_log
    assert f"GET /results/{done.task_id}/0.png" in worker_log, worker_log
    assert "Processed 'gallery.tasks.store_results'" in worker_log, worker_log
    assert " 401 " in worker_log, worker_log  # DashScope's answer to the refused submit
    assert f"GET /g/{refused.pk}/card/" in web_log and "POST / " in web_log, web_log
    # …but never the key.
    assert TEST_KEY not in worker_log
    assert TEST_KEY not in web_log
