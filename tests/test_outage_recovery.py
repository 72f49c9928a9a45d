"""DashScope stops answering mid-run and comes back: a real qcluster, the simulator stopped and
started again on its port (remembering its tasks, as DashScope does)."""

import pytest

from gallery.models import Generation, Outage

from .conftest import process_env, slow
from .harness import QCluster, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), slow]
Status = Generation.Status
BANNER = "DashScope is not answering since"


def post_prompts(client, *prompts: str) -> None:
    for prompt in prompts:
        form = {"model": "wanx2.1-t2i-turbo", "prompt": prompt, "size": "1024*1024", "n": 1}
        assert client.post("/", form).status_code == 302


def statuses() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for prompt, status in Generation.objects.values_list("prompt", "status"):
        found.setdefault(status, []).append(prompt)
    return found


def test_work_waits_through_an_outage_in_view_of_everyone_and_finishes_once_dashscope_is_back(
    simulator, media_root, tmp_path, logged_in, client
):
    simulator.config.running_seconds = 3  # so that tasks are still running when it stops
    cluster = QCluster(
        process_env(
            simulator,
            media_root,
            DASHSCOPE_OUTAGE_AFTER_FAILURES="3",
            DASHSCOPE_OUTAGE_AFTER_SECONDS="1",
            DASHSCOPE_OUTAGE_PROBE_SECONDS="0.5",
        ),
        tmp_path / "qcluster.log",
    )
    cluster.start()
    try:
        post_prompts(logged_in, "before 1", "before 2")
        wait_until(
            lambda: Generation.objects.filter(status=Status.RUNNING).count() == 2, 30, statuses
        )

        simulator.stop()
        post_prompts(logged_in, "during 1", "during 2", "during 3")
        outage = wait_until(Outage.objects.current, 60, lambda: cluster.log()[-2000:])

        page = logged_in.get("/").content.decode()
        assert BANNER in page and "your work is kept and will continue" in page
        health = client.get("/healthz/worker")
        assert health.status_code == 200, health.json()  # what the check saw
        assert health.json()["dashscope"]["answering"] is False
        assert "ConnectionError" in health.json()["dashscope"]["cause"]
        active = Generation.objects.active().values_list("pk", flat=True)
        card = logged_in.get(f"/g/{active[0]}/card/", headers={"HX-Request": "true"})
        assert BANNER in card.content.decode()  # an open page learns it without a reload
        assert not Generation.objects.filter(status=Status.FAILED).exists()

        simulator.start()
        wait_until(
            lambda: Generation.objects.filter(status=Status.SUCCEEDED).count() == 5, 90, statuses
        )
    finally:
        cluster.kill()

    outage.refresh_from_db()
    assert outage.ended_at is not None
    assert BANNER not in logged_in.get("/").content.decode()
    assert client.get("/healthz/worker").json()["dashscope"]["answering"] is True
    assert simulator.stats()["submits"] == 5  # one each: nothing was sent twice
    log = cluster.log(since_start=True)
    assert log.count("DashScope is not answering since") == 1
    assert log.count("DashScope answers again") == 1
