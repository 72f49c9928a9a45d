from .accounts import Preferences
from .curation import Board, BoardItem, Comment, Favourite, ReviewMark
from .generations import Generation, GenerationQuerySet
from .images import GeneratedImage, ReferenceImage
from .lease import Lease
from .outage import Outage
from .teams import CREATOR_ROLES, Invitation, Membership, Role, Team
from .usage import Budget, UsageEntry

__all__ = [
    "CREATOR_ROLES",
    "Board",
    "Budget",
    "BoardItem",
    "Comment",
    "Favourite",
    "GeneratedImage",
    "Generation",
    "GenerationQuerySet",
    "Invitation",
    "Lease",
    "Membership",
    "Outage",
    "Preferences",
    "ReferenceImage",
    "ReviewMark",
    "Role",
    "Team",
    "UsageEntry",
]
