"""The language and the theme: the browser's, or those chosen in the menu, remembered for the
person."""

from datetime import UTC, datetime

from django.conf import settings
from django.test import Client
from django.urls import reverse

from gallery.models import Preferences

from ..factories import PASSWORD, make_generation

HOME = reverse("gallery:home")


def speaks(page) -> str:
    return page.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_page_speaks_what_the_browser_asks_for(logged_in):
    assert speaks(logged_in.get(HOME, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")) == "zh-hans"
    assert speaks(logged_in.get(HOME, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")) == "en"
    assert speaks(logged_in.get(HOME, HTTP_ACCEPT_LANGUAGE="fr-FR")) == "en"


def test_the_menu_offers_the_other_language_named_in_itself(logged_in):
    page = logged_in.get(HOME, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="zh-hans" lang="zh-hans" class="link">简体中文</button>' in page
    page = logged_in.get(HOME, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'value="en" lang="en" class="link">English</button>' in page


def test_someone_not_logged_in_switches_and_comes_back_to_the_page(client, db):
    login = reverse("login")
    response = client.post(
        reverse("set_language"), {"language": "zh-hans"}, HTTP_REFERER=f"http://testserver{login}"
    )
    assert response.status_code == 302 and response["Location"] == f"http://testserver{login}"
    page = client.get(login, HTTP_ACCEPT_LANGUAGE="en")
    assert speaks(page) == "zh-hans" and "登录" in page.content.decode()


def test_a_choice_is_remembered_for_the_next_login_on_another_device(logged_in, user):
    logged_in.post(reverse("set_language"), {"language": "zh-hans"})
    assert Preferences.objects.get(user=user).language == "zh-hans"

    elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en-US")
    login = reverse("login")
    elsewhere.get(login)
    elsewhere.post(login, {"username": user.username, "password": PASSWORD})
    assert elsewhere.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert speaks(elsewhere.get(HOME)) == "zh-hans"


def test_switching_back_is_remembered_too(logged_in, user):
    logged_in.post(reverse("set_language"), {"language": "zh-hans"})
    logged_in.post(reverse("set_language"), {"language": "en"})
    assert Preferences.objects.get(user=user).language == "en"
    assert speaks(logged_in.get(HOME, HTTP_ACCEPT_LANGUAGE="zh-hans")) == "en"


def test_a_language_not_offered_changes_nothing(logged_in, user):
    assert logged_in.post(reverse("set_language"), {"language": "fr"}).status_code == 400
    assert not Preferences.objects.filter(user=user).exists()
    assert settings.LANGUAGE_COOKIE_NAME not in logged_in.cookies


def theme_of(page) -> str | None:
    head = page.content.decode().split(">", 2)[1]  # <html ...>
    return head.split('data-theme="', 1)[1].split('"', 1)[0] if "data-theme" in head else None


def test_a_page_follows_the_system_until_a_theme_is_chosen(logged_in, user):
    page = logged_in.get(HOME)
    assert theme_of(page) is None
    assert "As the system" not in page.content.decode()

    logged_in.post(
        reverse("set_theme"), {"theme": "dark"}, HTTP_REFERER="http://testserver/boards/"
    )
    page = logged_in.get(HOME)
    assert theme_of(page) == "dark"
    assert 'name="theme" value="" class="link">As the system</button>' in page.content.decode()
    assert Preferences.objects.get(user=user).theme == "dark"

    logged_in.post(reverse("set_theme"), {"theme": ""})
    assert theme_of(logged_in.get(HOME)) is None
    assert Preferences.objects.get(user=user).theme == ""


def test_choosing_a_theme_comes_back_to_the_page(logged_in):
    boards = "http://testserver" + reverse("gallery:boards")
    response = logged_in.post(reverse("set_theme"), {"theme": "light"}, HTTP_REFERER=boards)
    assert response.status_code == 302 and response["Location"] == boards


def test_a_theme_is_remembered_for_the_next_login_on_another_device(logged_in, user):
    logged_in.post(reverse("set_theme"), {"theme": "light"})
    elsewhere = Client()
    login = reverse("login")
    elsewhere.get(login)
    elsewhere.post(login, {"username": user.username, "password": PASSWORD})
    assert theme_of(elsewhere.get(HOME)) == "light"


def test_someone_not_logged_in_may_choose_a_theme_for_this_browser(client, db):
    client.post(reverse("set_theme"), {"theme": "dark"})
    assert theme_of(client.get(reverse("login"))) == "dark"
    assert not Preferences.objects.exists()


def test_a_theme_not_offered_changes_nothing(logged_in, user):
    assert logged_in.post(reverse("set_theme"), {"theme": "purple"}).status_code == 400
    assert not Preferences.objects.filter(user=user).exists()
    logged_in.cookies["theme"] = "purple"  # written by hand: drawn as the system's
    assert theme_of(logged_in.get(HOME)) is None


def times_on(page) -> str:
    return page.content.decode().split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]


def test_times_are_shown_in_the_zone_the_person_chose(logged_in, user, settings):
    created = datetime(2026, 12, 4, 1, 30, tzinfo=UTC)
    generation = make_generation(user, created_at=created)
    detail = reverse("gallery:detail", args=[generation.pk])
    assert "2026-12-04 01:30:00 UTC" in times_on(logged_in.get(detail))  # TIME_ZONE's

    page = logged_in.get(reverse("settings"))
    assert "As this installation: UTC" in page.content.decode()
    response = logged_in.post(reverse("settings"), {"time_zone": "Asia/Shanghai"})
    assert response.status_code == 302
    assert Preferences.objects.get(user=user).time_zone == "Asia/Shanghai"
    assert "2026-12-04 09:30:00 CST" in times_on(logged_in.get(detail))

    elsewhere = Client()
    login = reverse("login")
    elsewhere.get(login)
    elsewhere.post(login, {"username": user.username, "password": PASSWORD})
    assert "09:30:00 CST" in times_on(elsewhere.get(detail))

    logged_in.post(reverse("settings"), {"time_zone": ""})
    assert "01:30:00 UTC" in times_on(logged_in.get(detail))


def test_a_zone_that_does_not_exist_is_refused_at_its_field(logged_in, user):
    page = logged_in.post(reverse("settings"), {"time_zone": "Mars/Olympus_Mons"})
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    assert Preferences.objects.get(user=user).time_zone == ""
