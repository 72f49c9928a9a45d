"""A web process killed and started again while generations run loses nothing.

gunicorn serves the app from a subprocess, as in production; it is SIGKILLed while the
generations it created are still at DashScope and started again on the same port. The person's
session survives, the generations complete, and their cards show the stored images.
"""

import re
from io import BytesIO

import pytest
from PIL import Image

from gallery.models import Generation

from .harness import TIMEOUT, wait_until

pytestmark = pytest.mark.django_db(transaction=True)
Status = Generation.Status
PASSWORD = "wonderland-2026"  # the `user` fixture's


def test_restarting_the_web_process_mid_run_loses_nothing(web, simulator, user):
    simulator.config.running_seconds = 3.0  # long enough to restart the web process meanwhile
    browser = web.log_in(user.username, PASSWORD)
    for i in range(3):
        web.create(browser, f"restart {i}", n=2)

    ids = list(Generation.objects.values_list("pk", flat=True))
    assert len(ids) == 3
    # DashScope is working on them
    wait_until(lambda: simulator.stats()["submits"] >= 2, 20, lambda: simulator.stats()["submits"])
    web.kill()
    assert Generation.objects.active().count() == 3  # nothing had finished yet
    web.start()

    wait_until(
        lambda: not Generation.objects.active().exists(),
        60,
        lambda: list(Generation.objects.values("status")),
    )
    assert simulator.stats()["submits"] == 3  # each sent once
    for pk in ids:
        card = browser.get(f"{web.url}/g/{pk}/card/", timeout=TIMEOUT)  # the same session as before
        assert card.status_code == 200
        assert 'data-status="SUCCEEDED"' in card.text
        thumbnails = re.findall(r'<img src="([^"]+/thumbnail/)"', card.text)
        assert len(thumbnails) == 2
        for url in thumbnails:
            image = browser.get(f"{web.url}{url}", timeout=TIMEOUT)
            assert image.status_code == 200
            with Image.open(BytesIO(image.content)) as picture:
                assert picture.format == "WEBP"
