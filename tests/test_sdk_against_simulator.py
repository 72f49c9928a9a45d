"""The official `dashscope` SDK works against the simulator unchanged."""

import base64
import io

import dashscope
import pytest
import requests
from dashscope import ImageSynthesis
from dashscope.aigc.image_generation import ImageGeneration
from PIL import Image

from gallery.dashscope.simulator.images import reference_boxes
from tests.conftest import TEST_KEY

MODEL = "wanx2.1-t2i-turbo"


@pytest.fixture
def sdk_simulator(simulator, monkeypatch):
    """The simulator, with the SDK pointed at it and tasks that end at once."""
    monkeypatch.setattr(dashscope, "base_http_api_url", simulator.base_url)
    simulator.config.pending_seconds = simulator.config.running_seconds = 0.05
    return simulator


def test_async_call_creates_a_pending_task(sdk_simulator):
    task = ImageSynthesis.async_call(model=MODEL, prompt="a red fox", n=1, api_key=TEST_KEY)
    assert task.status_code == 200
    assert task.output.task_status == "PENDING"
    assert task.output.task_id in sdk_simulator.stats()["tasks"]


def test_fetch_reports_the_task_as_it_goes(sdk_simulator):
    sdk_simulator.config.pending_seconds = 10
    task = ImageSynthesis.async_call(model=MODEL, prompt="a red fox", api_key=TEST_KEY)
    fetched = ImageSynthesis.fetch(task, api_key=TEST_KEY)
    assert fetched.status_code == 200
    assert fetched.output.task_status == "PENDING"
    assert fetched.output.task_metrics == {"TOTAL": 4, "SUCCEEDED": 0, "FAILED": 0}


def test_wait_returns_succeeded_with_result_urls(sdk_simulator):
    task = ImageSynthesis.async_call(
        model=MODEL,
        prompt="a red fox",
        n=2,
        size="1280*720",
        seed=3,
        prompt_extend=False,
        api_key=TEST_KEY,
    )
    done = ImageSynthesis.wait(task, api_key=TEST_KEY)
    assert done.status_code == 200
    assert done.output.task_status == "SUCCEEDED"
    assert done.usage.image_count == 2
    assert len(done.output.results) == 2
    assert done.output.results[0].orig_prompt == "a red fox"
    assert "actual_prompt" not in done.output.results[0]
    png = requests.get(done.output.results[1].url, timeout=5).content
    assert Image.open(io.BytesIO(png)).size == (1280, 720)


def test_wait_returns_a_task_failed_by_output_inspection(sdk_simulator):
    task = ImageSynthesis.async_call(model=MODEL, prompt="nsfw-output fox", api_key=TEST_KEY)
    done = ImageSynthesis.wait(task, api_key=TEST_KEY)
    assert done.status_code == 200
    assert done.output.task_status == "FAILED"
    assert done.output.code == "DataInspectionFailed"


def test_an_input_inspection_failure_is_the_sdks_usual_error_response(sdk_simulator):
    response = ImageSynthesis.async_call(model=MODEL, prompt="forbidden fox", api_key=TEST_KEY)
    assert response.status_code == 400
    assert response.code == "DataInspectionFailed"
    assert response.message == "Input data may contain inappropriate content."
    assert response.request_id


def test_a_bad_key_and_throttling_are_error_responses(sdk_simulator):
    bad_key = ImageSynthesis.async_call(model=MODEL, prompt="a fox", api_key="not-a-key")
    assert (bad_key.status_code, bad_key.code) == (401, "InvalidApiKey")
    sdk_simulator.config.pending_seconds = 10
    for _ in range(2):
        ImageSynthesis.async_call(model=MODEL, prompt="a fox", api_key=TEST_KEY)
    throttled = ImageSynthesis.async_call(model=MODEL, prompt="a fox", api_key=TEST_KEY)
    assert (throttled.status_code, throttled.code) == (429, "Throttling")


def test_cancel_and_list_work(sdk_simulator):
    sdk_simulator.config.pending_seconds = 10
    task = ImageSynthesis.async_call(model=MODEL, prompt="a red fox", api_key=TEST_KEY)
    assert ImageSynthesis.cancel(task, api_key=TEST_KEY).status_code == 200
    assert ImageSynthesis.fetch(task, api_key=TEST_KEY).output.task_status == "CANCELED"
    again = ImageSynthesis.cancel(task, api_key=TEST_KEY)
    assert (again.status_code, again.code) == (400, "UnsupportedOperation")
    listed = ImageSynthesis.list(status="CANCELED", api_key=TEST_KEY)
    assert [row["task_id"] for row in listed.output["data"]] == [task.output.task_id]


# --- the image-generation protocol: ImageGeneration ---------------------------------------

NEW_MODEL = "wan2.7-image"


def _messages(text: str, *images: str) -> list[dict]:
    return [{"role": "user", "content": [*({"image": i} for i in images), {"text": text}]}]


def _data_uri(colour: str) -> str:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), colour).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def test_image_generation_async_call_creates_a_pending_task(sdk_simulator):
    task = ImageGeneration.async_call(
        model=NEW_MODEL, messages=_messages("a lighthouse"), n=1, api_key=TEST_KEY
    )
    assert task.status_code == 200, task
    assert task.output.task_status == "PENDING"
    assert sdk_simulator.stats()["tasks"][task.output.task_id]["model"] == NEW_MODEL


def test_image_generation_fetch_reports_the_task_as_it_goes(sdk_simulator):
    sdk_simulator.config.pending_seconds = 10
    task = ImageGeneration.async_call(
        model=NEW_MODEL, messages=_messages("a lighthouse"), api_key=TEST_KEY
    )
    fetched = ImageGeneration.fetch(task, api_key=TEST_KEY)
    assert fetched.status_code == 200
    assert fetched.output.task_status == "PENDING"


def test_image_generation_wait_returns_the_edited_images(sdk_simulator):
    task = ImageGeneration.async_call(
        model=NEW_MODEL,
        messages=_messages("put the mug from image 1 on the table", _data_uri("red")),
        n=2,
        size="1K",
        seed=3,
        watermark=False,
        api_key=TEST_KEY,
    )
    done = ImageGeneration.wait(task, api_key=TEST_KEY)
    assert done.status_code == 200, done
    assert done.output.task_status == "SUCCEEDED"
    assert done.usage.image_count == 2
    assert done.usage.size == "1024*1024"
    urls = [item["image"] for c in done.output.choices for item in c.message.content]
    assert len(urls) == 2
    picture = Image.open(io.BytesIO(requests.get(urls[1], timeout=5).content)).convert("RGB")
    assert picture.size == (1024, 1024)
    box = reference_boxes(1024, 1024, 1)[0]
    assert picture.getpixel(((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)) == (255, 0, 0)


def test_image_generation_errors_are_the_sdks_usual_error_responses(sdk_simulator):
    old = ImageGeneration.async_call(model=MODEL, messages=_messages("a fox"), api_key=TEST_KEY)
    assert (old.status_code, old.code) == (400, "InvalidParameter")
    assert old.message == "url error, please check url!"
    refused = ImageGeneration.async_call(
        model=NEW_MODEL, messages=_messages("forbidden fox"), api_key=TEST_KEY
    )
    assert (refused.status_code, refused.code) == (400, "DataInspectionFailed")
    failed = ImageGeneration.wait(
        ImageGeneration.async_call(
            model=NEW_MODEL, messages=_messages("nsfw-output fox"), api_key=TEST_KEY
        ),
        api_key=TEST_KEY,
    )
    assert failed.output.task_status == "FAILED"
    assert failed.output.code == "DataInspectionFailed"


def test_image_generation_call_uses_the_sync_endpoint(sdk_simulator):
    done = ImageGeneration.call(
        model="qwen-image-2.0", messages=_messages("a lighthouse"), api_key=TEST_KEY
    )
    assert done.status_code == 200, done
    assert done.usage.image_count == 1
    assert done.output.choices[0].message.content[0]["type"] == "image"


def test_image_generation_cancel_and_list_work(sdk_simulator):
    sdk_simulator.config.pending_seconds = 10
    task = ImageGeneration.async_call(
        model=NEW_MODEL, messages=_messages("a lighthouse"), api_key=TEST_KEY
    )
    assert ImageGeneration.cancel(task, api_key=TEST_KEY).status_code == 200
    assert ImageGeneration.fetch(task, api_key=TEST_KEY).output.task_status == "CANCELED"
    listed = ImageGeneration.list(model_name=NEW_MODEL, api_key=TEST_KEY)
    assert [row["task_id"] for row in listed.output["data"]] == [task.output.task_id]
