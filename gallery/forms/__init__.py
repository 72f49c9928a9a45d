"""Every form people fill in, validated with the real limits (a list page's filters are its
query language: see listing.py)."""

from .accounts import (
    InvitationForm,
    LimitedPasswordChangeForm,
    SignUpForm,
    TeamForm,
    TimeZoneForm,
)
from .budgets import BudgetForm
from .curation import AddToBoardForm, BoardForm, CommentForm, RenameBoardForm
from .prompt import CUSTOM_SIZE, REDRAWN_BY, GenerationForm, size_choices
from .usage import UsagePeriodForm

__all__ = [
    "CUSTOM_SIZE",
    "REDRAWN_BY",
    "AddToBoardForm",
    "BoardForm",
    "BudgetForm",
    "CommentForm",
    "GenerationForm",
    "InvitationForm",
    "LimitedPasswordChangeForm",
    "RenameBoardForm",
    "SignUpForm",
    "TeamForm",
    "TimeZoneForm",
    "UsagePeriodForm",
    "size_choices",
]
