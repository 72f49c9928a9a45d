"""The Chinese catalogue: every string the code marks is translated, and a page in Chinese
shows no English that was left unmarked."""

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from gallery.dashscope.catalog import MODELS
from gallery.dashscope.errors import EXPLANATIONS, ErrorCode
from gallery.models import Board, BoardItem, Membership, Role, Team

from .factories import billed, create_user, every_page, finished_generation, make_generation
from .harness import ROOT

CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_the_catalogue_translates_every_string_the_code_marks(tmp_path):
    """`make messages` on a copy of the code finds nothing new, and nothing fuzzy or empty."""
    if shutil.which("msgfmt") is None:
        pytest.fail("GNU gettext is missing: `make gettext` installs it", pytrace=False)
    for part in ("gallery", "templates", "wanxweb", "locale"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(ROOT / "manage.py", tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "VAR_DIR": str(tmp_path / "var")},
        check=True,
        capture_output=True,
    )
    checked = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", "django.po"],
        cwd=tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES",
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert re.fullmatch(r"\d+ translated messages?\.\n", checked.stderr), (
        f"{checked.stderr.strip()}: run `make messages` and translate what is new or fuzzy in "
        "locale/zh_Hans/LC_MESSAGES/django.po"
    )


class VisibleText(HTMLParser):
    """The words a person sees or hears on a page: text, and the attributes that are read out
    or shown (title, alt, aria-label, placeholder); not what the page marks translate="no"
    (names such as the time zones')."""

    SPOKEN = {"title", "alt", "aria-label", "placeholder"}

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.hidden = 0  # inside <script>, <style>, <code> or translate="no"
        self.untranslated: list[str] = []  # the elements marked translate="no" open now

    def handle_starttag(self, tag, attrs) -> None:
        if ("translate", "no") in attrs:
            self.untranslated.append(tag)
            self.hidden += 1
        elif tag in ("script", "style", "code", "template"):
            self.hidden += 1
        if not self.untranslated:
            self.words += [value for name, value in attrs if name in self.SPOKEN and value]

    def handle_endtag(self, tag) -> None:
        if self.untranslated and tag == self.untranslated[-1]:
            self.untranslated.pop()
            self.hidden -= 1
        elif tag in ("script", "style", "code", "template"):
            self.hidden -= 1

    def handle_data(self, data) -> None:
        if not self.hidden:
            self.words.append(data)


# Names that stay as they are in Chinese: ours, Alibaba's, formats and units.
NAMES = {
    "wanxweb", "DashScope", "Alibaba", "Cloud", "API", "Key", "ZIP", "CSV", "PNG", "JPEG", "BMP",
    "WebP", "MB", "KB", "px", "LLM", "AI", "ID", "UTC", "x1", "y1", "x2", "y2", "e.g",
    "English", "K", "x", "i",
}  # fmt: skip
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z.]*[A-Za-z]|[A-Za-z]")
# Models by their labels and names, and DashScope's error codes (shown as they are, to quote).
MODEL_WORDS = {
    word for name, model in MODELS.items() for word in LATIN_WORD.findall(f"{name} {model.label}")
}
CODES = {word for code in [*EXPLANATIONS, *ErrorCode] for word in LATIN_WORD.findall(code)}


def english_left(html: str, own: set[str]) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    words = {word.strip(".") for text in parser.words for word in LATIN_WORD.findall(text)}
    return words - NAMES - MODEL_WORDS - CODES - own


@pytest.fixture
def chinese_world(db, media_root, client):
    """小明, in a team with a finished, a failed and a trashed generation, a board, a comment."""
    ming = create_user("小明")
    hong = create_user("小红")
    team = Team.objects.create(name="设计组")
    Membership.objects.create(team=team, user=ming, role=Role.OWNER)
    Membership.objects.create(team=team, user=hong, role=Role.MEMBER)
    done = finished_generation(ming, prompt="雪地里的红狐狸", team=team, n=2)
    remix = finished_generation(ming, prompt="雪地里的红狐狸，黄昏", parent=done)
    make_generation(ming, prompt="失败的一张", status="FAILED", error_code="DataInspectionFailed")
    make_generation(ming, prompt="扔掉的一张", status="SUCCEEDED", deleted_at=timezone.now())
    make_generation(ming, prompt="排队的一张")
    board = Board.objects.create(name="灵感", owner=ming)
    BoardItem.objects.create(board=board, image=done.images.first(), added_by=ming)
    done.comments.create(author=hong, body="很好看")
    billed(done, remix, budget_of=team)
    client.force_login(ming)
    return {"done": done, "remix": remix, "team": team, "board": board}


def test_pages_in_chinese_leave_no_english_words(chinese_world, client):
    done, remix = chinese_world["done"], chinese_world["remix"]
    team, board = chinese_world["team"], chinese_world["board"]
    pages = every_page(done, remix, board, team, filters="?status=FAILED&q=x")
    own = {"x", "q"}  # what this test typed into a filter
    for url in pages:
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
        assert page.status_code in (200, 404), url
        assert '<html lang="zh-hans">' in page.content.decode()
        left = english_left(page.content.decode(), own)
        assert not left, f"{url}: {sorted(left)}"


def test_the_pages_for_people_not_logged_in_leave_no_english_words(chinese_world, settings):
    settings.SIGNUP, settings.EMAIL_CONFIGURED = "open", True
    invitation = chinese_world["team"].invitations.create(
        role=Role.MEMBER, created_by=chinese_world["done"].owner
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    pages = [
        reverse("login"),
        reverse("signup"),
        invitation.get_absolute_url(),
        reverse("password_reset"),
        reverse("password_reset_done"),
        reverse("password_reset_confirm", args=["MQ", "not-a-token"]),
        reverse("password_reset_complete"),
    ]
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        left = english_left(page.content.decode(), set())
        assert not left, f"{url}: {sorted(left)}"


def test_a_page_in_english_is_english(chinese_world, client):
    page = client.get(reverse("gallery:home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="en">' in page.content.decode()
    assert "Your generations" in page.content.decode()


def test_our_models_are_named_in_chinese_in_the_admin():
    """The admin's own words are Django's; the names of our models and fields are ours."""
    with translation.override("zh-hans"):
        names = {
            f"{model.__name__}.{field.name}": str(field.verbose_name)
            for model in apps.get_app_config("gallery").get_models()
            for field in model._meta.get_fields()
            if hasattr(field, "verbose_name") and field.model is model
        }
        names |= {
            model.__name__: f"{model._meta.verbose_name} {model._meta.verbose_name_plural}"
            for model in apps.get_app_config("gallery").get_models()
        }
        names["the app"] = str(apps.get_app_config("gallery").verbose_name)
    english = {where: name for where, name in names.items() if english_left(name, set())}
    assert not english, english
