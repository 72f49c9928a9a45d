from django.urls import path

from .views import boards, bulk, cards, compare, detail, files, home, team_review, teams, trash

app_name = "gallery"
urlpatterns = [
    path("", home.home, name="home"),
    path("g/<int:pk>/", detail.detail, name="detail"),
    path("g/<int:pk>/card/", cards.card, name="card"),
    path("g/<int:pk>/star/", cards.star, name="star"),
    path("g/<int:pk>/cancel/", cards.cancel_generation, name="cancel"),
    path("g/<int:pk>/recheck/", cards.recheck, name="recheck"),
    path("g/<int:pk>/retry/", cards.retry, name="retry"),
    path("g/<int:pk>/share/", detail.share, name="share"),
    path("g/<int:pk>/unshare/", detail.unshare, name="unshare"),
    path(
        "g/<int:pk>/images/<int:index>/original/",
        files.image_file,
        {"kind": "original"},
        name="original",
    ),
    path(
        "g/<int:pk>/images/<int:index>/thumbnail/",
        files.image_file,
        {"kind": "thumbnail"},
        name="thumbnail",
    ),
    # an original with its parameters written into it
    path(
        "g/<int:pk>/images/<int:index>/download/",
        files.download,
        name="download",
    ),
    path("compare/", compare.compare, name="compare"),
    # boards
    path("boards/", boards.board_list, name="boards"),
    path("boards/<int:pk>/", boards.board_detail, name="board"),
    path("boards/<int:pk>/rename/", boards.rename_board, name="rename_board"),
    path("boards/<int:pk>/delete/", boards.delete_board, name="delete_board"),
    path(
        "boards/<int:pk>/items/<int:item_pk>/remove/",
        boards.remove_from_board,
        name="remove_from_board",
    ),
    path("g/<int:pk>/images/<int:index>/boards/", boards.add_to_board, name="add_to_board"),
    # the team's review
    path("g/<int:pk>/comments/", team_review.comment, name="comment"),
    path("comments/<int:pk>/delete/", team_review.delete_comment, name="delete_comment"),
    path("g/<int:pk>/mark/", team_review.mark, name="mark"),
    # bulk actions on a list page's ticked cards
    path("bulk/", bulk.bulk, name="bulk"),
    # trash
    path("g/<int:pk>/delete/", trash.delete, name="delete"),
    path("g/<int:pk>/restore/", trash.restore, name="restore"),
    path("trash/", trash.trash, name="trash"),
    path("teams/", teams.team_list, name="teams"),
    path("teams/<int:pk>/", teams.team_detail, name="team"),
    path("teams/<int:pk>/gallery/", teams.team_gallery, name="team_gallery"),
    path("teams/<int:pk>/invitations/", teams.invite, name="invite"),
    path(
        "teams/<int:pk>/invitations/<int:invitation_pk>/revoke/",
        teams.revoke,
        name="revoke_invitation",
    ),
    path(
        "teams/<int:pk>/members/<int:user_pk>/remove/",
        teams.remove_member,
        name="remove_member",
    ),
    path("teams/<int:pk>/members/<int:user_pk>/role/", teams.change_role, name="change_role"),
    path("teams/<int:pk>/leave/", teams.leave, name="leave_team"),
    path("join/<str:token>/", teams.join, name="join"),
]
