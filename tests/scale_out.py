"""Run a command in the scale-out configuration: PostgreSQL, the Redis broker and cache, and
object storage, which is a real S3 server (moto's) started here for the command's lifetime.

    python -m tests.scale_out pytest -x        (what `make test` runs second)

PostgreSQL and Redis are the machine's (127.0.0.1:5432 with trust auth, 127.0.0.1:6379) unless
DATABASE_URL / REDIS_URL say otherwise; pytest-django makes its own test database beside the
one named. Each run has a bucket of its own.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@contextmanager
def object_storage() -> Iterator[dict[str, str]]:
    """An S3 server on a free loopback port with one empty bucket; yields its settings."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    settings = {
        "AWS_STORAGE_BUCKET_NAME": f"wanxweb-{uuid.uuid4().hex[:12]}",
        "AWS_S3_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",  # a bucket can't be a subdomain of 127.0.0.1
        "AWS_ACCESS_KEY_ID": "wanxweb-test",
        "AWS_SECRET_ACCESS_KEY": "wanxweb-test-secret",
    }
    boto3.client(
        "s3",
        endpoint_url=settings["AWS_S3_ENDPOINT_URL"],
        region_name=settings["AWS_S3_REGION_NAME"],
        aws_access_key_id=settings["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=settings["AWS_SECRET_ACCESS_KEY"],
    ).create_bucket(Bucket=settings["AWS_STORAGE_BUCKET_NAME"])
    try:
        yield settings
    finally:
        server.stop()


def scale_out_env() -> dict[str, str]:
    """The machine's PostgreSQL and Redis, and the one SECRET_KEY every process must share."""
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        "REDIS_URL": os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
    }


def main(command: list[str]) -> int:
    with object_storage() as storage:
        env = {**os.environ, **scale_out_env(), **storage}
        print(
            f"scale-out configuration: {env['DATABASE_URL']}, {env['REDIS_URL']}, "
            f"bucket {storage['AWS_STORAGE_BUCKET_NAME']} at {storage['AWS_S3_ENDPOINT_URL']}",
            flush=True,
        )
        return subprocess.call(command, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
