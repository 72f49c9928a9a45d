from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from .dashscope.catalog import (
    DEFAULT_MODEL,
    MODELS,
    N_MAX,
    NEGATIVE_PROMPT_MAX,
    SEED_MAX,
    SIZE_PRESETS,
)
from .models import Generation, GenerationQuerySet, Team
from .models.keyset import KeysetQuerySet
from .permissions import teams_to_create_in
from .validators import plain_text

ID_PATTERN = re.compile(r"[0-9]{1,18}")  # ASCII digits, no number the database cannot hold
CUSTOM_SIZE = "custom"
SIDE_LIMIT = 4096  # a sanity bound for the inputs; the model's own rule is checked in clean()


def _size_value(width: int, height: int) -> str:
    return f"{width}*{height}"


def _visible(value: str) -> bool:
    """Whether anything in `value` shows: not only spaces and zero-width characters."""
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in value)


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
        value = self.cleaned_data["remix"]
        parent = None
        if ID_PATTERN.fullmatch(value):
            parent = Generation.objects.visible_to(self.user).filter(pk=int(value)).first()
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


SIZE_PATTERN = re.compile(r"^\s*(\d{1,5})\s*[x×*]\s*(\d{1,5})\s*$", re.IGNORECASE)
CURSOR_PATTERN = re.compile(r"^(\d{1,17})_(\d{1,18})$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ORDER_CHOICES = [("newest", "Newest first"), ("oldest", "Oldest first")]


class ReviewFilterForm(forms.Form):
    """The review view's filters, read from the query string.

    A wrong value becomes an error at its field and that filter is left out; the others still
    apply, so a mistyped bookmark shows something useful and never a 500.
    """

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Prompt, negative or actual prompt"}
        ),
    )
    model = forms.ChoiceField(
        required=False, choices=[("", "Any model")] + [(m, m) for m in MODELS]
    )
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Generation.Status.choices]
    )
    size = forms.CharField(
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "e.g. 1024x1024", "list": "review-sizes"}),
    )
    author = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="username", empty_label="Anyone"
    )
    since = forms.DateField(
        label="From",
        required=False,
        validators=[MinValueValidator(date(1970, 1, 1)), MaxValueValidator(date(9998, 12, 31))],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label="To",
        required=False,
        validators=[MinValueValidator(date(1970, 1, 1)), MaxValueValidator(date(9998, 12, 31))],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    starred = forms.BooleanField(label="★ Starred only", required=False)
    review = forms.ChoiceField(  # team review marks: only where a team reviews
        required=False,
        choices=[
            ("", "Any review"),
            ("picked", "Picked"),
            ("rejected", "Rejected"),
            ("unreviewed", "Unreviewed"),
        ],
    )
    order = forms.ChoiceField(required=False, choices=ORDER_CHOICES)
    # Positions in the list, not filters: where the next page starts (the last row's position,
    # set by "Load more" links), and the newest row shown (set by a live list's poll, which asks
    # for what was made since).
    after = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    newer = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    FILTERS = ("q", "model", "status", "size", "author", "since", "until", "starred", "review")
    SIZES = [_size_value(w, h).replace("*", "x") for w, h in SIZE_PRESETS]

    def __init__(self, data, authors=None, reviews: bool = False, **kwargs) -> None:
        """`authors`: the people the author filter offers; without it there is no such filter.
        `reviews`: whether to filter by the team's review marks."""
        super().__init__(data, auto_id="review-%s", **kwargs)
        if authors is None:
            del self.fields["author"]
        else:
            self.fields["author"].queryset = authors
        if not reviews:
            del self.fields["review"]

    def clean_size(self) -> tuple[int, int] | None:
        value = self.cleaned_data["size"]
        if not value:
            return None
        match = SIZE_PATTERN.match(value)
        if not match:
            raise forms.ValidationError("Write a size as width×height, for example 1024x1024.")
        return int(match[1]), int(match[2])

    def clean_after(self) -> tuple[datetime, int] | None:
        return self._position("after")

    def clean_newer(self) -> tuple[datetime, int] | None:
        return self._position("newer")

    def _position(self, name: str) -> tuple[datetime, int] | None:
        value = self.cleaned_data[name]
        if not value:
            return None
        match = CURSOR_PATTERN.match(value)
        if not match:
            raise forms.ValidationError("This link to a further page is damaged.")
        return EPOCH + timedelta(microseconds=int(match[1])), int(match[2])

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return data

    @staticmethod
    def cursor(position: tuple[datetime, int]) -> str:
        """The `after` or `newer` value for a row's position (see KeysetQuerySet.position_of)."""
        at, pk = position
        return f"{(at - EPOCH) // timedelta(microseconds=1)}_{pk}"

    def narrow(self, generations: GenerationQuerySet, user) -> GenerationQuerySet:
        """`generations` narrowed by every valid filter."""
        data = self.cleaned_data if self.is_bound else {}
        if data.get("q"):
            generations = generations.search(data["q"])
        if data.get("model"):
            generations = generations.filter(model=data["model"])
        if data.get("status"):
            generations = generations.filter(status=data["status"])
        if data.get("size"):
            generations = generations.of_size(*data["size"])
        if data.get("author"):
            generations = generations.filter(owner=data["author"])
        if data.get("since") or data.get("until"):
            generations = generations.created_between(data.get("since"), data.get("until"))
        if data.get("starred"):
            generations = generations.favourited_by(user)
        if data.get("review"):
            generations = generations.reviewed(data["review"])
        return generations

    def page(self, listing: KeysetQuerySet) -> KeysetQuerySet:
        """`listing` in the chosen order from `after` on; with `newer`, only what is newer than
        that row, the closest first, so a poll never skips one when many came at once."""
        data = self.cleaned_data if self.is_bound else {}
        if data.get("newer"):
            return listing.following(*data["newer"], oldest_first=True).in_order(oldest_first=True)
        if data.get("after"):
            listing = listing.following(*data["after"], oldest_first=self.oldest_first)
        return listing.in_order(self.oldest_first)

    @property
    def oldest_first(self) -> bool:
        return self.is_bound and self.cleaned_data.get("order") == "oldest"

    @property
    def filtering(self) -> bool:
        """Whether any filter narrows the list (the empty message says so)."""
        return any(self.cleaned_data.get(name) for name in self.FILTERS)

    def query(self, **extra: str) -> str:
        """The query string for these filters as typed, without empty values or the default
        order: what goes into the address bar and the "Load more" link."""
        pairs = [
            (name, self.data.get(name, ""))
            for name in self.fields
            if name not in ("after", "newer") and self.data.get(name, "") not in ("", "newest")
        ]
        return urlencode(pairs + list(extra.items()))
