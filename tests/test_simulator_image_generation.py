"""The simulator speaks DashScope's image-generation protocol as its API reference describes it
(/work/shared/dashscope-image-generation-api.md): wan2.6-t2i, wan2.7-image(-pro), qwen-image."""

import base64
import io

import pytest
import requests
from PIL import Image

from gallery.dashscope.simulator.images import reference_boxes
from tests.conftest import TEST_KEY
from tests.test_simulator import (
    AUTH,
    HEADERS,
    SUBMIT,
    TIME_FORMAT,
    HandClock,
    assert_error,
    download,
    output,
    query,
    unthrottled,
)

GENERATE = "/services/aigc/image-generation/generation"
GENERATE_NOW = "/services/aigc/multimodal-generation/generation"
URL_ERROR = "url error, please check url!"


@pytest.fixture
def clock(simulator) -> HandClock:
    """The simulator's time, standing still until the test advances it."""
    simulator.clock = hand = HandClock()
    return hand


def data_uri(colour="red", size=(300, 300), mode="RGB", fmt="PNG") -> str:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt)
    mime = {"JPEG": "jpeg"}.get(fmt, fmt.lower())
    return f"data:image/{mime};base64,{base64.b64encode(out.getvalue()).decode()}"


def body(text="a lighthouse at dusk", model="wan2.7-image", images=(), **params) -> dict:
    content = [{"image": image} for image in images] + [{"text": text}]
    return {
        "model": model,
        "input": {"messages": [{"role": "user", "content": content}]},
        "parameters": params,
    }


def generate(sim, text="a lighthouse at dusk", headers=HEADERS, path=GENERATE, **kwargs):
    payload = kwargs.pop("payload", None) or body(text, **kwargs)
    return requests.post(sim.base_url + path, json=payload, headers=headers, timeout=10)


def generate_ok(sim, text="a lighthouse at dusk", **kwargs) -> str:
    response = generate(sim, text, **kwargs)
    assert response.status_code == 200, response.text
    assert response.json()["output"]["task_status"] == "PENDING"
    return response.json()["output"]["task_id"]


def finished(sim, text="a lighthouse at dusk", **kwargs) -> dict:
    """The whole body of a task that ends at once."""
    unthrottled(sim)
    sim.config.pending_seconds = sim.config.running_seconds = 0
    response = query(sim, generate_ok(sim, text, **kwargs))
    assert response.status_code == 200, response.text
    return response.json()


def image_urls(answer: dict) -> list[str]:
    return [
        item["image"]
        for choice in answer["output"]["choices"]
        for item in choice["message"]["content"]
        if item["type"] == "image"
    ]


def png(url: str) -> Image.Image:
    return Image.open(io.BytesIO(download(url))).convert("RGB")


def refused(sim, message=None, **kwargs) -> dict:
    return assert_error(generate(sim, **kwargs), 400, "InvalidParameter", message)


# --- endpoints ----------------------------------------------------------------------------


def test_it_creates_a_pending_task(simulator):
    task_id = generate_ok(simulator)
    assert simulator.stats()["tasks"][task_id]["protocol"] == "image-generation"


def test_the_async_endpoint_needs_the_async_header(simulator):
    message = "current user api does not support synchronous calls"
    assert_error(generate(simulator, headers=AUTH), 403, "AccessDenied", message)


def test_the_sync_endpoint_answers_at_once_without_task_fields(simulator):
    simulator.config.pending_seconds = 100  # no matter: a synchronous call does not wait
    response = generate(simulator, headers=AUTH, path=GENERATE_NOW, size="1K", n=2)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer["output"]) == {"choices", "finished"}
    assert answer["usage"]["image_count"] == 2
    assert png(image_urls(answer)[1]).size == (1024, 1024)
    listed = requests.get(f"{simulator.base_url}/tasks", headers=AUTH, timeout=5).json()
    assert listed["total"] == 0  # it made no task to poll


def test_the_sync_endpoint_refuses_an_output_it_would_not_show(simulator):
    response = generate(simulator, "nsfw-output lighthouse", headers=AUTH, path=GENERATE_NOW)
    assert_error(response, 400, "DataInspectionFailed")


def test_the_old_endpoint_answers_a_new_model_with_the_url_error(simulator):
    payload = {"model": "wan2.7-image", "input": {"prompt": "a fox"}}
    response = requests.post(simulator.base_url + SUBMIT, json=payload, headers=HEADERS)
    assert_error(response, 400, "InvalidParameter", URL_ERROR)


def test_the_new_endpoint_answers_an_old_model_with_the_url_error(simulator):
    # Assumed symmetric: the docs say only that the old path does not serve the new models.
    refused(simulator, URL_ERROR, model="wanx2.1-t2i-turbo")
    refused(simulator, URL_ERROR, model="wanx2.1-t2i-turbo", path=GENERATE_NOW, headers=AUTH)
    refused(simulator, "Model not exist.", model="wan9-image")


@pytest.mark.parametrize("model", ["qwen-image-2.0", "qwen-image-2.0-pro"])
def test_qwen_image_2_answers_only_the_sync_endpoint(simulator, model):
    response = generate(simulator, model=model)
    message = "current user api does not support asynchronous calls"
    assert_error(response, 403, "AccessDenied", message)
    now = generate(simulator, model=model, headers=AUTH, path=GENERATE_NOW)
    assert now.status_code == 200, now.text
    assert now.json()["usage"]["size"] == "1024*1024"


# --- answers ------------------------------------------------------------------------------


def test_a_pending_or_running_task_answers_only_its_id_status_and_times(simulator, clock):
    task_id = generate_ok(simulator)
    assert set(output(simulator, task_id)) == {"task_id", "task_status", "submit_time"}
    clock.advance(simulator.config.pending_seconds)
    running = output(simulator, task_id)
    assert running["task_status"] == "RUNNING"
    assert set(running) == {"task_id", "task_status", "submit_time", "scheduled_time"}


def test_a_succeeded_task_answers_choices_and_usage(simulator):
    answer = finished(simulator, n=2, size="1K", seed=5)
    out = answer["output"]
    assert out["task_status"] == "SUCCEEDED" and out["finished"] is True
    for name in ("submit_time", "scheduled_time", "end_time"):
        assert TIME_FORMAT.fullmatch(out[name])
    assert "results" not in out and "task_metrics" not in out
    assert len(out["choices"]) == 2  # one choice an image, outside an image set
    for choice in out["choices"]:
        assert choice["finish_reason"] == "stop"
        assert choice["message"]["role"] == "assistant"
        [item] = choice["message"]["content"]
        assert item["type"] == "image"
    usage = answer["usage"]
    assert (usage["image_count"], usage["size"]) == (2, "1024*1024")
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
    assert png(image_urls(answer)[0]).size == (1024, 1024)


def test_wan26_counts_no_tokens(simulator):
    usage = finished(simulator, model="wan2.6-t2i", n=1)["usage"]
    assert (usage["input_tokens"], usage["output_tokens"], usage["total_tokens"]) == (0, 0, 0)


def test_an_image_set_is_one_choice_of_up_to_twelve_images(simulator):
    answer = finished(simulator, enable_sequential=True, size="1K")
    [choice] = answer["output"]["choices"]
    assert len(choice["message"]["content"]) == 12 == answer["usage"]["image_count"]


def test_a_partial_failure_returns_fewer_images_and_still_succeeds(simulator):
    simulator.config.partial_failure = True
    answer = finished(simulator, n=3, size="1K")
    assert answer["output"]["task_status"] == "SUCCEEDED"
    assert answer["usage"]["image_count"] == 2 == len(image_urls(answer))


def test_a_failed_task_gives_its_code_in_output_or_beside_it_as_configured(simulator):
    answer = finished(simulator, "nsfw-output lighthouse")
    out = answer["output"]
    assert out["task_status"] == "FAILED"
    assert out["code"] == "DataInspectionFailed" and "choices" not in out
    simulator.config.failed_code_at_top = True
    answer = finished(simulator, "nsfw-output lighthouse")
    assert answer["code"] == "DataInspectionFailed" and answer["message"]
    assert "code" not in answer["output"]


def test_it_refuses_a_text_with_the_inspection_word_at_submit(simulator):
    assert_error(generate(simulator, "forbidden lighthouse"), 400, "DataInspectionFailed")


# --- the message --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "messages",
    [
        [],
        [{"role": "user", "content": [{"text": "a"}]}] * 2,
        [{"role": "assistant", "content": [{"text": "a"}]}],
        [{"role": "user", "content": [{"text": "a"}, {"text": "b"}]}],
        [{"role": "user", "content": [{"image": data_uri()}]}],
        [{"role": "user", "content": [{"text": "  "}]}],
        [{"role": "user", "content": [{"text": "a"}, {"video": "x"}]}],
        [{"role": "user", "content": "a lighthouse"}],
    ],
    ids=["none", "two", "assistant", "two-texts", "no-text", "blank", "video", "a-string"],
)
def test_it_takes_one_user_message_with_exactly_one_text(simulator, messages):
    payload = {"model": "wan2.7-image", "input": {"messages": messages}}
    refused(simulator, payload=payload)


def test_the_text_may_come_after_the_images_or_before(simulator):
    payload = body(images=[data_uri()])
    payload["input"]["messages"][0]["content"].reverse()
    assert generate(simulator, payload=payload).status_code == 200


def test_wan26_refuses_a_text_over_2100_characters(simulator):
    unthrottled(simulator)
    generate_ok(simulator, "a" * 2100, model="wan2.6-t2i")
    refused(simulator, text="a" * 2101, model="wan2.6-t2i")


def test_wan27_cuts_a_text_over_5000_characters(simulator):
    task_id = generate_ok(simulator, "a" * 6000)
    assert len(simulator.stats()["tasks"][task_id]["prompt"]) == 5000


# --- sizes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, params, size",
    [
        ("wan2.7-image", {}, "2048*2048"),
        ("wan2.7-image", {"size": "1K"}, "1024*1024"),
        ("wan2.7-image", {"size": "768*768"}, "768*768"),
        ("wan2.7-image", {"size": "2400*300"}, "2400*300"),
        ("wan2.7-image-pro", {"size": "4K"}, "4096*4096"),
        ("wan2.7-image-pro", {"size": "3000*3000"}, "3000*3000"),
        ("wan2.6-t2i", {}, "1280*1280"),
        ("wan2.6-t2i", {"size": "2560*640"}, "2560*640"),
        ("wan2.6-t2i", {"size": "1440*1440"}, "1440*1440"),
        ("qwen-image-3.0", {}, "1024*1024"),
        ("qwen-image-3.0-pro", {"size": "2048*2048"}, "2048*2048"),
        ("qwen-image-3.0", {"size": "4096*64"}, "4096*64"),
    ],
)
def test_it_makes_the_size_asked_for_or_the_models_default(simulator, model, params, size):
    answer = finished(simulator, model=model, n=1, **params)
    assert answer["usage"]["size"] == size
    assert png(image_urls(answer)[0]).size == tuple(int(side) for side in size.split("*"))


@pytest.mark.parametrize(
    "model, params",
    [
        ("wan2.7-image", {"size": "4K"}),
        ("wan2.7-image", {"size": "3000*3000"}),
        ("wan2.7-image", {"size": "767*768"}),
        ("wan2.7-image", {"size": "2048*2049"}),
        ("wan2.7-image", {"size": "2700*300"}),  # 9:1
        ("wan2.7-image", {"size": "2k"}),
        ("wan2.7-image", {"size": 2048}),
        ("wan2.7-image-pro", {"size": "4K", "enable_sequential": True}),
        ("wan2.7-image-pro", {"size": "4097*4096"}),
        ("wan2.6-t2i", {"size": "1K"}),
        ("wan2.6-t2i", {"size": "1279*1280"}),
        ("wan2.6-t2i", {"size": "1440*1441"}),
        ("wan2.6-t2i", {"size": "2600*640"}),  # more than 4:1
        ("qwen-image-3.0", {"size": "512*511"}),
        ("qwen-image-3.0", {"size": "2048*2049"}),
        ("qwen-image-3.0", {"size": "1K"}),
    ],
)
def test_it_refuses_a_size_the_model_does_not_make(simulator, model, params):
    refused(simulator, model=model, **params)


def test_pro_makes_4k_and_large_sizes_only_without_images(simulator):
    refused(simulator, model="wan2.7-image-pro", images=[data_uri()], size="4K")
    refused(simulator, model="wan2.7-image-pro", images=[data_uri()], size="3000*3000")


def test_a_preset_takes_the_last_images_aspect_ratio(simulator):
    images = [data_uri(size=(300, 300)), data_uri(size=(1600, 900))]
    assert finished(simulator, images=images, size="2K")["usage"]["size"] == "2730*1536"
    assert finished(simulator, images=images[::-1], size="1K")["usage"]["size"] == "1024*1024"


# --- n and the other parameters -----------------------------------------------------------


@pytest.mark.parametrize(
    "model, params, n",
    [
        ("wan2.6-t2i", {}, 4),
        ("wan2.7-image", {}, 1),
        ("wan2.7-image", {"n": 4}, 4),
        ("wan2.7-image", {"enable_sequential": True}, 12),
        ("qwen-image-3.0", {"n": 6}, 6),
    ],
)
def test_n_has_each_models_range_and_default(simulator, model, params, n):
    task_id = generate_ok(simulator, model=model, **params)
    assert simulator.stats()["tasks"][task_id]["n"] == n


@pytest.mark.parametrize(
    "model, params",
    [
        ("wan2.6-t2i", {"n": 5}),
        ("wan2.7-image", {"n": 0}),
        ("wan2.7-image", {"n": 5}),
        ("wan2.7-image", {"n": 13, "enable_sequential": True}),
        ("qwen-image-3.0", {"n": 7}),
        ("wan2.7-image", {"n": True}),
    ],
)
def test_it_refuses_n_outside_the_models_range(simulator, model, params):
    refused(simulator, model=model, **params)


@pytest.mark.parametrize(
    "model, param, value",
    [
        ("wan2.7-image", "negative_prompt", "blur"),
        ("wan2.7-image", "prompt_extend", True),
        ("wan2.6-t2i", "thinking_mode", True),
        ("wan2.6-t2i", "enable_sequential", True),
        ("wan2.6-t2i", "bbox_list", []),
        ("qwen-image-3.0", "color_palette", []),
    ],
)
def test_it_refuses_a_parameter_the_model_does_not_document(simulator, model, param, value):
    refused(
        simulator, f"parameters.{param} is not supported by {model}.", model=model, **{param: value}
    )


def test_wan26_takes_a_negative_prompt_of_at_most_500_characters(simulator):
    unthrottled(simulator)
    generate_ok(simulator, model="wan2.6-t2i", negative_prompt="n" * 500)
    refused(simulator, model="wan2.6-t2i", negative_prompt="n" * 501)


@pytest.mark.parametrize("param, value", [("seed", -1), ("seed", 2147483648), ("watermark", 1)])
def test_it_checks_seed_and_watermark(simulator, param, value):
    refused(simulator, **{param: value})


def test_thinking_mode_applies_only_without_images_or_a_set(simulator):
    unthrottled(simulator)
    generate_ok(simulator, thinking_mode=True)
    generate_ok(simulator, images=[data_uri()], thinking_mode=False)
    refused(simulator, images=[data_uri()], thinking_mode=True)
    refused(simulator, enable_sequential=True, thinking_mode=True)
    refused(simulator, thinking_mode="yes")


def test_thinking_mode_is_slower(simulator, clock):
    simulator.config.extend_seconds = 5
    unthrottled(simulator)
    thinking, quick = generate_ok(simulator), generate_ok(simulator, thinking_mode=False)
    clock.advance(simulator.config.pending_seconds + simulator.config.running_seconds)
    assert output(simulator, thinking)["task_status"] == "RUNNING"
    assert output(simulator, quick)["task_status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    "bbox_list, ok",
    [
        ([[[0, 0, 300, 300]], []], True),
        ([[[10, 10, 20, 20], [30, 30, 40, 40]], []], True),
        ([[]], False),  # one entry for two images
        ([[[0, 0, 10, 10]] * 3, []], False),
        ([[[0, 0, 301, 10]], []], False),  # outside image 1
        ([[[20, 20, 10, 30]], []], False),
        ([[[0, 0, 10]], []], False),
        ([[[0, 0, 10, 10.5]], []], False),
    ],
)
def test_bbox_list_has_one_entry_per_image_of_at_most_two_boxes_inside_it(simulator, bbox_list, ok):
    unthrottled(simulator)
    response = generate(simulator, images=[data_uri(), data_uri()], bbox_list=bbox_list)
    assert (response.status_code == 200) == ok, response.text


@pytest.mark.parametrize(
    "palette, ok",
    [
        ([("#C2D1E6", "60.00%"), ("#000000", "30.00%"), ("#ffffff", "10.00%")], True),
        ([("#C2D1E6", "60.00%"), ("#000000", "40.00%")], False),  # two colours
        ([("#C2D1E6", "60.00%"), ("#000000", "30.00%"), ("#ffffff", "9.99%")], False),
        ([("C2D1E6", "60.00%"), ("#000000", "30.00%"), ("#ffffff", "10.00%")], False),
        ([("#C2D1E6", "60%"), ("#000000", "30.00%"), ("#ffffff", "10.00%")], False),
        ([("#C2D1E6", "10.00%")] * 10, True),
        ([("#C2D1E6", "10.00%")] * 11, False),
    ],
)
def test_color_palette_holds_3_to_10_colours_summing_to_100_percent(simulator, palette, ok):
    unthrottled(simulator)
    colours = [{"hex": h, "ratio": r} for h, r in palette]
    response = generate(simulator, color_palette=colours)
    assert (response.status_code == 200) == ok, response.text


def test_color_palette_is_not_for_image_sets(simulator):
    colours = [{"hex": "#C2D1E6", "ratio": r} for r in ("60.00%", "30.00%", "10.00%")]
    refused(simulator, enable_sequential=True, color_palette=colours)


# --- reference images ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "model, count, ok",
    [
        ("wan2.6-t2i", 1, False),
        ("wan2.7-image", 9, True),
        ("wan2.7-image", 10, False),
        ("qwen-image-3.0", 3, True),
        ("qwen-image-3.0", 4, False),
    ],
)
def test_each_model_takes_its_number_of_images(simulator, model, count, ok):
    response = generate(simulator, model=model, images=[data_uri()] * count)
    assert (response.status_code == 200) == ok, response.text


@pytest.mark.parametrize(
    "image, words",
    [
        (data_uri(fmt="JPEG"), None),
        (data_uri(fmt="BMP"), None),
        (data_uri(fmt="WEBP"), None),
        (data_uri(fmt="GIF"), "GIF"),
        (data_uri(mode="RGBA", colour=(255, 0, 0, 128)), "alpha"),
        (data_uri(size=(239, 300)), "240 to 8000"),
        (data_uri(size=(8001, 1001)), "240 to 8000"),
        (data_uri(size=(240, 1921)), "1:8"),
        ("https://example.com/mug.png", "data: URIs only"),
        ("oss://dashscope-instant/mug.png", "data: URIs only"),
        ("data:image/png;base64,not base64!", "base64"),
        ("data:image/png;base64," + base64.b64encode(b"not an image").decode(), "not an image"),
        ("mug.png", None),
    ],
    ids=[
        "jpeg",
        "bmp",
        "webp",
        "gif",
        "alpha",
        "narrow",
        "wide",
        "aspect",
        "https",
        "oss",
        "base64",
        "junk",
        "path",
    ],
)
def test_it_checks_each_image_as_dashscope_does(simulator, image, words):
    response = generate(simulator, images=[image])
    if words is None and image.startswith("data:"):
        assert response.status_code == 200, response.text
    else:
        body = refused(simulator, images=[image])
        assert words is None or words in body["message"]
        assert body["message"].startswith("image 1")


def test_it_refuses_an_image_over_20_mb(simulator):
    big = "data:image/png;base64," + base64.b64encode(b"\0" * (20 * 1024 * 1024 + 1)).decode()
    assert "20 MB" in refused(simulator, images=[data_uri(), big])["message"]


def test_the_picture_shows_the_reference_images_in_order(simulator):
    images = [data_uri("red"), data_uri("blue", size=(600, 300))]
    edit = png(image_urls(finished(simulator, images=images, size="1024*1024", seed=1))[0])
    fresh = png(image_urls(finished(simulator, size="1024*1024", seed=1))[0])
    first, second = reference_boxes(1024, 1024, 2)

    def centre(box):
        return ((box[0] + box[2]) // 2, (box[1] + box[3]) // 2)

    assert edit.getpixel(centre(first)) == (255, 0, 0)
    assert edit.getpixel(centre(second)) == (0, 0, 255)
    assert fresh.getpixel(centre(first)) != (255, 0, 0)


# --- limits -------------------------------------------------------------------------------


@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize("model, limit", [("wan2.7-image", 5), ("wan2.6-t2i", 5)])
def test_each_model_has_its_own_concurrency_limit(simulator, model, limit):
    simulator.config.submit_rate = 0
    for _ in range(limit):
        generate_ok(simulator, model=model)
    assert_error(generate(simulator, model=model), 429, "Throttling")
    generate_ok(simulator, model="wan2.7-image-pro")  # another model, another count


def test_each_model_has_its_own_submit_rate(simulator, clock):
    simulator.config.concurrency_limit = 100
    for _ in range(5):
        generate_ok(simulator)
    assert_error(generate(simulator), 429, "Throttling.RateQuota")
    generate_ok(simulator, model="wan2.6-t2i")
    assert_error(generate(simulator, model="wan2.6-t2i"), 429, "Throttling.RateQuota")
    clock.advance(0.21)  # five a second: one back
    generate_ok(simulator)
    assert_error(generate(simulator, model="wan2.6-t2i"), 429, "Throttling.RateQuota")
    clock.advance(0.8)  # wan2.6-t2i's one a second
    generate_ok(simulator, model="wan2.6-t2i")


@pytest.mark.usefixtures("clock")
def test_the_config_sets_one_limit_for_every_model(simulator):
    simulator.config.concurrency_limit, simulator.config.submit_rate = 1, 0
    generate_ok(simulator)
    assert_error(generate(simulator), 429, "Throttling")


# --- result URLs and faults ---------------------------------------------------------------


def test_result_urls_have_a_path_family_of_their_own(simulator):
    answer = finished(simulator)
    task_id = answer["output"]["task_id"]
    url = image_urls(answer)[0]
    assert url.startswith(f"{simulator.base_url[:-7]}/dashscope-result-bj/{task_id}/0.png?Expires=")
    old_family = url.replace("/dashscope-result-bj/", "/results/")
    assert requests.get(old_family, timeout=5).status_code == 403


def test_an_expired_result_url_answers_403(simulator):
    simulator.config.url_ttl_seconds = 0
    response = requests.get(image_urls(finished(simulator))[0], timeout=5)
    assert response.status_code == 403
    assert "<Message>Request has expired.</Message>" in response.text


@pytest.mark.parametrize(
    "knob, status, code",
    [
        ("error_rate_5xx", 500, "InternalError"),
        ("arrearage", 400, "Arrearage"),
    ],
)
def test_faults_strike_the_new_endpoints_too(simulator, knob, status, code):
    setattr(simulator.config, knob, 1.0 if knob.endswith("rate_5xx") else True)
    assert_error(generate(simulator), status, code)
    assert_error(generate(simulator, headers=AUTH, path=GENERATE_NOW), status, code)


def test_resets_malformed_answers_and_bad_keys_strike_the_new_endpoint(simulator):
    simulator.config.reset_rate = 1.0
    with pytest.raises(requests.ConnectionError):
        generate(simulator)
    simulator.config.reset_rate, simulator.config.malformed_rate = 0.0, 1.0
    response = generate(simulator)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    simulator.config.malformed_rate = 0.0
    bad_key = {**HEADERS, "Authorization": "Bearer nope"}
    assert_error(generate(simulator, headers=bad_key), 401, "InvalidApiKey")


def test_a_spurious_unknown_strikes_a_new_task_too(simulator):
    task_id = generate_ok(simulator)
    simulator.config.unknown_rate = 1.0
    assert output(simulator, task_id)["task_status"] == "UNKNOWN"


def test_cancel_and_list_serve_both_protocols(simulator):
    unthrottled(simulator)
    simulator.config.pending_seconds = 10
    new = generate_ok(simulator, model="wan2.6-t2i")
    old = requests.post(
        simulator.base_url + SUBMIT,
        json={"model": "wanx2.1-t2i-turbo", "input": {"prompt": "a fox"}},
        headers=HEADERS,
        timeout=5,
    ).json()["output"]["task_id"]
    cancel = requests.post(f"{simulator.base_url}/tasks/{new}/cancel", headers=AUTH, timeout=5)
    assert cancel.status_code == 200
    assert output(simulator, new)["task_status"] == "CANCELED"
    listed = requests.get(f"{simulator.base_url}/tasks", headers=AUTH, timeout=5).json()["data"]
    assert {row["task_id"]: row["model_name"] for row in listed} == {
        new: "wan2.6-t2i",
        old: "wanx2.1-t2i-turbo",
    }
    assert TEST_KEY in simulator.stats()["submits_by_key"]
