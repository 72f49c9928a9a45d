from django.conf import settings


def dashscope_mode(request) -> dict:
    return {"dashscope_simulated": settings.DASHSCOPE_SIMULATED}
