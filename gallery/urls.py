from django.urls import path

from . import views

app_name = "gallery"
urlpatterns = [
    path("", views.home, name="home"),
    path("g/<int:pk>/", views.detail, name="detail"),
    path("g/<int:pk>/card/", views.card, name="card"),
    path("g/<int:pk>/recheck/", views.recheck, name="recheck"),
    path("g/<int:pk>/retry/", views.retry, name="retry"),
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
]
