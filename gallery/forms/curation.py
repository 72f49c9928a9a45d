"""Boards and the team's review: what people collect and say about images."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Board, Comment
from ..permissions import boards_to_change, teams_to_create_in


class BoardForm(forms.ModelForm):
    """A new board: personal, or shared by one of the teams the user creates in."""

    class Meta:
        model = Board
        fields = ["name", "team"]
        labels = {"name": _("Name"), "team": _("Where")}

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["team"].queryset = teams_to_create_in(user)
        self.fields["team"].empty_label = _("Personal (only you)")

    def save(self, commit: bool = True) -> Board:
        # Either personal or the team's, never both (the table's check constraint agrees).
        self.instance.owner = None if self.instance.team_id else self.user
        return super().save(commit)


class RenameBoardForm(forms.ModelForm):
    class Meta:
        model = Board
        fields = ["name"]
        labels = {"name": _("Name")}


class AddToBoardForm(forms.Form):
    board = forms.ModelChoiceField(label=_("Board"), queryset=Board.objects.none())

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["board"].queryset = boards_to_change(user)


class CommentForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["body"]
        labels = {"body": _("Comment")}
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}
