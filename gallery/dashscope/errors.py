"""DashScope's errors as exceptions, and the one place that puts them in a person's words."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ErrorCode(StrEnum):
    """The codes this app branches on or records itself; DashScope sends many more, and every
    code, named here or not, is stored and explained as a plain string."""

    # DashScope's own
    INVALID_PARAMETER = "InvalidParameter"
    ALLOCATION_QUOTA = "Throttling.AllocationQuota"
    FREE_TIER_ONLY = "AllocationQuota.FreeTierOnly"
    TASK_FORGOTTEN = "UNKNOWN"  # a task status of DashScope's, recorded as the error
    # This app's, for what DashScope does not say itself
    FAILED = "Failed"  # a task or image that ended FAILED without a code
    CONNECT_TIMEOUT = "ConnectTimeout"
    READ_TIMEOUT = "ReadTimeout"
    CONNECTION_ERROR = "ConnectionError"
    MALFORMED_RESPONSE = "MalformedResponse"
    SUBMIT_OUTCOME_UNKNOWN = "SubmitOutcomeUnknown"
    TIMED_OUT = "TimedOut"
    CANCELED = "Canceled"
    DOWNLOAD_FAILED = "DownloadFailed"
    RESULT_EXPIRED = "ResultExpired"


# Answers that say "not now" rather than "never": back off and try again.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
GATEWAY_STATUSES = frozenset({502, 504})
# Answers with a retryable status that will not go away by waiting: the quota is used up.
FINAL_CODES = frozenset({ErrorCode.ALLOCATION_QUOTA, ErrorCode.FREE_TIER_ONLY})
# Refusals of what was asked, not of the moment: the same request would meet them again, so
# "Try again" opens it in the form to change (the prompt, or the account's balance) first.
REFUSED_AS_ASKED = frozenset({"DataInspectionFailed", "IPInfringementSuspect", "Arrearage"})
# InvalidParameter's message when the endpoint does not serve the model (the other protocol's
# model, another region's, or one the account has not activated).
URL_ERROR = "url error"


class DashScopeError(Exception):
    """An answer from DashScope that is not a success, or no usable answer at all."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        request_id: str = "",
        retryable: bool | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id
        if retryable is None:
            retryable = status in RETRYABLE_STATUSES and code not in FINAL_CODES
        self.retryable = retryable
        # A gateway error can come after the service behind it accepted the request.
        self.maybe_received = status in GATEWAY_STATUSES
        # DashScope, or the way to it, is at fault (not the request): a sign of an outage.
        self.server_side = status is not None and status >= 500
        super().__init__(f"{code}: {message} (HTTP {status}, request_id {request_id or '-'})")


class DashScopeUnavailable(DashScopeError):
    """No usable answer: a connection error, a timeout or a body that is not JSON.

    `maybe_received` is true when the request may have reached DashScope before things went
    wrong, so a POST may have created (and will bill) a task we never heard about.
    """

    def __init__(self, code: str, message: str, *, maybe_received: bool) -> None:
        super().__init__(code, message, retryable=True)
        self.maybe_received = maybe_received
        self.server_side = True


# Plain words for the codes a person can meet; anything else falls back to DashScope's message.
EXPLANATIONS = {
    "DataInspectionFailed": _(
        "DashScope's content check flagged the prompt or the image it made. "
        "Rephrase the prompt and try again."
    ),
    "IPInfringementSuspect": _(
        "DashScope suspects the prompt asks for protected material (a brand, character or "
        "artwork). Rephrase it and try again."
    ),
    ErrorCode.INVALID_PARAMETER: _("DashScope refused one of the settings."),
    "InvalidApiKey": _(
        "The DashScope API key is wrong, or belongs to another region. Ask an administrator "
        "to check DASHSCOPE_API_KEY and DASHSCOPE_BASE_URL."
    ),
    "Arrearage": _(
        "The Alibaba Cloud account is overdue, so DashScope refuses new work. "
        "Ask an administrator to top it up."
    ),
    "AccessDenied": _("This account has no access to the model. Ask an administrator."),
    "AccessDenied.Unpurchased": _(
        "This account has not activated the model. Ask an administrator."
    ),
    "Model.AccessDenied": _("This account has no access to the model. Ask an administrator."),
    "Workspace.AccessDenied": _("The API key has no access to the configured workspace."),
    "ModelNotFound": _("DashScope does not know this model."),
    "Model.NotExist": _(
        "DashScope does not offer this model in this region. Ask an administrator to check "
        "DASHSCOPE_BASE_URL and DASHSCOPE_REGION."
    ),
    ErrorCode.FREE_TIER_ONLY: _(
        "The account is set to use only its free quota, and this model's is used up. Ask an "
        "administrator to allow paid use in Model Studio."
    ),
    "UnsupportedOperation": _(
        "DashScope could not do that now: a task can be cancelled only before it starts."
    ),
    ErrorCode.ALLOCATION_QUOTA: _(
        "The account's image quota is used up. Ask an administrator to raise it."
    ),
    "InternalError": _("DashScope had an internal error. Try again."),
    "InternalError.Algo": _("DashScope's image model failed on this request. Try again."),
    "InternalError.Timeout": _("DashScope timed out making this image. Try again."),
    ErrorCode.SUBMIT_OUTCOME_UNKNOWN: _(
        "The connection to DashScope broke while the request was being sent, and DashScope's "
        "task list never showed whether it arrived. It was not resent, so you are not charged "
        "twice; try again if no images appear."
    ),
    ErrorCode.TIMED_OUT: _("DashScope did not finish this generation in time."),
    ErrorCode.TASK_FORGOTTEN: _(
        "DashScope no longer knows this task (task ids expire after 24 hours)."
    ),
    ErrorCode.CANCELED: _("The generation was cancelled."),
    ErrorCode.DOWNLOAD_FAILED: _("The image was made but could not be downloaded from DashScope."),
    ErrorCode.RESULT_EXPIRED: _(
        "The image was made, but its link expired before it could be downloaded "
        "(DashScope keeps results for 24 hours)."
    ),
}


def explain(code: str, message: str = "") -> str:
    """A sentence a person understands for a DashScope (or pipeline) error code."""
    if code == ErrorCode.INVALID_PARAMETER and message.startswith(URL_ERROR):
        return gettext(
            "DashScope does not serve this model at this address: another region's model, or "
            "one the account has not activated. Ask an administrator."
        )
    words = EXPLANATIONS.get(code) or EXPLANATIONS.get(code.split(".")[0])
    if words and message and code == ErrorCode.INVALID_PARAMETER:
        return f"{words} ({message})"
    return str(words or message or gettext("DashScope reported %(code)s.") % {"code": code})
