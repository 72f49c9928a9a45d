"""A person in a browser tab, for bench/load.py: logs in through the form, submits the prompt
form and refreshes each active card as htmx would, reloads the gallery now and then, and keeps
the time and outcome of every request."""

from __future__ import annotations

import argparse
import html
import random
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser

import requests

from bench._harness import htmx_headers, login_form

ARTICLE = re.compile(r"<article\b[^>]*>")
FAILED_REFRESH_SECONDS = 3.0  # the card's `every 3s` trigger, when a refresh was not swapped in


@dataclass
class Result:
    kind: str
    seconds: float
    error: str | None  # None when the answer was the expected one
    at: float = field(default_factory=time.monotonic)


class PromptForm(HTMLParser):
    """What submitting the prompt form (#prompt-form) in `page` would send, as it stands."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._inside = False
        self._select: str | None = None
        self._textarea: str | None = None
        start = page.find('<form id="prompt-form"')  # parse only the form: pages are 50 kB
        if start != -1:
            self.feed(page[start : page.find("</form>", start) + len("</form>")])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self._inside = a.get("id") == "prompt-form"
        if not self._inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[name] = a.get("value") or "on"
            elif kind not in ("submit", "button", "file"):
                self.fields[name] = a.get("value") or ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.fields:
                self.fields[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def cards_in(page: str) -> dict[int, tuple[str | None, int, str]]:
    """Each card in `page`: its refresh URL and delay in ms (None, 0 once it has settled) and
    its status."""
    cards = {}
    for tag in ARTICLE.findall(page):
        pk = re.search(r'id="generation-(\d+)"', tag)
        if not pk:
            continue
        url = re.search(r'hx-get="([^"]+)"', tag)
        delay = re.search(r"delay:(\d+)ms", tag)
        status = re.search(r'data-status="(\w+)"', tag)
        cards[int(pk[1])] = (
            html.unescape(url[1]) if url else None,
            int(delay[1]) if delay else 0,
            status[1] if status else "",
        )
    return cards


def failure(error: Exception) -> str:
    """An exception as the error breakdown names it: its type and its innermost cause's."""
    cause = error
    while cause.__context__ is not None or cause.args and isinstance(cause.args[-1], Exception):
        cause = cause.__context__ or cause.args[-1]
    if cause is error:
        return type(error).__name__
    return f"{type(error).__name__} ({type(cause).__name__})"


class Browser:
    """One person in one browser tab."""

    def __init__(self, base_url: str, username: str, args: argparse.Namespace) -> None:
        self.base_url = base_url
        self.username = username
        self.args = args
        self.rng = random.Random(username)
        self.session = requests.Session()
        self.results: list[Result] = []
        self.form: dict[str, str] = {}
        self.polling: dict[int, tuple[str, float]] = {}  # card -> (refresh URL, when)
        self.created: list[int] = []
        self.seen_done: set[int] = set()

    def call(self, kind: str, method: str, path: str, expect: int = 200, **kwargs):
        """One timed request; the response when it is the expected one, else None."""
        start = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base_url + path, allow_redirects=False, timeout=30, **kwargs
            )
        except requests.RequestException as error:
            self.results.append(Result(kind, time.perf_counter() - start, failure(error)))
            return None
        ok = response.status_code == expect
        error = None if ok else f"HTTP {response.status_code}"
        self.results.append(Result(kind, time.perf_counter() - start, error))
        return response if ok else None

    def log_in(self) -> bool:
        """Through the login form, to the gallery it sends you to."""
        if self.call("login page", "GET", "/accounts/login/") is None:
            return False
        data = login_form(self.session, self.username)
        if self.call("login", "POST", "/accounts/login/", expect=302, data=data) is None:
            return False
        return self.open_gallery()

    def open_gallery(self) -> bool:
        response = self.call("gallery page", "GET", "/")
        if response is None:
            return False
        self.form = PromptForm(response.text).fields
        now = time.monotonic()
        self.polling = {  # a page load replaces the cards and their timers
            pk: (url, now + delay / 1000)
            for pk, (url, delay, _) in cards_in(response.text).items()
            if url
        }
        return True

    def create(self) -> bool:
        data = {
            **self.form,
            "prompt": f"{self.username}'s lighthouse at dawn, take {len(self.created)}",
        }
        headers = htmx_headers(self.session, self.base_url, "prompt-form")
        response = self.call("create (POST /)", "POST", "/", data=data, headers=headers)
        if response is None:
            return False
        cards = cards_in(response.text)
        if not cards:  # the form came back with errors, or the card went elsewhere
            self.results[-1].error = "no new card in the answer"
            return False
        self.form = PromptForm(response.text).fields
        now = time.monotonic()
        for pk, (url, delay, _) in cards.items():
            self.created.append(pk)
            if url:
                self.polling[pk] = (url, now + delay / 1000)
        return True

    def refresh(self, pk: int, url: str) -> None:
        target = f"generation-{pk}"
        headers = htmx_headers(self.session, self.base_url, target)
        response = self.call("card fragment", "GET", url, headers=headers)
        now = time.monotonic()
        card = cards_in(response.text).get(pk) if response is not None else None
        if card is None:
            self.polling[pk] = (url, now + FAILED_REFRESH_SECONDS)
            return
        next_url, delay, status = card
        if next_url:
            self.polling[pk] = (next_url, now + delay / 1000)
        else:
            del self.polling[pk]
            if status == "SUCCEEDED":
                self.seen_done.add(pk)

    def browse(self, deadline: float) -> None:
        """Until `deadline`: the next thing due, whichever it is."""
        rng, args = self.rng, self.args
        now = time.monotonic()
        next_page = now + rng.uniform(0.5, 1.5) * args.gallery_every
        next_create: float | None = now + rng.uniform(0, args.think)  # spread the first ones
        while True:
            now = time.monotonic()
            if now >= deadline:
                return
            if next_create is None and not self.polling:  # all settled: think, then write
                next_create = now + rng.uniform(0.5, 1.5) * args.think
            due = [(next_page, "page")]
            if next_create is not None:
                due.append((next_create, "create"))
            if self.polling:
                pk = min(self.polling, key=lambda k: self.polling[k][1])
                due.append((self.polling[pk][1], "card"))
            at, action = min(due)
            if at > now:
                time.sleep(min(at, deadline) - now)
                continue
            if action == "card":
                self.refresh(pk, self.polling[pk][0])
            elif action == "create":
                next_create = None if self.create() else now + args.think
            else:
                self.open_gallery()
                next_page = time.monotonic() + rng.uniform(0.5, 1.5) * args.gallery_every
