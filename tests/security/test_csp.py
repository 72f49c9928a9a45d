"""The Content-Security-Policy: every answer carries it, it allows only the app's own scripts
and styles, and no template needs more (no inline script or style, nothing htmx must eval).
tests/security/test_csp_browser.py checks the same in Chromium."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from ..factories import make_generation

ROOT = Path(__file__).resolve().parents[2]
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
TEMPLATES = sorted(
    path.relative_to(ROOT).as_posix()
    for folder in [ROOT / "templates", ROOT / "gallery" / "templates"]
    for path in folder.rglob("*.html")
)


def expected_policy() -> dict[str, str]:
    """POLICY; with object storage, images may also come from the bucket a presigned URL names
    (path-style or virtual-hosted)."""
    if not settings.AWS_STORAGE_BUCKET_NAME:
        return POLICY
    endpoint = urlsplit(settings.AWS_S3_ENDPOINT_URL)
    bucket = f"{endpoint.scheme}://{settings.AWS_STORAGE_BUCKET_NAME}.{endpoint.netloc}"
    return {**POLICY, "img-src": f"'self' {endpoint.scheme}://{endpoint.netloc} {bucket}"}


def template_text(template: str) -> str:
    """The template without its comments, which may well talk about what they leave out."""
    text = (ROOT / template).read_text()
    text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", text, flags=re.S)
    return re.sub(r"{#.*?#}", "", text)


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.django_db
def test_every_kind_of_answer_carries_the_policy(client, user, admin_user):
    generation = make_generation(user)
    answers = [client.get("/accounts/login/")]
    client.force_login(user)
    answers += [
        client.get("/"),
        client.get(f"/g/{generation.pk}/card/", headers={"HX-Request": "true"}),
        client.get("/no/such/page/"),
    ]
    client.force_login(admin_user)
    answers.append(client.get("/admin/gallery/generation/"))
    for response in answers:
        assert policy_of(response) == expected_policy(), response.request["PATH_INFO"]


def test_the_policy_allows_no_inline_code_no_eval_and_no_other_origin():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    header = " ".join(" ".join(v) for name, v in directives.items() if name != "img-src")
    for loophole in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http"):
        assert loophole not in header
    assert "img-src" not in directives or expected_policy()["img-src"].split() == [
        str(source) for source in directives["img-src"]
    ]


@pytest.mark.parametrize("template", TEMPLATES)
def test_no_template_has_inline_script_or_style(template):
    text = template_text(template)
    inline_script = re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text)
    assert not inline_script, f"inline script: {inline_script[0]}"
    assert "<style" not in text, "a <style> element"
    assert not re.search(r"\sstyle=", text), "a style attribute"
    handler = re.search(r"\son[a-z]+=", text)
    assert not handler, f"an inline event handler: {handler[0]}"
    assert "javascript:" not in text


def needs_eval(text: str) -> list[str]:
    """What in a template htmx would have to run as code: trigger filters, hx-on, js: values."""
    found = re.findall(r"\shx-on[:-][\w:-]*=", text)
    found += re.findall(r"hx-(?:vals|headers)=['\"]\s*(?:js|javascript):", text)
    found += re.findall(r"\shx-vars=", text)
    for trigger in re.findall(r"hx-trigger=\"([^\"]*)\"", text):
        # an event name, or "every 3s", followed by a [filter]; not a [selector] after from:
        found += re.findall(r"(?:^|,)\s*((?:every\s+\S+\s*)?[\w:.-]*\s*\[[^\]]*\])", trigger)
    return found


def test_the_eval_finder_finds_what_it_should():
    assert needs_eval('<a hx-trigger="load[ok] delay:1s, every 3s [x], submit">')
    assert needs_eval('<a hx-on:click="go()">') and needs_eval("<a hx-vals='js:{a: b()}'>")
    assert not needs_eval('<a hx-trigger="input changed delay:4ms from:input[type=search]">')


@pytest.mark.parametrize("template", TEMPLATES)
def test_no_template_needs_htmx_to_evaluate_code(template):
    found = needs_eval(template_text(template))
    assert not found, f"needs 'unsafe-eval': {found}"


@pytest.mark.django_db
def test_pages_tell_htmx_to_add_no_style_and_eval_nothing(client, user):
    client.force_login(user)
    body = client.get("/").content.decode()
    config = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", body)[1]
    assert '"includeIndicatorStyles": false' in config and '"allowEval": false' in config
    assert '"allowScriptTags": false' in config
    assert body.index('name="htmx-config"') < body.index("htmx-2.")  # read before htmx starts
