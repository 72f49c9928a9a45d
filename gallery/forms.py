"""Every form people fill in, validated with the model's real limits. (A list page's filters
are its query language: see listing.py.)"""

from __future__ import annotations

import unicodedata

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from .dashscope.catalog import (
    DEFAULT_MODEL,
    MODELS,
    N_MAX,
    NEGATIVE_PROMPT_MAX,
    SEED_MAX,
    SIZE_PRESETS,
)
from .ids import parse_id
from .models import Board, Comment, Generation, Invitation, Team
from .permissions import boards_to_change, teams_to_create_in
from .validators import plain_text

CUSTOM_SIZE = "custom"
SIDE_LIMIT = 4096  # a sanity bound for the inputs; the model's own rule is checked in clean()


def _size_value(width: int, height: int) -> str:
    return f"{width}*{height}"


def _visible(value: str) -> bool:
    """Whether anything in `value` shows: not only spaces and zero-width characters."""
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in value)


# The prompt


class GenerationForm(forms.ModelForm):
    model = forms.ChoiceField(
        choices=[(m.name, m.label) for m in MODELS.values()],
        initial=DEFAULT_MODEL,
        help_text="Each model has its own prompt and size limits, shown below.",
    )
    prompt = forms.CharField(
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "A lighthouse at dawn, oil painting"}
        ),
        max_length=max(m.prompt_max for m in MODELS.values()),
        strip=True,
    )
    negative_prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "blurry, text, watermark"}),
        max_length=NEGATIVE_PROMPT_MAX,
        required=False,
        strip=True,
        help_text=f"What to keep out of the image (up to {NEGATIVE_PROMPT_MAX} characters).",
    )
    size = forms.ChoiceField(
        choices=[(_size_value(w, h), f"{w}×{h}") for w, h in SIZE_PRESETS]
        + [(CUSTOM_SIZE, "Custom…")],
        initial=_size_value(1024, 1024),
        help_text="Choose “Custom…” to use the width and height beside it.",
    )
    width = forms.IntegerField(min_value=1, max_value=SIDE_LIMIT, required=False)
    height = forms.IntegerField(min_value=1, max_value=SIDE_LIMIT, required=False)
    n = forms.IntegerField(
        label="Images",
        min_value=1,
        max_value=N_MAX,
        initial=1,
        help_text=f"1–{N_MAX}; each image is billed.",
    )
    seed = forms.IntegerField(
        min_value=0,
        max_value=SEED_MAX,
        required=False,
        help_text="Leave empty for a random seed; image i uses seed + i.",
    )
    prompt_extend = forms.BooleanField(
        required=False,
        initial=True,
        label="Let DashScope extend the prompt",
        help_text="An LLM rewrites the prompt first (a few seconds slower).",
    )
    watermark = forms.BooleanField(
        required=False, initial=False, label="Add the “AI生成” watermark"
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="Only me",
        label="Where",
        help_text="Private, or shared with a team at once.",
    )
    # The generation this one is remixed from (`/?remix=<pk>`), recorded as its parent.
    remix = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Generation
        fields = [
            "model",
            "prompt",
            "negative_prompt",
            "n",
            "seed",
            "prompt_extend",
            "watermark",
            "team",
        ]

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["team"].queryset = teams_to_create_in(user)

    def clean_prompt(self) -> str:
        prompt = self.cleaned_data["prompt"]
        plain_text(prompt)
        if not _visible(prompt):
            raise forms.ValidationError("Write a prompt: this one has no visible characters.")
        return prompt

    def clean_negative_prompt(self) -> str:
        plain_text(self.cleaned_data["negative_prompt"])
        return self.cleaned_data["negative_prompt"]

    def clean_remix(self) -> Generation | None:
        """The parent, if the user may see it. Anything else is dropped without a word: an
        error would tell whether a generation with that number exists."""
        pk = parse_id(self.cleaned_data["remix"])
        parent = None
        if pk is not None:
            parent = Generation.objects.visible_to(self.user).filter(pk=pk).first()
        self.instance.parent = parent
        return parent

    def clean(self) -> dict:
        data = super().clean()
        model = MODELS.get(data.get("model", ""))
        if model is None:
            return data
        prompt = data.get("prompt", "")
        if len(prompt) > model.prompt_max:
            self.add_error(
                "prompt",
                f"{model.label} takes at most {model.prompt_max} characters; "
                f"this prompt has {len(prompt)}.",
            )
        size = data.get("size")
        if size == CUSTOM_SIZE:
            width, height = data.get("width"), data.get("height")
            if not width or not height:
                if "width" not in self.errors and "height" not in self.errors:
                    self.add_error("width", "Enter both width and height for a custom size.")
                return data
            size_field = "width"
        elif size:
            width, height = (int(side) for side in size.split("*"))
            size_field = "size"
        else:
            return data
        problem = model.size_error(width, height)
        if problem:
            self.add_error(size_field, problem)
        else:
            self.instance.width, self.instance.height = width, height
        return data


# Boards


class BoardForm(forms.ModelForm):
    """A new board: personal, or shared by one of the teams the user creates in."""

    class Meta:
        model = Board
        fields = ["name", "team"]
        labels = {"team": "Where"}

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["team"].queryset = teams_to_create_in(user)
        self.fields["team"].empty_label = "Personal (only you)"

    def save(self, commit: bool = True) -> Board:
        # Either personal or the team's, never both (the table's check constraint agrees).
        self.instance.owner = None if self.instance.team_id else self.user
        return super().save(commit)


class RenameBoardForm(forms.ModelForm):
    class Meta:
        model = Board
        fields = ["name"]


class AddToBoardForm(forms.Form):
    board = forms.ModelChoiceField(queryset=Board.objects.none())

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["board"].queryset = boards_to_change(user)


# The team's review


class CommentForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ["body"]
        labels = {"body": "Comment"}
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}


# Teams


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name"]


class InvitationForm(forms.Form):
    role = forms.ChoiceField(choices=Invitation._meta.get_field("role").choices)


class LimitedPasswordChangeForm(PasswordChangeForm):
    """Django's, with the old password checked as a login is: wrong ones count towards the
    same lockout (django-axes), and once locked even the right one is refused."""

    def __init__(self, user, *args, request: HttpRequest, **kwargs) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    @sensitive_variables("old_password")
    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        # authenticate() is what axes watches; the lockout page replaces the answer once locked.
        user = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if user is None:
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password
