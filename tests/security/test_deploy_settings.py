"""Deployment settings: with the production environment (README, "Security", HSTS preload
included), `manage.py check --deploy` finds nothing; without it, the defaults still serve
`make run` over plain http."""

import json
import secrets
import subprocess

import pytest

from ..conftest import embedded_environment, run_manage, slow

pytestmark = slow

SWITCHES = [
    "DEBUG",
    "HTTPS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
]
PRODUCTION = {
    "DEBUG": "false",
    "HTTPS": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "true",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "wanx.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://wanx.example.com",
}
SHOW = (
    "import json; from django.conf import settings as s; print(json.dumps({name: getattr(s, name)"
    " for name in ['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT',"
    " 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD']}))"
)


@pytest.fixture
def manage(tmp_path):
    """Run manage.py on the embedded configuration with only `variables` of the switches set
    (and a VAR_DIR of its own)."""
    # DJANGO_ALLOW_ASYNC_UNSAFE: set for the browser tests, and an error under --deploy
    unset = {*SWITCHES, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in embedded_environment().items() if k not in unset}

    def run(*args: str, variables: dict) -> subprocess.CompletedProcess:
        return run_manage(*args, env={**base, "VAR_DIR": str(tmp_path / "var"), **variables})

    return run


def test_the_production_environment_passes_check_deploy_without_a_warning(manage):
    result = manage("check", "--deploy", "--fail-level", "WARNING", variables=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_production_environment_turns_every_switch_on(manage):
    result = manage("shell", "-c", SHOW, variables=PRODUCTION)
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
    }


def test_a_weak_secret_key_from_the_environment_is_flagged(manage):
    weak = {**PRODUCTION, "SECRET_KEY": "changeme"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", variables=weak)
    assert result.returncode != 0 and "security.W009" in result.stderr + result.stdout


def test_the_local_defaults_serve_plain_http_and_check_deploy_says_what_is_missing(manage):
    shown = manage("shell", "-c", SHOW, variables={})
    assert json.loads(shown.stdout.splitlines()[-1]) == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
    }
    result = manage("check", "--deploy", variables={})
    for warning in ("W004", "W008", "W012", "W016"):  # HSTS, redirect, both cookies
        assert f"security.{warning}" in result.stderr + result.stdout
    assert "SECRET_KEY" not in result.stderr + result.stdout  # the kept random key is strong


@pytest.mark.django_db
def test_a_page_over_plain_http_is_served_with_the_protective_headers(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200  # no redirect to https by default
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response


@pytest.mark.parametrize(
    "scale_out",
    [
        {"REDIS_URL": "redis://127.0.0.1:6379/0"},
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test"},
        {"AWS_STORAGE_BUCKET_NAME": "wanx-images", "AWS_S3_REGION_NAME": "eu-central-1"},
    ],
    ids=["redis", "postgresql", "bucket"],
)
def test_several_machines_need_one_secret_key_so_none_starts_without(manage, scale_out):
    refused = manage("check", variables=scale_out)
    assert refused.returncode != 0
    assert "Set SECRET_KEY, the same on every machine" in refused.stderr

    assert manage("check", variables={**scale_out, "SECRET_KEY": "k" * 50}).returncode == 0


def test_a_bucket_on_aws_needs_its_region(manage):
    bucket = {"AWS_STORAGE_BUCKET_NAME": "wanx-images", "SECRET_KEY": "k" * 50}
    refused = manage("check", variables=bucket)
    assert "Set AWS_S3_REGION_NAME to the bucket's AWS region." in refused.stderr
    with_region = {**bucket, "AWS_S3_REGION_NAME": "eu-central-1"}
    assert manage("check", variables=with_region).returncode == 0
