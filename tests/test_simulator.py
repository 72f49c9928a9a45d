"""The DashScope simulator answers like the API reference says (DashScope's API reference)."""

import argparse
import io
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from PIL import Image

from gallery.dashscope.simulator import (
    CONTROL_HEADER,
    SimulatorConfig,
    add_arguments,
    config_from_options,
)
from tests.conftest import TEST_KEY

AUTH = {"Authorization": f"Bearer {TEST_KEY}"}
HEADERS = {**AUTH, "X-DashScope-Async": "enable"}
CONTROL = {CONTROL_HEADER: "1"}
SUBMIT = "/services/aigc/text2image/image-synthesis"
TIME_FORMAT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}")
ROOT = Path(__file__).resolve().parent.parent


def submit(
    sim, prompt="a red fox in the snow", model="wanx2.1-t2i-turbo", headers=HEADERS, **params
):
    body = {"model": model, "input": {"prompt": prompt}, "parameters": params}
    return requests.post(sim.base_url + SUBMIT, json=body, headers=headers, timeout=5)


def submit_ok(sim, prompt="a red fox in the snow", **kwargs) -> str:
    response = submit(sim, prompt, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["output"]["task_id"]


def query(sim, task_id, headers=AUTH) -> requests.Response:
    return requests.get(f"{sim.base_url}/tasks/{task_id}", headers=headers, timeout=5)


def output(sim, task_id) -> dict:
    response = query(sim, task_id)
    assert response.status_code == 200, response.text
    return response.json()["output"]


def finished(sim, prompt="a red fox in the snow", **kwargs) -> dict:
    """The whole SUCCEEDED/FAILED body of a task that ends at once."""
    sim.config.pending_seconds = sim.config.running_seconds = 0
    task_id = submit_ok(sim, prompt, **kwargs)
    response = query(sim, task_id)
    assert response.json()["output"]["task_status"] in ("SUCCEEDED", "FAILED")
    return response.json()


def control_url(sim, name: str) -> str:
    return sim.base_url.replace("/api/v1", f"/_sim/{name}")


def download(url) -> bytes:
    response = requests.get(url, timeout=5)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "image/png"
    return response.content


def assert_error(response, status, code, message=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["request_id"]
    if message is not None:
        assert body["message"] == message
    return body


def unthrottled(sim):
    sim.config.concurrency_limit = 100
    sim.config.submit_rate = 0


class HandClock:
    """The simulator's clock, moved only by the test: a task leaves PENDING, a rate bucket
    refills or a task expires exactly when the test says, however busy the machine is."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(simulator) -> HandClock:
    """The simulator's time, standing still until the test advances it."""
    simulator.clock = hand = HandClock()
    return hand


# --- keys and headers ---------------------------------------------------------------------


def test_it_creates_a_pending_task(simulator):
    response = submit(simulator)
    assert response.status_code == 200
    body = response.json()
    assert body["output"]["task_status"] == "PENDING"
    assert re.fullmatch(r"[0-9a-f-]{36}", body["output"]["task_id"])
    assert body["request_id"]


@pytest.mark.parametrize("authorization", [None, "Bearer ", "Bearer abc-123", "sk-no-bearer"])
def test_it_rejects_a_missing_or_malformed_key(simulator, authorization):
    headers = {"X-DashScope-Async": "enable"}
    if authorization is not None:
        headers["Authorization"] = authorization
    assert_error(
        submit(simulator, headers=headers), 401, "InvalidApiKey", "Invalid API-key provided."
    )
    assert_error(query(simulator, "x", headers=headers), 401, "InvalidApiKey")


def test_it_accepts_only_the_listed_keys_when_told(simulator):
    simulator.config.valid_keys = ["sk-team"]
    assert_error(submit(simulator), 401, "InvalidApiKey")
    headers = {**HEADERS, "Authorization": "Bearer sk-team"}
    assert submit(simulator, headers=headers).status_code == 200


def test_it_rejects_a_missing_async_header(simulator):
    response = submit(simulator, headers=AUTH)
    message = "current user api does not support synchronous calls"
    assert_error(response, 403, "AccessDenied", message)


def test_it_answers_arrearage_to_every_call(simulator):
    task_id = submit_ok(simulator)
    simulator.config.arrearage = True
    message = "Access denied, please make sure your account is in good standing."
    assert_error(submit(simulator), 400, "Arrearage", message)
    assert_error(query(simulator, task_id), 400, "Arrearage")
    cancel = requests.post(f"{simulator.base_url}/tasks/{task_id}/cancel", headers=AUTH)
    assert_error(cancel, 400, "Arrearage")


@pytest.mark.usefixtures("clock")
def test_it_checks_in_the_documented_order(simulator):
    # Each pair breaks two rules at once; the earlier rule is the one reported.
    simulator.config.arrearage = True
    assert_error(submit(simulator, headers={}), 400, "Arrearage")
    simulator.config.arrearage = False
    assert_error(submit(simulator, headers={"X-DashScope-Async": "x"}), 401, "InvalidApiKey")
    assert_error(submit(simulator, model="nope", headers=AUTH), 403, "AccessDenied")
    assert_error(submit(simulator, "forbidden", model="nope"), 400, "InvalidParameter")
    submit_ok(simulator)
    submit_ok(simulator)
    assert_error(submit(simulator, "forbidden"), 400, "DataInspectionFailed")
    assert_error(submit(simulator), 429, "Throttling")  # full, and over the rate too


# --- request validation --------------------------------------------------------------------


def test_it_rejects_an_unknown_model(simulator):
    assert_error(submit(simulator, model="wanx9-t2i"), 400, "InvalidParameter", "Model not exist.")


def test_it_rejects_a_body_that_is_not_json(simulator):
    url = simulator.base_url + SUBMIT
    response = requests.post(url, data=b"{not json", headers=HEADERS, timeout=5)
    assert_error(response, 400, "InvalidParameter")


@pytest.mark.parametrize("task_input", [{}, {"prompt": ""}, {"prompt": "   "}, {"prompt": 5}])
def test_it_rejects_a_missing_or_empty_prompt(simulator, task_input):
    body = {"model": "wanx2.1-t2i-turbo", "input": task_input}
    response = requests.post(simulator.base_url + SUBMIT, json=body, headers=HEADERS, timeout=5)
    assert "prompt" in assert_error(response, 400, "InvalidParameter")["message"]


def test_it_allows_a_negative_prompt_of_at_most_500_characters(simulator):
    def with_negative(text):
        body = {"model": "wanx2.1-t2i-turbo", "input": {"prompt": "a fox", "negative_prompt": text}}
        return requests.post(simulator.base_url + SUBMIT, json=body, headers=HEADERS, timeout=5)

    assert with_negative("x" * 500).status_code == 200
    body = assert_error(with_negative("x" * 501), 400, "InvalidParameter")
    assert "negative_prompt" in body["message"]


@pytest.mark.parametrize(
    "size, problem",
    [
        ("512*1440", None),
        ("1440*512", None),
        ("1024*1024", None),
        ("511*1024", "512 to 1440"),
        ("1024*1441", "512 to 1440"),
        ("1024x1024", "1024*1024"),
        ("1024*", "1024*1024"),
        (1024, "1024*1024"),
    ],
)
def test_it_bounds_each_side_for_the_older_models(simulator, size, problem):
    unthrottled(simulator)
    for model in ("wanx2.1-t2i-turbo", "wan2.2-t2i-flash", "wanx2.0-t2i-turbo"):
        response = submit(simulator, model=model, size=size, n=1)
        if problem is None:
            assert response.status_code == 200, response.text
        else:
            assert problem in assert_error(response, 400, "InvalidParameter")["message"]


@pytest.mark.parametrize(
    "size, problem",
    [
        ("1280*1280", None),
        ("1440*1440", None),
        ("2880*720", None),  # 4:1 and exactly 1440*1440 pixels
        ("720*2880", None),
        ("1279*1280", "pixels"),
        ("1441*1440", "pixels"),
        ("768*768", "pixels"),  # allowed by the older docs, not by 2026's
        ("512*512", "pixels"),  # fine for the older models, too small for wan2.5
        ("2880*700", "aspect ratio"),
    ],
)
def test_it_bounds_pixels_and_aspect_ratio_for_wan25(simulator, size, problem):
    response = submit(simulator, model="wan2.5-t2i-preview", size=size, n=1)
    if problem is None:
        assert response.status_code == 200, response.text
    else:
        assert problem in assert_error(response, 400, "InvalidParameter")["message"]


@pytest.mark.parametrize("n", [0, 5, -1, "2", 2.5, True])
def test_it_rejects_n_outside_one_to_four(simulator, n):
    assert (
        "parameters.n" in assert_error(submit(simulator, n=n), 400, "InvalidParameter")["message"]
    )


@pytest.mark.parametrize("seed", [-1, 2147483648, "7", 1.5])
def test_it_rejects_a_seed_outside_its_range(simulator, seed):
    body = assert_error(submit(simulator, seed=seed), 400, "InvalidParameter")
    assert "parameters.seed" in body["message"]


@pytest.mark.parametrize("flag", ["prompt_extend", "watermark"])
def test_it_rejects_flags_that_are_not_booleans(simulator, flag):
    body = assert_error(submit(simulator, **{flag: "yes"}), 400, "InvalidParameter")
    assert flag in body["message"]


def test_it_makes_four_images_of_the_default_size_by_default(simulator):
    body = finished(simulator)
    assert body["output"]["task_metrics"]["TOTAL"] == 4
    assert body["usage"] == {"image_count": 4}
    image = Image.open(io.BytesIO(download(body["output"]["results"][0]["url"])))
    assert image.size == (1024, 1024)


def test_it_cuts_a_prompt_longer_than_the_model_allows(simulator):
    unthrottled(simulator)
    long_prompt = "a fox " * 400  # 2400 characters
    turbo = finished(simulator, long_prompt, n=1)["output"]["results"][0]
    assert turbo["orig_prompt"] == long_prompt[:500]
    wan25 = finished(simulator, long_prompt, model="wan2.5-t2i-preview", n=1)
    assert wan25["output"]["results"][0]["orig_prompt"] == long_prompt[:2000]


def test_it_refuses_a_prompt_with_the_inspection_word_at_submit(simulator):
    response = submit(simulator, "A FORBIDDEN fox")
    message = "Input data may contain inappropriate content."
    assert_error(response, 400, "DataInspectionFailed", message)
    assert simulator.stats()["submits"] == 0


# --- life cycle ---------------------------------------------------------------------------


def test_a_task_goes_from_pending_to_running_to_succeeded(simulator, clock):
    task_id = submit_ok(simulator, n=2)  # PENDING for 0.2 s, then RUNNING for 0.5 s
    clock.advance(0.19)
    pending = output(simulator, task_id)
    assert pending["task_status"] == "PENDING"
    assert pending["task_metrics"] == {"TOTAL": 2, "SUCCEEDED": 0, "FAILED": 0}
    assert "scheduled_time" not in pending and "results" not in pending

    clock.advance(0.02)
    running = output(simulator, task_id)
    assert running["task_status"] == "RUNNING"
    assert TIME_FORMAT.fullmatch(running["scheduled_time"])
    assert "end_time" not in running
    clock.advance(0.48)
    assert output(simulator, task_id)["task_status"] == "RUNNING"

    clock.advance(0.02)
    body = query(simulator, task_id).json()
    done = body["output"]
    assert done["task_status"] == "SUCCEEDED"
    assert set(done) == {
        "task_id",
        "task_status",
        "submit_time",
        "scheduled_time",
        "end_time",
        "results",
        "task_metrics",
    }
    assert done["task_metrics"] == {"TOTAL": 2, "SUCCEEDED": 2, "FAILED": 0}
    assert body["usage"] == {"image_count": 2}
    assert body["request_id"]
    assert all(set(r) == {"orig_prompt", "actual_prompt", "url"} for r in done["results"])
    assert done["submit_time"] < done["scheduled_time"] < done["end_time"]


def test_times_are_beijing_local_strings(simulator):
    done = finished(simulator)["output"]
    beijing_now = datetime.now(timezone(timedelta(hours=8))).replace(tzinfo=None)
    for name in ("submit_time", "scheduled_time", "end_time"):
        assert TIME_FORMAT.fullmatch(done[name])
        stamp = datetime.strptime(done[name], "%Y-%m-%d %H:%M:%S.%f")
        assert abs(stamp - beijing_now) < timedelta(seconds=5)


def test_actual_prompt_appears_only_with_prompt_extend(simulator):
    unthrottled(simulator)
    extended = finished(simulator, "a fox", n=1)["output"]["results"][0]
    assert extended["actual_prompt"].startswith("a fox, ")
    again = finished(simulator, "a fox", n=1)["output"]["results"][0]
    assert again["actual_prompt"] == extended["actual_prompt"]
    plain = finished(simulator, "a fox", n=1, prompt_extend=False)["output"]["results"][0]
    assert "actual_prompt" not in plain
    assert plain["orig_prompt"] == "a fox"


def test_running_time_grows_with_prompt_extend_and_varies_with_jitter(simulator, clock):
    unthrottled(simulator)
    config = simulator.config
    config.pending_seconds, config.running_seconds = 0, 0.1
    config.extend_seconds, config.running_jitter = 0.3, 0.05
    extended = [submit_ok(simulator, n=1) for _ in range(4)]
    plain = [submit_ok(simulator, n=1, prompt_extend=False) for _ in range(4)]
    clock.advance(0.5)  # every task has ended
    tasks = simulator.stats()["tasks"]
    running = {task_id: t["ended_at"] - t["started_at"] for task_id, t in tasks.items()}
    assert all(0.35 <= running[task_id] <= 0.45 for task_id in extended)
    assert all(0.05 <= running[task_id] <= 0.15 for task_id in plain)
    assert len(set(running.values())) == 8


# --- images -------------------------------------------------------------------------------


def test_the_result_is_a_png_of_the_requested_size(simulator):
    result = finished(simulator, size="1280*720", n=1)["output"]["results"][0]
    image = Image.open(io.BytesIO(download(result["url"])))
    assert image.format == "PNG"
    assert image.size == (1280, 720)


def test_images_follow_prompt_and_seed_and_image_i_uses_seed_plus_i(simulator):
    unthrottled(simulator)

    def images(prompt, seed, n=1):
        results = finished(simulator, prompt, seed=seed, n=n, size="512*512")["output"]["results"]
        return [download(r["url"]) for r in results]

    first, second = images("a fox", 7, n=2)
    assert images("a fox", 7) == [first]
    assert images("a fox", 8) == [second]
    assert first != second
    assert images("a wolf", 7) != [first]


def test_a_missing_seed_gives_a_random_one(simulator):
    unthrottled(simulator)
    urls = [finished(simulator, "a fox", n=1)["output"]["results"][0]["url"] for _ in range(2)]
    assert download(urls[0]) != download(urls[1])


def test_the_watermark_marks_the_bottom_right_corner(simulator):
    unthrottled(simulator)

    def image(watermark):
        body = finished(simulator, "a fox", seed=1, n=1, size="512*512", watermark=watermark)
        return Image.open(io.BytesIO(download(body["output"]["results"][0]["url"]))).convert("RGB")

    plain, marked = image(False), image(True)
    assert plain.crop((0, 0, 256, 256)).tobytes() == marked.crop((0, 0, 256, 256)).tobytes()
    assert plain.crop((448, 448, 512, 512)).tobytes() != marked.crop((448, 448, 512, 512)).tobytes()


def test_result_urls_use_the_host_the_client_used(simulator):
    simulator.config.pending_seconds = simulator.config.running_seconds = 0
    task_id = submit_ok(simulator, n=1)
    headers = {**AUTH, "Host": "sim.example:8080"}
    url = query(simulator, task_id, headers=headers).json()["output"]["results"][0]["url"]
    assert url.startswith(f"http://sim.example:8080/results/{task_id}/0.png?Expires=")


def test_an_expired_result_url_answers_403_like_oss(simulator):
    simulator.config.url_ttl_seconds = 0
    url = finished(simulator, n=1)["output"]["results"][0]["url"]
    response = requests.get(url, timeout=5)
    assert response.status_code == 403
    assert "xml" in response.headers["Content-Type"]
    assert "<Code>AccessDenied</Code>" in response.text
    assert "<Message>Request has expired.</Message>" in response.text


def test_a_tampered_result_url_answers_403(simulator):
    url = finished(simulator, n=1)["output"]["results"][0]["url"]
    response = requests.get(url[:-4] + "0000", timeout=5)
    assert response.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in response.text
    other_image = url.replace("/0.png", "/1.png")
    assert requests.get(other_image, timeout=5).status_code == 403


# --- limits -------------------------------------------------------------------------------


@pytest.mark.usefixtures("clock")
def test_it_limits_unfinished_tasks_per_key_and_model(simulator):
    simulator.config.submit_rate = 0
    first = submit_ok(simulator)
    submit_ok(simulator)
    message = "Requests throttling triggered."
    assert_error(submit(simulator), 429, "Throttling", message)
    submit_ok(simulator, model="wanx2.1-t2i-plus")
    submit_ok(simulator, headers={**HEADERS, "Authorization": "Bearer sk-other"})
    requests.post(f"{simulator.base_url}/tasks/{first}/cancel", headers=AUTH, timeout=5)
    submit_ok(simulator)  # the canceled task freed its slot
    assert simulator.stats()["max_concurrent"] == 2


def test_it_limits_the_submit_rate(simulator, clock):
    simulator.config.concurrency_limit = 100
    submit_ok(simulator)
    submit_ok(simulator)
    message = "Requests rate limit exceeded, please try again later."
    assert_error(submit(simulator), 429, "Throttling.RateQuota", message)
    submit_ok(simulator, model="wanx2.1-t2i-plus")  # each model has its own rate
    clock.advance(0.3)  # two submits a second: 0.6 of a submit back
    assert_error(submit(simulator), 429, "Throttling.RateQuota")
    clock.advance(0.25)
    submit_ok(simulator)


@pytest.mark.usefixtures("clock")
def test_it_limits_the_query_rate(simulator):
    simulator.config.query_rate = 3
    task_id = submit_ok(simulator)
    statuses = [query(simulator, task_id).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert_error(query(simulator, task_id), 429, "Throttling.RateQuota")


# --- UNKNOWN, expiry and cancel ----------------------------------------------------------------


def test_an_unknown_task_id_answers_unknown(simulator):
    body = query(simulator, "no-such-task").json()
    assert body["output"] == {"task_id": "no-such-task", "task_status": "UNKNOWN"}
    assert body["request_id"]


def test_a_task_answers_unknown_after_the_task_ttl(simulator, clock):
    simulator.config.task_ttl_seconds = 0.1
    task_id = submit_ok(simulator)
    clock.advance(0.09)
    assert output(simulator, task_id)["task_status"] == "PENDING"
    clock.advance(0.02)
    assert output(simulator, task_id)["task_status"] == "UNKNOWN"


def test_it_cancels_a_pending_task(simulator, clock):
    task_id = submit_ok(simulator)
    response = requests.post(f"{simulator.base_url}/tasks/{task_id}/cancel", headers=AUTH)
    assert response.status_code == 200
    assert set(response.json()) == {"request_id"}
    clock.advance(0.25)  # past the pending time: it stays canceled
    canceled = output(simulator, task_id)
    assert canceled["task_status"] == "CANCELED"
    assert TIME_FORMAT.fullmatch(canceled["end_time"])
    assert "scheduled_time" not in canceled and "results" not in canceled


@pytest.mark.parametrize("pending", [0.0, None])
def test_it_refuses_to_cancel_a_task_that_is_not_pending(simulator, pending):
    simulator.config.pending_seconds = 0
    task_id = submit_ok(simulator) if pending is not None else "no-such-task"
    response = requests.post(f"{simulator.base_url}/tasks/{task_id}/cancel", headers=AUTH)
    message = "Failed to cancel the task, please confirm if the task is in PENDING status."
    assert_error(response, 400, "UnsupportedOperation", message)


# --- failures -----------------------------------------------------------------------------


def test_partial_failure_fails_the_last_image_and_bills_only_the_good_ones(simulator):
    simulator.config.partial_failure = True
    body = finished(simulator, n=3)
    done = body["output"]
    assert done["task_status"] == "SUCCEEDED"
    assert done["results"][2] == {
        "code": "InternalError.Timeout",
        "message": "An internal timeout error has occurred.",
    }
    assert all("url" in r for r in done["results"][:2])
    assert done["task_metrics"] == {"TOTAL": 3, "SUCCEEDED": 2, "FAILED": 1}
    assert body["usage"] == {"image_count": 2}


def test_partial_failure_spares_a_single_image(simulator):
    simulator.config.partial_failure = True
    assert finished(simulator, n=1)["usage"] == {"image_count": 1}


def test_the_output_inspection_word_ends_the_task_failed(simulator):
    body = finished(simulator, "a fox, NSFW-output please", n=2)
    done = body["output"]
    assert done["task_status"] == "FAILED"
    assert done["code"] == "DataInspectionFailed"
    assert done["message"] == "Output data may contain inappropriate content."
    assert "results" not in done and "usage" not in body
    assert TIME_FORMAT.fullmatch(done["end_time"])


# --- fault injection ----------------------------------------------------------------------


def test_error_rate_answers_500_internal_error(simulator):
    simulator.config.error_rate_5xx = 1.0
    body = assert_error(submit(simulator), 500, "InternalError")
    assert body["message"]
    assert simulator.stats()["submits"] == 0
    assert simulator.stats()["rejected"] == {"InternalError": 1}


def test_slow_rate_delays_the_answer(simulator):
    simulator.config.slow_rate = 1.0
    simulator.config.slow_seconds = 0.3
    started = time.monotonic()
    assert submit(simulator).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_reset_rate_drops_the_connection(simulator):
    simulator.config.reset_rate = 1.0
    with pytest.raises(requests.ConnectionError):
        submit(simulator)


def test_malformed_rate_answers_200_with_a_body_that_is_not_json(simulator):
    simulator.config.malformed_rate = 1.0
    response = query(simulator, "any")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


@pytest.mark.usefixtures("clock")
def test_unknown_rate_answers_unknown_for_a_live_task(simulator):
    task_id = submit_ok(simulator)
    simulator.config.unknown_rate = 1.0
    assert output(simulator, task_id)["task_status"] == "UNKNOWN"
    simulator.config.unknown_rate = 0.0
    assert output(simulator, task_id)["task_status"] == "PENDING"


def test_faults_spare_downloads_and_controls(simulator):
    url = finished(simulator, n=1)["output"]["results"][0]["url"]
    simulator.config.error_rate_5xx = simulator.config.reset_rate = 1.0
    assert download(url)
    assert requests.get(control_url(simulator, "stats")).status_code == 200


def test_a_random_seed_makes_faults_repeatable(simulator):
    simulator.config.random_seed = 42
    simulator.config.error_rate_5xx = 0.5
    simulator.reset()
    first = [query(simulator, "x").status_code for _ in range(12)]
    simulator.reset()
    assert [query(simulator, "x").status_code for _ in range(12)] == first
    assert set(first) == {200, 500}


# --- control endpoints, stats and listing -----------------------------------------------------


@pytest.mark.usefixtures("clock")
def test_stats_count_submits_polls_and_rejections(simulator):
    task_id = submit_ok(simulator, "a fox", n=3)
    submit(simulator, model="nope")
    query(simulator, task_id)
    query(simulator, task_id)
    stats = simulator.stats()
    assert stats["submits"] == 1
    assert stats["submits_by_key"] == {TEST_KEY: 1}
    assert stats["rejected"] == {"InvalidParameter": 1}
    assert stats["gets"] == 2
    assert stats["gets_by_task"] == {task_id: 2}
    task = stats["tasks"][task_id]
    assert {name: task[name] for name in ("status", "model", "n", "prompt")} == {
        "status": "PENDING",
        "model": "wanx2.1-t2i-turbo",
        "n": 3,
        "prompt": "a fox",
    }
    assert task["started_at"] is None and task["ended_at"] is None
    assert task["submitted_at"] == pytest.approx(time.time(), abs=5)


def test_control_endpoints_show_stats_change_config_and_reset(simulator):
    def change(changes):
        return requests.post(control_url(simulator, "config"), json=changes, headers=CONTROL)

    task_id = submit_ok(simulator)
    assert requests.get(control_url(simulator, "stats")).json()["submits"] == 1

    changed = change({"concurrency_limit": 1, "arrearage": True})
    assert changed.status_code == 200
    assert simulator.config.concurrency_limit == 1 and simulator.config.arrearage
    assert change({"no_such_knob": 1}).status_code == 400
    assert change({"arrearage": "yes"}).status_code == 400
    change({"arrearage": False})

    reset = requests.post(control_url(simulator, "reset"), json={}, headers=CONTROL)
    assert reset.status_code == 200
    assert requests.get(control_url(simulator, "stats")).json()["submits"] == 0
    assert output(simulator, task_id)["task_status"] == "UNKNOWN"


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize(
    "headers, status",
    [
        ({"Content-Type": "text/plain"}, 415),  # what any web page may send to localhost
        ({"Content-Type": "text/plain", **CONTROL}, 415),
        ({"Content-Type": "application/json"}, 403),
    ],
    ids=["text", "text-with-header", "json-without-header"],
)
def test_controls_refuse_posts_a_web_page_could_send_and_change_nothing(simulator, headers, status):
    task_id = submit_ok(simulator)
    config = requests.get(control_url(simulator, "config")).json()
    body = '{"arrearage": true}'
    for name in ("config", "reset"):
        refused = requests.post(control_url(simulator, name), body, headers=headers)
        assert refused.status_code == status
        assert "error" in refused.json()
    assert requests.get(control_url(simulator, "config")).json() == config
    assert output(simulator, task_id)["task_status"] == "PENDING"  # no Arrearage, no reset


def test_the_simulator_allows_no_cross_origin_calls(simulator):
    origin = {"Origin": "http://example.com"}
    preflight = {**origin, "Access-Control-Request-Method": "POST"}
    answers = [
        requests.options(control_url(simulator, "config"), headers=preflight),
        requests.get(control_url(simulator, "stats"), headers=origin),
        requests.post(control_url(simulator, "reset"), json={}, headers={**origin, **CONTROL}),
    ]
    assert [h for a in answers for h in a.headers if h.lower().startswith("access-control-")] == []
    assert answers[0].status_code != 200


def test_it_lists_tasks_by_status_and_model_in_pages(simulator):
    unthrottled(simulator)
    simulator.config.pending_seconds = 10
    ids = [submit_ok(simulator) for _ in range(3)]
    submit_ok(simulator, model="wanx2.1-t2i-plus")
    requests.post(f"{simulator.base_url}/tasks/{ids[0]}/cancel", headers=AUTH)

    def listing(**params):
        response = requests.get(f"{simulator.base_url}/tasks", params=params, headers=AUTH)
        assert response.status_code == 200
        return response.json()

    assert listing()["total"] == 4
    pending = listing(status="PENDING", model_name="wanx2.1-t2i-turbo", page_size=1, page_no=2)
    assert (pending["total"], pending["page_no"], pending["page_size"]) == (2, 2, 1)
    assert [row["task_id"] for row in pending["data"]] == [ids[1]]  # newest first
    assert [row["task_id"] for row in listing(status="CANCELED")["data"]] == [ids[0]]


def test_it_lists_only_tasks_submitted_in_the_given_window(simulator):
    unthrottled(simulator)
    task_id = submit_ok(simulator)

    def listed(start_time, end_time):
        params = {"start_time": start_time, "end_time": end_time}
        response = requests.get(f"{simulator.base_url}/tasks", params=params, headers=AUTH)
        assert response.status_code == 200
        return [row["task_id"] for row in response.json()["data"]]

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    assert listed(f"{now:%Y}0101000000", f"{now.year + 1}0101000000") == [task_id]
    assert listed(f"{now.year - 1}0101000000", f"{now.year - 1}1231235959") == []
    response = requests.get(
        f"{simulator.base_url}/tasks", params={"start_time": "yesterday"}, headers=AUTH
    )
    assert (response.status_code, response.json()["code"]) == (400, "InvalidParameter")


# --- command line --------------------------------------------------------------------------


def test_every_config_field_has_a_command_line_flag():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert config_from_options(vars(parser.parse_args([]))) == SimulatorConfig()
    argv = "--pending-seconds 1.5 --concurrency-limit 3 --partial-failure --valid-keys sk-a sk-b"
    config = config_from_options(vars(parser.parse_args([*argv.split(), "--random-seed", "7"])))
    assert config == SimulatorConfig(
        pending_seconds=1.5,
        concurrency_limit=3,
        partial_failure=True,
        valid_keys=["sk-a", "sk-b"],
        random_seed=7,
    )


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "gallery.dashscope.simulator"],
        [sys.executable, "manage.py", "dashscope_simulator"],
    ],
    ids=["module", "django"],
)
def test_the_command_line_serves_until_stopped(command):
    process = subprocess.Popen(
        [*command, "--port", "0", "--pending-seconds", "0.1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = re.search(r"http://\S+/api/v1", process.stdout.readline())[0]
        body = {"model": "wanx2.1-t2i-turbo", "input": {"prompt": "a fox"}}
        response = requests.post(base_url + SUBMIT, json=body, headers=HEADERS, timeout=5)
        assert response.status_code == 200
        config = requests.get(base_url.replace("/api/v1", "/_sim/config"), timeout=5).json()
        assert config["pending_seconds"] == 0.1
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_the_simulator_does_not_import_django():
    code = "import sys, gallery.dashscope.simulator; print('django' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
