"""The catalog as data: per model its protocol, region names, limits and rates; the bodies the
client builds from it for each protocol; the answers of both protocols read alike."""

import pytest

from gallery.dashscope import catalog
from gallery.dashscope.catalog import MODELS, Region
from gallery.dashscope.client import ImageRequest, TaskState
from gallery.dashscope.errors import DashScopeError, explain
from wanxweb import settings as app_settings


def test_a_wan27_body_is_a_message_with_only_what_the_model_takes():
    request = ImageRequest(
        model="wan2.7-image",
        prompt="a lighthouse",
        negative_prompt="fog",  # wan2.7 documents none: not sent
        size_name="2K",
        n=2,
        seed=5,
        watermark=True,
        thinking_mode=False,
    )
    assert request.body(Region.BEIJING) == {
        "model": "wan2.7-image",
        "input": {"messages": [{"role": "user", "content": [{"text": "a lighthouse"}]}]},
        "parameters": {"size": "2K", "n": 2, "watermark": True, "seed": 5, "thinking_mode": False},
    }


def test_wan26_takes_its_negative_prompt_among_the_parameters():
    body = ImageRequest(
        model="wan2.6-t2i", prompt="a kite", negative_prompt="people", width=1280, height=1280
    ).body(Region.BEIJING)
    assert body["input"] == {"messages": [{"role": "user", "content": [{"text": "a kite"}]}]}
    assert body["parameters"] == {
        "size": "1280*1280",
        "n": 1,
        "negative_prompt": "people",
        "prompt_extend": True,
        "watermark": False,
    }


def test_a_text2image_body_keeps_its_shape_and_the_regions_name():
    request = ImageRequest(model="wanx2.1-t2i-turbo", prompt="a kite", negative_prompt="people")
    body = request.body(Region.SINGAPORE)
    assert body["model"] == "wan2.1-t2i-turbo"  # Singapore drops the x
    assert body["input"] == {"prompt": "a kite", "negative_prompt": "people"}
    assert body["parameters"] == {
        "size": "1024*1024",
        "n": 1,
        "prompt_extend": True,
        "watermark": False,
    }


def test_a_finished_image_generation_task_reads_as_results():
    state = TaskState.from_body(
        {
            "request_id": "r-2",
            "output": {
                "task_id": "t-1",
                "task_status": "SUCCEEDED",
                "end_time": "2026-12-01 10:00:31.870",
                "choices": [
                    {"message": {"content": [{"type": "text", "text": "a note"}]}},
                    {"message": {"content": [{"type": "image", "image": "https://a/1.png"}]}},
                    {"message": {"content": [{"type": "image", "image": "https://a/2.png"}]}},
                ],
            },
            "usage": {"image_count": 2, "size": "2048*2048"},
        }
    )
    assert [result.url for result in state.results] == ["https://a/1.png", "https://a/2.png"]
    assert state.image_count == 2


@pytest.mark.parametrize(
    "body",
    [
        {
            "output": {
                "task_id": "t",
                "task_status": "FAILED",
                "code": "InvalidParameter",
                "message": "num_images_per_prompt must be 1",
            }
        },
        {
            "output": {"task_id": "t", "task_status": "FAILED"},
            "code": "InvalidParameter",
            "message": "num_images_per_prompt must be 1",
        },
    ],
    ids=["in output", "at the top level"],
)
def test_a_failed_task_gives_its_code_in_either_place(body):
    state = TaskState.from_body(body)
    assert (state.code, state.message) == ("InvalidParameter", "num_images_per_prompt must be 1")


@pytest.mark.parametrize(
    ("code", "message", "words"),
    [
        ("AllocationQuota.FreeTierOnly", "", "use only its free quota"),
        ("InvalidParameter", "url error, please check url!", "does not serve this model"),
        ("Model.NotExist", "", "does not offer this model in this region"),
        ("UnsupportedOperation", "", "cancelled only before it starts"),
    ],
)
def test_the_new_codes_have_plain_words(code, message, words):
    assert words in explain(code, message)


def test_free_tier_only_is_final_though_its_status_is_retried_elsewhere():
    assert not DashScopeError("AllocationQuota.FreeTierOnly", "", status=429).retryable


@pytest.mark.parametrize(
    ("base_url", "region"),
    [
        ("https://dashscope.aliyuncs.com/api/v1", "cn-beijing"),
        ("https://dashscope-intl.aliyuncs.com/api/v1", "ap-southeast-1"),
        ("https://ws1.ap-southeast-1.maas.aliyuncs.com/api/v1", "ap-southeast-1"),
        ("https://dashscope-us.aliyuncs.com/api/v1", "us-east-1"),
        ("http://127.0.0.1:8765/api/v1", "cn-beijing"),
    ],
)
def test_the_region_is_read_from_the_base_url(monkeypatch, base_url, region):
    monkeypatch.setenv("DASHSCOPE_BASE_URL", base_url)
    monkeypatch.delenv("DASHSCOPE_REGION", raising=False)
    namespace = {"__file__": app_settings.__file__, "__name__": "settings_under_test"}
    exec(compile(open(app_settings.__file__).read(), app_settings.__file__, "exec"), namespace)
    assert namespace["DASHSCOPE_REGION"] == region


def test_a_region_offers_only_what_it_serves(settings):
    settings.DASHSCOPE_REGION = "us-east-1"
    assert [model.name for model in catalog.offered()] == ["wan2.6-t2i"]
    assert catalog.default_model() == "wan2.6-t2i"
    settings.DASHSCOPE_REGION = "ap-southeast-1"
    assert "wanx2.0-t2i-turbo" not in {model.name for model in catalog.offered()}


def test_limits_are_the_models_unless_overridden(settings):
    settings.DASHSCOPE_CONCURRENCY, settings.DASHSCOPE_SUBMIT_RATE = {}, {}
    assert (
        catalog.concurrency("wan2.7-image") == 5 and catalog.concurrency("wanx2.1-t2i-turbo") == 2
    )
    assert catalog.submit_rate("wan2.6-t2i") == 1.0  # in Beijing
    settings.DASHSCOPE_REGION = "ap-southeast-1"
    assert catalog.submit_rate("wan2.6-t2i") == 5.0
    settings.DASHSCOPE_CONCURRENCY = {"wan2.7-image": 3, "*": 1}
    assert catalog.concurrency("wan2.7-image") == 3 and catalog.concurrency("wan2.6-t2i") == 1


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("", {}),
        ("4", {"*": 4}),
        ("wan2.7-image=3, wan2.6-t2i=1", {"wan2.7-image": 3, "wan2.6-t2i": 1}),
    ],
)
def test_per_model_settings_are_one_figure_or_pairs(monkeypatch, value, parsed):
    monkeypatch.setenv("DASHSCOPE_CONCURRENCY", value)
    assert app_settings._per_model("DASHSCOPE_CONCURRENCY", int) == parsed


def test_every_model_has_a_region_name_and_a_price_where_listed():
    for model in MODELS.values():
        assert Region.BEIJING in model.names, model.name
        assert set(model.prices) <= set(model.names), model.name
    assert "qwen-image-2.0" in catalog.LEFT_OUT  # synchronous only, and why
