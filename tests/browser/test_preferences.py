"""The language a person reads and the theme they see: their browser's, or those they pick in
the menu, which then follow them to their next login."""

import pytest
from playwright.sync_api import Browser, expect

from ..factories import PASSWORD
from .helpers import CHINESE, log_in, menu


@pytest.mark.parametrize("width", [390, 1440])
def test_a_chinese_browser_gets_chinese_and_english_picked_in_the_menu_follows_the_person(
    browser: Browser, live_server, user, width
):
    viewport = {"width": width, "height": 900}
    chinese_browser = browser.new_context(locale="zh-CN", viewport=viewport)
    page = chinese_browser.new_page()
    log_in(page, live_server.url, user.username, PASSWORD, CHINESE)
    expect(page.get_by_role("heading", name="我的作品")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    menu(page).get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Your generations")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/")
    chinese_browser.close()

    # Another device, its browser asking for Chinese: the choice came with the login.
    elsewhere = browser.new_context(locale="zh-CN", viewport=viewport)
    page = elsewhere.new_page()
    log_in(page, live_server.url, user.username, PASSWORD, CHINESE)
    expect(page.get_by_role("heading", name="Your generations")).to_be_visible()
    menu(page).get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", name="我的作品")).to_be_visible()
    elsewhere.close()


BACKGROUND = "() => getComputedStyle(document.documentElement).backgroundColor"
DARK, LIGHT = "rgb(19, 19, 22)", "rgb(246, 245, 242)"  # the page's background in each theme


@pytest.mark.parametrize("width", [390, 1440])
def test_the_page_is_dark_with_the_system_until_light_is_picked_in_the_menu(
    browser: Browser, live_server, user, width
):
    dark_system = browser.new_context(color_scheme="dark", viewport={"width": width, "height": 900})
    page = dark_system.new_page()
    log_in(page, live_server.url, user.username, PASSWORD)
    expect(page.get_by_role("heading", name="Your generations")).to_be_visible()
    assert page.evaluate(BACKGROUND) == DARK
    expect(menu(page).get_by_role("button", name="☾ Dark")).to_be_hidden()

    menu(page).get_by_role("button", name="☀ Light").click()
    expect(menu(page).get_by_role("button", name="As the system")).to_be_visible()
    assert page.evaluate(BACKGROUND) == LIGHT
    expect(menu(page).get_by_role("button", name="☀ Light")).to_be_hidden()

    menu(page).get_by_role("button", name="As the system").click()
    expect(page.get_by_role("button", name="As the system")).to_have_count(0)
    assert page.evaluate(BACKGROUND) == DARK
    dark_system.close()
