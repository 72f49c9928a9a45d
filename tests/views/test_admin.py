import pytest

from ..conftest import make_generation

pytestmark = pytest.mark.django_db


def test_staff_can_filter_and_search_generations(admin_client, user):
    make_generation(user, prompt="a lighthouse at dawn", status="FAILED", error_code="Arrearage")
    make_generation(user, prompt="a quiet harbour")

    by_prompt = admin_client.get("/admin/gallery/generation/", {"q": "harbour"})
    by_status = admin_client.get("/admin/gallery/generation/", {"status__exact": "FAILED"})

    assert by_prompt.context["cl"].result_count == 1
    assert "a quiet harbour" in by_prompt.content.decode()
    assert [g.prompt for g in by_status.context["cl"].result_list] == ["a lighthouse at dawn"]


def test_a_generation_page_shows_its_images_inline(admin_client, user):
    generation = make_generation(user)
    response = admin_client.get(f"/admin/gallery/generation/{generation.pk}/change/")
    assert response.status_code == 200
    assert "Generated images" in response.content.decode()
