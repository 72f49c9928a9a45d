"""The review view on the gallery page: search and filters that live in the address bar, a remix
made from what was found, and the originals of the ticked cards downloaded as one ZIP."""

import io
import json
import re
import zipfile

from PIL import Image
from playwright.sync_api import Page, expect

from ..factories import finished_generation, make_generation


def prompts(page: Page):
    return page.locator("#history > article .prompt")


def test_search_and_model_filter_live_in_the_url_and_a_remix_links_back(
    alice_page: Page, live_server, user, media_root
):
    finished_generation(user, prompt="a red lighthouse at dawn")
    barn = finished_generation(user, prompt="a red barn in the snow", model="wan2.2-t2i-flash")
    finished_generation(user, prompt="a blue harbour at night")
    page = alice_page
    page.reload()
    expect(prompts(page)).to_have_text(
        ["a blue harbour at night", "a red barn in the snow", "a red lighthouse at dawn"]
    )
    page.evaluate("window.__noReload = true")
    filters = page.locator("#review-filters")

    filters.get_by_label("Search").fill("red")
    expect(page).to_have_url(f"{live_server.url}/?q=red")
    expect(prompts(page)).to_have_text(["a red barn in the snow", "a red lighthouse at dawn"])

    filters.get_by_label("Model").select_option("wan2.2-t2i-flash")
    expect(page).to_have_url(f"{live_server.url}/?q=red&model=wan2.2-t2i-flash")
    expect(prompts(page)).to_have_text(["a red barn in the snow"])
    assert page.evaluate("window.__noReload") is True  # HTMX swapped the results in place

    page.reload()  # the address is a bookmark of this view
    expect(filters.get_by_label("Search")).to_have_value("red")
    expect(filters.get_by_label("Model")).to_have_value("wan2.2-t2i-flash")
    expect(prompts(page)).to_have_text(["a red barn in the snow"])

    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/?q=red")
    expect(filters.get_by_label("Search")).to_have_value("red")
    expect(filters.get_by_label("Model")).to_have_value("")
    expect(prompts(page)).to_have_text(["a red barn in the snow", "a red lighthouse at dawn"])

    page.go_forward()
    expect(page).to_have_url(f"{live_server.url}/?q=red&model=wan2.2-t2i-flash")
    expect(filters.get_by_label("Model")).to_have_value("wan2.2-t2i-flash")
    expect(prompts(page)).to_have_text(["a red barn in the snow"])
    page.locator(f"#generation-{barn.pk}").get_by_role("link", name="Remix", exact=True).click()

    expect(page).to_have_url(f"{live_server.url}/?remix={barn.pk}")
    form = page.locator("#prompt-form")
    expect(form).to_contain_text(f"Remix of #{barn.pk}")
    expect(form.get_by_label("Prompt", exact=True)).to_have_value("a red barn in the snow")
    expect(form.get_by_label("Model")).to_have_value("wan2.2-t2i-flash")
    form.get_by_label("Prompt", exact=True).fill("a red barn in the snow, at dusk")
    form.get_by_role("button", name="Generate").click()

    remix_card = page.locator("#history > article").first
    expect(remix_card.locator(".prompt")).to_have_text("a red barn in the snow, at dusk")
    remix_card.locator(".prompt a").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Generation #\d+$"))).to_be_visible()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/g/\d+/$"))
    remix_pk = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert remix_pk != barn.pk
    lineage = page.get_by_role("region", name="Lineage")
    expect(lineage.locator(".lineage-parent")).to_contain_text(
        f"Made from #{barn.pk} a red barn in the snow by alice"
    )

    lineage.get_by_role("link", name=f"#{barn.pk}").click()
    expect(page.get_by_role("heading", name=f"Generation #{barn.pk}")).to_be_visible()
    expect(page.get_by_role("region", name="Lineage").locator(".remixes")).to_contain_text(
        f"#{remix_pk} a red barn in the snow, at dusk"
    )


def test_the_ticked_cards_download_as_a_zip_of_their_originals(
    alice_page: Page, user, media_root, tmp_path
):
    pair = finished_generation(user, prompt="two lighthouses", n=2, seed=7)
    single = finished_generation(user, prompt="a harbour crane", seed=100)
    left_out = finished_generation(user, prompt="a rowing boat")
    page = alice_page
    page.reload()
    expect(page.locator("#history > article")).to_have_count(3)

    # ASSUMES the lead's bulk bar: a checkbox per finished card labelled "Pick generation #<pk>"
    # (form="bulk-form") and a "Download originals (ZIP)" button in the bar above the cards.
    page.get_by_label(f"Pick generation #{pair.pk}").check()
    page.get_by_label(f"Pick generation #{single.pk}").check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download originals (ZIP)").click()
    download = download_info.value
    assert re.fullmatch(r"wanxweb-\d{8}-\d{6}\.zip", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    with zipfile.ZipFile(path) as archive:
        expected = {
            f"wanxweb-{pair.pk}-1-two-lighthouses.png": (pair, 0),
            f"wanxweb-{pair.pk}-2-two-lighthouses.png": (pair, 1),
            f"wanxweb-{single.pk}-1-a-harbour-crane.png": (single, 0),
        }
        assert sorted(archive.namelist()) == sorted([*expected, "manifest.json"])
        for name, (generation, index) in expected.items():
            zipped = Image.open(io.BytesIO(archive.read(name)))
            with generation.images.get(index=index).original.open("rb") as stored:
                original = Image.open(io.BytesIO(stored.read()))
                assert zipped.tobytes() == original.tobytes(), name  # the very pixels
            assert zipped.text["prompt"] == generation.prompt
            assert zipped.text["seed"] == str(generation.seed + index)
            assert zipped.text["model"] == generation.model
        manifest = json.loads(archive.read("manifest.json"))
    assert sorted(entry["id"] for entry in manifest) == sorted([pair.pk, single.pk])
    assert left_out.pk not in {entry["id"] for entry in manifest}
    assert {entry["prompt"] for entry in manifest} == {"two lighthouses", "a harbour crane"}


def test_leaving_the_search_box_keeps_the_cards_load_more_brought(
    alice_page: Page, live_server, user
):
    for i in range(30):
        make_generation(user, prompt=f"a lighthouse, take {i}")
    make_generation(user, prompt="a meadow")
    page = alice_page
    filters = page.locator("#review-filters")

    filters.get_by_label("Search").fill("lighthouse")
    expect(page).to_have_url(f"{live_server.url}/?q=lighthouse")
    expect(prompts(page)).to_have_count(24)
    page.get_by_role("link", name="Load more").click()
    expect(prompts(page)).to_have_count(30)

    asked = []
    page.on("request", lambda request: asked.append(request.url))
    filters.get_by_label("Search").press("Tab")  # the box loses focus: a change event
    filters.get_by_label("Model").select_option("wanx2.1-t2i-turbo")  # this one does ask
    expect(page).to_have_url(f"{live_server.url}/?q=lighthouse&model=wanx2.1-t2i-turbo")
    expect(prompts(page)).to_have_count(24)
    assert len([url for url in asked if "/?q=lighthouse" in url]) == 1, asked


def test_a_new_card_goes_only_into_a_list_whose_filters_show_it(
    alice_page: Page, live_server, user, media_root
):
    finished_generation(user, prompt="a meadow at noon")
    page = alice_page
    page.goto(f"{live_server.url}/?q=meadow")
    expect(prompts(page)).to_have_text(["a meadow at noon"])
    form = page.locator("#prompt-form")

    form.get_by_label("Prompt", exact=True).fill("a lighthouse at dusk")
    form.get_by_role("button", name="Generate").click()
    notice = page.locator("#prompt-form").get_by_role("status")
    expect(notice).to_contain_text("is on its way; the list beside, as filtered and ordered now")
    expect(prompts(page)).to_have_text(["a meadow at noon"])  # the search still holds

    page.locator("#prompt-form").get_by_label("Prompt", exact=True).fill("a meadow at dusk")
    page.locator("#prompt-form").get_by_role("button", name="Generate").click()
    expect(prompts(page)).to_have_text(["a meadow at dusk", "a meadow at noon"])
    expect(page.locator("#prompt-form").get_by_role("status")).to_have_count(0)
