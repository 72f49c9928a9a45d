from django.urls import path, register_converter

from .ids import IdConverter
from .views import (
    boards,
    bulk,
    cards,
    compare,
    detail,
    files,
    home,
    lightbox,
    team_review,
    teams,
    trash,
    usage,
)

register_converter(IdConverter, "id")

app_name = "gallery"
urlpatterns = [
    path("", home.home, name="home"),
    path("standings/", home.standings, name="standings"),
    path("g/<id:pk>/", detail.detail, name="detail"),
    path("g/<id:pk>/card/", cards.card, name="card"),
    path("g/<id:pk>/star/", cards.star, name="star"),
    path("g/<id:pk>/cancel/", cards.cancel_generation, name="cancel"),
    path("g/<id:pk>/recheck/", cards.recheck, name="recheck"),
    path("g/<id:pk>/retry/", cards.retry, name="retry"),
    path("g/<id:pk>/share/", detail.share, name="share"),
    path("g/<id:pk>/unshare/", detail.unshare, name="unshare"),
    path("g/<id:pk>/images/<id:index>/", lightbox.image_page, name="image"),
    path(
        "g/<id:pk>/images/<id:index>/original/",
        files.image_file,
        {"kind": "original"},
        name="original",
    ),
    path(
        "g/<id:pk>/images/<id:index>/thumbnail/",
        files.image_file,
        {"kind": "thumbnail"},
        name="thumbnail",
    ),
    path(
        "g/<id:pk>/references/<id:index>/",
        files.reference_file,
        {"kind": "image"},
        name="reference",
    ),
    path(
        "g/<id:pk>/references/<id:index>/thumbnail/",
        files.reference_file,
        {"kind": "thumbnail"},
        name="reference_thumbnail",
    ),
    path(
        "references/pending/<str:key>/",
        files.pending_reference,
        name="pending_reference",
    ),
    # an original with its parameters written into it
    path(
        "g/<id:pk>/images/<id:index>/download/",
        files.download,
        name="download",
    ),
    path("compare/", compare.compare, name="compare"),
    # boards
    path("boards/", boards.board_list, name="boards"),
    path("boards/<id:pk>/", boards.board_detail, name="board"),
    path("boards/<id:pk>/rename/", boards.rename_board, name="rename_board"),
    path("boards/<id:pk>/delete/", boards.delete_board, name="delete_board"),
    path(
        "boards/<id:pk>/items/<id:item_pk>/remove/",
        boards.remove_from_board,
        name="remove_from_board",
    ),
    path("g/<id:pk>/images/<id:index>/boards/", boards.add_to_board, name="add_to_board"),
    # the team's review
    path("g/<id:pk>/comments/", team_review.comment, name="comment"),
    path("comments/<id:pk>/delete/", team_review.delete_comment, name="delete_comment"),
    path("g/<id:pk>/mark/", team_review.mark, name="mark"),
    # bulk actions on a list page's ticked cards
    path("bulk/", bulk.bulk, name="bulk"),
    # trash
    path("g/<id:pk>/delete/", trash.delete, name="delete"),
    path("g/<id:pk>/restore/", trash.restore, name="restore"),
    path("trash/", trash.trash, name="trash"),
    path(
        "trash/<id:pk>/images/<id:index>/thumbnail/",
        files.trashed_thumbnail,
        name="trashed_thumbnail",
    ),
    path("teams/", teams.team_list, name="teams"),
    path("teams/<id:pk>/", teams.team_detail, name="team"),
    path("teams/<id:pk>/gallery/", teams.team_gallery, name="team_gallery"),
    path("teams/<id:pk>/invitations/", teams.invite, name="invite"),
    path(
        "teams/<id:pk>/invitations/<id:invitation_pk>/revoke/",
        teams.revoke,
        name="revoke_invitation",
    ),
    path(
        "teams/<id:pk>/members/<id:user_pk>/remove/",
        teams.remove_member,
        name="remove_member",
    ),
    path("teams/<id:pk>/members/<id:user_pk>/role/", teams.change_role, name="change_role"),
    path("teams/<id:pk>/leave/", teams.leave, name="leave_team"),
    path("teams/<id:pk>/budget/", teams.set_budget, name="team_budget"),
    path("join/<str:token>/", teams.join, name="join"),
    # what the ledger says was spent
    path("usage/", usage.my_usage, name="usage"),
    path("usage/all/", usage.all_usage, name="usage_all"),
    path("teams/<id:pk>/usage/", usage.team_usage, name="team_usage"),
]
