"""Filters of the log's console handler (settings.LOGGING)."""


def no_traceback_below_500(record) -> bool:
    """Django logs a refused request (403, 400) with the exception's traceback; a client's
    mistake needs only its line, and anyone can repeat it to fill the log."""
    if getattr(record, "status_code", 500) < 500:
        record.exc_info = record.exc_text = None
    return True
