from django.urls import path

from .views import bulk, curation, lineage, review, teams, trash
from .views import generations as views

app_name = "gallery"
urlpatterns = [
    path("", views.home, name="home"),
    path("g/<int:pk>/", views.detail, name="detail"),
    path("g/<int:pk>/card/", views.card, name="card"),
    path("g/<int:pk>/recheck/", views.recheck, name="recheck"),
    path("g/<int:pk>/retry/", views.retry, name="retry"),
    path("g/<int:pk>/share/", views.share, name="share"),
    path("g/<int:pk>/unshare/", views.unshare, name="unshare"),
    path(
        "g/<int:pk>/images/<int:index>/original/",
        views.image_file,
        {"kind": "original"},
        name="original",
    ),
    path(
        "g/<int:pk>/images/<int:index>/thumbnail/",
        views.image_file,
        {"kind": "thumbnail"},
        name="thumbnail",
    ),
    # download with parameters, compare (the lineage shows on the detail page)
    path(
        "g/<int:pk>/images/<int:index>/download/",
        lineage.download,
        name="download",
    ),
    path("compare/", lineage.compare, name="compare"),
    # boards, favourites, review
    path("boards/", curation.board_list, name="boards"),
    path("boards/<int:pk>/", curation.board_detail, name="board"),
    path("boards/<int:pk>/rename/", curation.rename_board, name="rename_board"),
    path("boards/<int:pk>/delete/", curation.delete_board, name="delete_board"),
    path(
        "boards/<int:pk>/items/<int:item_pk>/remove/",
        curation.remove_from_board,
        name="remove_from_board",
    ),
    path("g/<int:pk>/images/<int:index>/boards/", curation.add_to_board, name="add_to_board"),
    path("g/<int:pk>/star/", curation.star, name="star"),
    path("g/<int:pk>/comments/", curation.comment, name="comment"),
    path("comments/<int:pk>/delete/", curation.delete_comment, name="delete_comment"),
    path("g/<int:pk>/mark/", curation.mark, name="mark"),
    path("bulk/", bulk.bulk, name="bulk"),
    # cancel, trash
    path("g/<int:pk>/cancel/", trash.cancel_generation, name="cancel"),
    path("g/<int:pk>/delete/", trash.delete, name="delete"),
    path("g/<int:pk>/restore/", trash.restore, name="restore"),
    path("trash/", trash.trash, name="trash"),
    path("teams/", teams.team_list, name="teams"),
    path("teams/<int:pk>/", teams.team_detail, name="team"),
    path("teams/<int:pk>/gallery/", review.team_gallery, name="team_gallery"),
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
