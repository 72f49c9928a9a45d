"""The DashScope client against the simulator, over real HTTP."""

import base64
import dataclasses
import io
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from PIL import Image

from gallery.dashscope.catalog import MODELS, NAMED_SIZES, Region
from gallery.dashscope.client import LIST_PAGE_SIZE, DashScopeClient, ImageRequest
from gallery.dashscope.errors import DashScopeError, DashScopeUnavailable
from gallery.dashscope.simulator.images import reference_boxes

from .conftest import TEST_KEY

REQUEST = ImageRequest(model="wanx2.1-t2i-turbo", prompt="a red kite over the sea", seed=7, n=2)


@pytest.fixture
def client(simulator):
    return DashScopeClient(simulator.base_url, TEST_KEY, timeout=2.0)


def wait_until_done(client, task_id, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.fetch(task_id)
        if not state.is_waiting:
            return state
        time.sleep(0.1)
    raise AssertionError("task did not finish")


def test_it_submits_and_fetches_a_task_to_success(client):
    task = client.submit(REQUEST)
    assert task.status == "PENDING" and task.task_id and task.request_id

    state = wait_until_done(client, task.task_id)

    assert state.status == "SUCCEEDED"
    assert [bool(r.url) for r in state.results] == [True, True]
    assert state.image_count == 2
    assert state.submit_time <= state.scheduled_time <= state.end_time
    assert state.results[0].actual_prompt  # prompt_extend is on by default


def test_it_sends_every_parameter(client, simulator):
    request = ImageRequest(
        model="wan2.2-t2i-flash",
        prompt="a quiet harbour",
        negative_prompt="people",
        width=768,
        height=1152,
        n=1,
        seed=99,
        prompt_extend=False,
        watermark=True,
    )
    task = client.submit(request)
    recorded = simulator.stats()["tasks"][task.task_id]
    assert recorded["model"] == "wan2.2-t2i-flash"
    assert recorded["n"] == 1
    state = wait_until_done(client, task.task_id)
    assert state.results[0].actual_prompt == ""  # no rewrite without prompt_extend


def test_it_reads_a_failed_task(client):
    task = client.submit(ImageRequest(model="wanx2.1-t2i-turbo", prompt="nsfw-output please"))
    state = wait_until_done(client, task.task_id)
    assert (state.status, state.code) == ("FAILED", "DataInspectionFailed")
    assert state.message


def test_it_reads_a_partial_failure(client, simulator):
    simulator.config.partial_failure = True
    state = wait_until_done(client, client.submit(REQUEST).task_id)
    assert state.status == "SUCCEEDED"
    assert state.results[0].url and not state.results[1].url
    assert state.results[1].code == "InternalError.Timeout"
    assert state.image_count == 1


def test_an_unknown_task_id_answers_unknown(client):
    state = client.fetch("00000000-0000-0000-0000-000000000000")
    assert state.status == "UNKNOWN" and not state.is_waiting


def test_it_lists_every_page_of_a_models_tasks_in_a_window(client, simulator):
    simulator.config.submit_rate, simulator.config.concurrency_limit = 0, 200
    simulator.config.pending_seconds = 30
    start = datetime.now(UTC) - timedelta(seconds=1)
    ids = {client.submit(REQUEST).task_id for _ in range(LIST_PAGE_SIZE + 2)}
    client.submit(ImageRequest(model="wanx2.1-t2i-plus", prompt="another model"))

    listed = client.list_tasks(REQUEST.model, start, datetime.now(UTC) + timedelta(seconds=1))

    assert {task.task_id for task in listed} == ids
    assert all(task.is_waiting for task in listed)
    assert client.list_tasks(REQUEST.model, start - timedelta(days=2), start) == []


def test_its_results_carry_the_prompt_they_were_made_from(client):
    state = wait_until_done(client, client.submit(REQUEST).task_id)
    assert [r.orig_prompt for r in state.results] == [REQUEST.prompt] * 2


def test_it_cancels_a_pending_task_only(client, simulator):
    simulator.config.pending_seconds = 5
    task = client.submit(REQUEST)
    client.cancel(task.task_id)
    assert client.fetch(task.task_id).status == "CANCELED"
    with pytest.raises(DashScopeError) as caught:
        client.cancel(task.task_id)
    assert caught.value.code == "UnsupportedOperation"
    assert not caught.value.retryable


@pytest.mark.parametrize(
    ("change", "request_", "status", "code", "retryable"),
    [
        (
            {},
            ImageRequest(model="wanx2.1-t2i-turbo", prompt="x", width=2000),
            400,
            "InvalidParameter",
            False,
        ),
        (
            {},
            ImageRequest(model="wanx2.1-t2i-turbo", prompt="a forbidden thing"),
            400,
            "DataInspectionFailed",
            False,
        ),
        ({"valid_keys": ["sk-other"]}, REQUEST, 401, "InvalidApiKey", False),
        ({"arrearage": True}, REQUEST, 400, "Arrearage", False),
        ({"error_rate_5xx": 1.0}, REQUEST, 500, "InternalError", True),
    ],
)
def test_error_answers_become_typed_exceptions(
    client, simulator, change, request_, status, code, retryable
):
    for name, value in change.items():
        setattr(simulator.config, name, value)
    with pytest.raises(DashScopeError) as caught:
        client.submit(request_)
    error = caught.value
    assert (error.status, error.code, error.retryable) == (status, code, retryable)
    assert error.message and error.request_id
    assert code in str(error)


def test_concurrency_throttling_is_retryable(client, simulator):
    simulator.config.pending_seconds = 5
    simulator.config.submit_rate = 0
    client.submit(REQUEST)
    client.submit(REQUEST)
    with pytest.raises(DashScopeError) as caught:
        client.submit(REQUEST)
    assert (caught.value.status, caught.value.code) == (429, "Throttling")
    assert caught.value.retryable


def test_submit_rate_throttling_is_retryable(client, simulator):
    simulator.config.concurrency_limit = 100
    with pytest.raises(DashScopeError) as caught:
        for _ in range(5):
            client.submit(REQUEST)
    assert (caught.value.status, caught.value.code) == (429, "Throttling.RateQuota")
    assert caught.value.retryable


def test_a_slow_answer_times_out_and_may_have_been_received(simulator):
    simulator.config.slow_rate, simulator.config.slow_seconds = 1.0, 2.0
    client = DashScopeClient(simulator.base_url, TEST_KEY, timeout=0.5)
    with pytest.raises(DashScopeUnavailable) as caught:
        client.submit(REQUEST)
    assert caught.value.code == "ReadTimeout"
    assert caught.value.maybe_received and caught.value.retryable


def test_a_reset_connection_may_have_been_received(client, simulator):
    simulator.config.reset_rate = 1.0
    with pytest.raises(DashScopeUnavailable) as caught:
        client.fetch("any")
    assert caught.value.maybe_received


def test_a_refused_connection_was_certainly_not_received():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the client connects
    client = DashScopeClient(f"http://127.0.0.1:{port}/api/v1", TEST_KEY, timeout=1.0)
    with pytest.raises(DashScopeUnavailable) as caught:
        client.submit(REQUEST)
    assert caught.value.code == "ConnectionError"
    assert not caught.value.maybe_received


def test_a_malformed_answer_is_retryable(client, simulator):
    simulator.config.malformed_rate = 1.0
    with pytest.raises(DashScopeUnavailable) as caught:
        client.fetch("any")
    assert caught.value.code == "MalformedResponse"


def test_the_key_never_shows_in_errors_or_repr(simulator):
    client = DashScopeClient(simulator.base_url, TEST_KEY, timeout=1.0)
    simulator.config.valid_keys = ["sk-other"]
    with pytest.raises(DashScopeError) as caught:
        client.submit(REQUEST)
    assert TEST_KEY not in str(caught.value) + repr(caught.value) + repr(client)


def test_it_names_the_configured_workspace_on_every_call(simulator, settings):
    simulator.config.workspace = "ws-lighthouse"  # a sub-account key works in it only
    settings.DASHSCOPE_BASE_URL, settings.DASHSCOPE_API_KEY = simulator.base_url, TEST_KEY
    settings.DASHSCOPE_WORKSPACE = "ws-lighthouse"
    client = DashScopeClient.from_settings()

    task = client.submit(REQUEST)
    assert wait_until_done(client, task.task_id).status == "SUCCEEDED"

    with pytest.raises(DashScopeError) as refused:
        DashScopeClient(simulator.base_url, TEST_KEY).fetch(task.task_id)
    assert (refused.value.status, refused.value.code) == (403, "Workspace.AccessDenied")


# The image-generation protocol: the same client, the same calls.

RED = (230, 20, 20)


def jpeg_uri(colour=RED, size=(600, 400)) -> str:
    picture = io.BytesIO()
    Image.new("RGB", size, colour).save(picture, "JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(picture.getvalue()).decode()


def test_it_makes_a_wan27_image_from_text(client, simulator):
    request = ImageRequest(model="wan2.7-image", prompt="a lighthouse", size_name="1K", seed=3)
    state = wait_until_done(client, client.submit(request).task_id)
    assert state.status == "SUCCEEDED" and state.image_count == 1
    assert len(state.results) == 1 and state.results[0].url
    assert Image.open(io.BytesIO(requests.get(state.results[0].url).content)).size == (1024, 1024)


def test_it_sends_reference_images_in_order_and_they_shape_the_picture(client):
    request = ImageRequest(
        model="wan2.7-image",
        prompt="the kite of image 1 over the sea of image 2",
        size_name="1K",
        images=(jpeg_uri((20, 20, 230), (400, 400)), jpeg_uri(RED)),
    )
    state = wait_until_done(client, client.submit(request).task_id)
    picture = Image.open(io.BytesIO(requests.get(state.results[0].url).content)).convert("RGB")
    assert picture.width > picture.height  # 1K in the aspect of the last image, 3:2
    boxes = reference_boxes(*picture.size, 2)
    centre = [picture.getpixel(((x0 + x1) // 2, (y0 + y1) // 2)) for x0, y0, x1, y1 in boxes]
    assert [max(range(3), key=pixel.__getitem__) for pixel in centre] == [2, 0]  # blue, red


def test_boxes_on_reference_images_are_sent_one_entry_per_image(client):
    boxed = ImageRequest(
        model="wan2.7-image",
        prompt="a kite in the box of image 1",
        size_name="1K",
        images=(jpeg_uri(RED, (400, 300)), jpeg_uri(RED)),
        bbox_list=([[10, 20, 200, 150], [0, 0, 400, 300]], []),
    )
    assert boxed.body(Region.BEIJING)["parameters"]["bbox_list"] == [
        [[10, 20, 200, 150], [0, 0, 400, 300]],
        [],
    ]
    assert wait_until_done(client, client.submit(boxed).task_id).status == "SUCCEEDED"

    outside = dataclasses.replace(boxed, bbox_list=([[10, 20, 401, 150]], []))
    with pytest.raises(DashScopeError) as refused:
        client.submit(outside)
    assert refused.value.code == "InvalidParameter"
    unboxed = dataclasses.replace(boxed, bbox_list=([], []))
    assert "bbox_list" not in unboxed.body(Region.BEIJING)["parameters"]


def test_wan26_is_sent_its_negative_prompt(client, simulator):
    request = ImageRequest(
        model="wan2.6-t2i", prompt="a quiet bay", negative_prompt="boats", width=1280, height=1280
    )
    task = client.submit(request)
    assert simulator.stats()["tasks"][task.task_id]["model"] == "wan2.6-t2i"
    assert wait_until_done(client, task.task_id).status == "SUCCEEDED"


@pytest.mark.parametrize("at_top", [False, True], ids=["in output", "beside it"])
def test_it_reads_a_failed_image_generation_task_in_either_shape(client, simulator, at_top):
    simulator.config.failed_code_at_top = at_top
    task = client.submit(ImageRequest(model="wan2.7-image", prompt="nsfw-output", size_name="1K"))
    state = wait_until_done(client, task.task_id)
    assert (state.status, state.code) == ("FAILED", "DataInspectionFailed")
    assert state.message


def test_it_lists_and_cancels_image_generation_tasks_as_the_others(client, simulator):
    simulator.config.pending_seconds = 5
    start = datetime.now(UTC) - timedelta(seconds=1)
    task = client.submit(ImageRequest(model="wan2.7-image-pro", prompt="a dune", size_name="4K"))
    listed = client.list_tasks("wan2.7-image-pro", start, datetime.now(UTC) + timedelta(seconds=1))
    assert [listed_task.task_id for listed_task in listed] == [task.task_id]
    client.cancel(task.task_id)
    assert client.fetch(task.task_id).status == "CANCELED"


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_model_is_made_with_its_defaults_and_every_parameter_it_takes(client, model):
    """The bodies the client builds are what the simulator, speaking for DashScope, takes."""
    spec = MODELS[model]
    size = {"size_name": spec.default_size} if spec.default_size in NAMED_SIZES else {}
    if not size:
        size = dict(zip(("width", "height"), map(int, spec.default_size.split("*")), strict=True))
    request = ImageRequest(
        model=model,
        prompt="a harbour at dusk",
        negative_prompt="boats",
        n=spec.n_max,
        seed=11,
        watermark=True,
        images=(jpeg_uri(),) if spec.reference_images_max else (),
        **size,
    )
    state = wait_until_done(client, client.submit(request).task_id)
    assert (state.status, len(state.results)) == ("SUCCEEDED", spec.n_max), state


def test_an_image_set_comes_back_as_one_choice_of_as_many_images(client):
    request = ImageRequest(
        model="wan2.7-image",
        prompt="four seasons of one tree",
        size_name="1K",
        n=5,
        enable_sequential=True,
    )
    state = wait_until_done(client, client.submit(request).task_id)
    assert state.status == "SUCCEEDED" and len(state.results) == 5 == state.image_count
