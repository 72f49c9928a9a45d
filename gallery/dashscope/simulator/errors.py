"""DashScope's error answers: a status, a code and a message, worded as the real API words them."""


class ApiError(Exception):
    """An /api/v1 answer other than 200; it reaches the client as {request_id, code, message}."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def invalid(message: str) -> ApiError:
    return ApiError(400, "InvalidParameter", message)


def throttled() -> ApiError:
    """Too many unfinished tasks for one key and model."""
    return ApiError(429, "Throttling", "Requests throttling triggered.")


def rate_quota() -> ApiError:
    """Too many calls per second for one key (and model, for submits)."""
    message = "Requests rate limit exceeded, please try again later."
    return ApiError(429, "Throttling.RateQuota", message)


def internal_error() -> ApiError:
    # sic: "occured" is DashScope's own spelling.
    message = "An internal error has occured, please try again later or contact service support."
    return ApiError(500, "InternalError", message)


def url_error() -> ApiError:
    """A model sent to the other protocol's endpoint: DashScope's words for a path it does not
    serve for that model."""
    return ApiError(400, "InvalidParameter", "url error, please check url!")
