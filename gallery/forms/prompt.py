"""The prompt form: the chosen model's fields, limits and defaults, redrawn through htmx when
the model, the count or the references change."""

from __future__ import annotations

import re
import secrets
import unicodedata
from decimal import Decimal

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import budgets, references
from ..dashscope import catalog
from ..dashscope.catalog import (
    EDITING_MODEL,
    MODELS,
    NAMED_SIZES,
    NEGATIVE_PROMPT_MAX,
    SEED_MAX,
    SIZE_PRESETS,
    Model,
    Param,
)
from ..ids import parse_id
from ..models import Generation, Team
from ..permissions import teams_to_create_in
from ..validators import plain_text

CUSTOM_SIZE = "custom"
SET_IN_CLEAN = ("width", "height", "size_name")
SIDE_LIMIT = 4096  # a sanity bound for the inputs; the model's own rule is checked in clean()


def _size_value(width: int, height: int) -> str:
    return f"{width}*{height}"


def _visible(value: str) -> bool:
    """Whether anything in `value` shows: not only spaces and zero-width characters."""
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in value)


# The form's optional fields, each shown only for a model that takes it (a reference image's
# boxes are written beside it).
PARAM_FIELDS = {str(param): param for param in Param if param is not Param.BBOX_LIST}
# A change of these redraws the form (htmx): another model's fields, the cost of another
# count, an upload checked and shown, a reference removed.
PALETTE_ENTRY = re.compile(r"(?P<hex>#[0-9A-Fa-f]{6})\s+(?P<share>[0-9]{1,3}(?:\.[0-9]{1,2})?)\s*%")
REDRAWN_BY = ("model", "n", "enable_sequential", "reference_uploads", "remove_reference")
COUNT_BUTTONS_MAX = 6  # counts up to this are buttons


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        return [super(MultipleFileField, self).clean(item, initial) for item in data or []]


class GenerationForm(forms.ModelForm):
    """The prompt and the chosen model's parameters: the fields, their limits and defaults
    are that model's (the posted one, else the initial one), so the form offers only what the
    model takes and refuses what it would refuse."""

    model = forms.ChoiceField(
        label=_("Model"),
        help_text=_("Each model has its own prompt and size limits, shown below."),
    )
    # No max_length (a browser would cut a pasted prompt without a word): clean_prompt says
    # what the chosen model takes.
    prompt = forms.CharField(
        label=_("Prompt"),
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("A lighthouse at dawn, oil painting")}
        ),
        strip=True,
    )
    negative_prompt = forms.CharField(
        label=_("Negative prompt"),
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("blurry, text, watermark")}),
        max_length=NEGATIVE_PROMPT_MAX,
        required=False,
        strip=True,
        help_text=format_lazy(
            _("What to keep out of the image (up to {most} characters)."), most=NEGATIVE_PROMPT_MAX
        ),
    )
    size = forms.ChoiceField(label=_("Size"))
    width = forms.IntegerField(label=_("Width"), min_value=1, max_value=SIDE_LIMIT, required=False)
    height = forms.IntegerField(
        label=_("Height"), min_value=1, max_value=SIDE_LIMIT, required=False
    )
    n = forms.IntegerField(label=_("Images"), min_value=1)
    seed = forms.IntegerField(
        min_value=0,
        max_value=SEED_MAX,
        required=False,
        label=_("Seed"),
        help_text=_("Leave empty for a random seed; image i uses seed + i."),
    )
    prompt_extend = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Let DashScope extend the prompt"),
        help_text=_("An LLM rewrites the prompt first (a few seconds slower)."),
    )
    watermark = forms.BooleanField(
        required=False, initial=False, label=_("Add the “AI生成” watermark")
    )
    thinking_mode = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Think the picture through first"),
        help_text=_("Plans layout and text before drawing: better results, slower."),
    )
    enable_sequential = forms.BooleanField(
        required=False,
        initial=False,
        label=_("Make an image set"),
        help_text=_("Related images in one task (a series, a story): up to 12, each billed."),
    )
    color_palette = forms.CharField(
        required=False,
        label=_("Colour palette"),
        widget=forms.TextInput(attrs={"placeholder": "#C2D1E6 60%, #1D3557 25%, #F1FAEE 15%"}),
        help_text=_("3–10 colours and the share of the picture each takes, adding up to 100%."),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label=_("Only me"),
        label=_("Where"),
        help_text=_("Private, or shared with a team at once."),
    )
    # The generation this one is remixed from (`/?remix=<pk>`), recorded as its parent.
    remix = forms.CharField(widget=forms.HiddenInput, required=False)
    # The model the form was drawn for: a redraw for another keeps the boxes ticked here.
    drawn_for = forms.CharField(widget=forms.HiddenInput, required=False)
    # Reference images: those already chosen are tokens (gallery/references.py), written
    # by the template beside their previews; files added here become tokens when checked.
    reference_uploads = MultipleFileField(
        label=_("Add images"),
        required=False,
        help_text=format_lazy(
            _(
                "JPEG, PNG, BMP or WebP, each side {least}–{most} px, up to {megabytes} MB; "
                "or “Use as reference” on any image. The prompt calls them image 1, image 2… "
                "in this order."
            ),
            least=references.SIDE_MIN,
            most=references.SIDE_MAX,
            megabytes=references.UPLOAD_MAX_BYTES // 2**20,
        ),
    )

    class Meta:
        model = Generation
        # What is sent to DashScope, but the sides, which clean() sets from the size chosen.
        fields = [
            *(name for name in Generation.REQUEST_FIELDS if name not in SET_IN_CLEAN),
            "team",
        ]

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.budget_refusal = ""
        if self.is_bound:
            tokens, box_texts = self.data.getlist("references"), self.data.getlist("boxes")
        else:
            tokens, box_texts = self.initial.get("references", []), self.initial.get("boxes", [])
        self.reference_picks = references.resolve_all(user, tokens)
        # What was written in each pick's boxes input, by token (uploads have none yet).
        self.box_texts = dict(zip(tokens, box_texts, strict=False))
        self.reference_boxes: list[list] = []
        self.upload_refusals: list[str] = []
        team = self.fields["team"]
        team.queryset = teams_to_create_in(user)
        team.choices = list(iter(team.choices))  # one query, not one each time it is drawn
        self.offered = catalog.offered()  # and their limits, in a table below the form
        self.fields["model"].choices = [(m.name, m.label) for m in self.offered]
        chosen = self.data.get("model") if self.is_bound else self.initial.get("model")
        known = chosen in {m.name for m in self.offered}
        self.spec = MODELS[chosen if known else catalog.default_model()]
        asked = self.data.get("enable_sequential") if self.is_bound else None
        self.image_set = bool(asked or self.initial.get("enable_sequential")) and bool(
            self.spec.set_n_max
        )
        self._fit_to(self.spec)

    def _fit_to(self, spec: Model) -> None:
        """The fields, limits and defaults of `spec`; the fields it does not take removed."""
        for name, param in PARAM_FIELDS.items():
            if param not in spec.takes:
                del self.fields[name]
        if not spec.reference_images_max and not self.reference_picks:
            del self.fields["reference_uploads"]
        # js/prompt.js counts against it as the person types; clean_prompt() says it anyway.
        self.fields["prompt"].widget.attrs["data-max"] = spec.prompt_max
        if self.reference_picks and "thinking_mode" in self.fields:
            self.fields["thinking_mode"].help_text = _(
                "Not with reference images: DashScope thinks first only from text alone."
            )
        n, most = self.fields["n"], spec.n_max_for(self.image_set)
        n.max_value, n.initial = most, spec.n_default
        if most <= COUNT_BUTTONS_MAX:  # one tap each; an image set's dozen is typed
            n.widget = forms.RadioSelect(choices=[(i, str(i)) for i in range(1, most + 1)])
        else:
            n.widget.attrs["max"] = most
        n.validators = [validators.MinValueValidator(1), validators.MaxValueValidator(most)]
        n.help_text = _("1–%(most)s; each image is billed.") % {"most": most}
        size = self.fields["size"]
        size.choices = size_choices(spec, len(self.reference_picks), self.image_set)
        size.initial = spec.default_size
        size.help_text = _("%(model)s: %(rule)s. “Custom…” uses the sides beside.") % {
            "model": spec.label,
            "rule": spec.size_rule_text,
        }
        # Another model redraws the form for it, another count its cost, a file chosen shows
        # it checked (GenerationForm.redrawn).
        redraw = {
            "hx-post": reverse("gallery:home"),
            "hx-target": "#prompt-form",
            "hx-swap": "outerHTML",
            "hx-encoding": "multipart/form-data",  # the files chosen go with it
            "hx-disabled-elt": "#prompt-form button[type=submit]",  # no Generate meanwhile
            # A second change before the first redraw is back (a model, then a file) sends
            # the whole form again in its place: the first answer would replace the form the
            # second one's answer is meant for, and the file chosen would be lost.
            "hx-sync": "closest form:replace",
        }
        for name in REDRAWN_BY:
            if name in self.fields:
                self.fields[name].widget.attrs.update(redraw)
        # Another team only changes the month beside Generate: the form stays as it is typed.
        self.fields["team"].widget.attrs.update(
            {
                "hx-get": reverse("gallery:standings"),
                "hx-target": "#standings",
                "hx-swap": "innerHTML",  # not the form's outerHTML
            }
        )
        self.fields["model"].initial = self.fields["drawn_for"].initial = spec.name

    def clean_prompt(self) -> str:
        prompt = self.cleaned_data["prompt"]
        plain_text(prompt)
        if not _visible(prompt):
            raise forms.ValidationError(_("Write a prompt: this one has no visible characters."))
        if len(prompt) > self.spec.prompt_max:
            raise forms.ValidationError(
                ngettext(
                    "%(model)s takes at most %(most)s characters; this prompt has %(count)s.",
                    "%(model)s takes at most %(most)s characters; this prompt has %(count)s.",
                    len(prompt),
                )
                % {"model": self.spec.label, "most": self.spec.prompt_max, "count": len(prompt)}
            )
        return prompt

    def clean_seed(self) -> int:
        """The seed asked for, or one picked here: recorded, so any image can be made again
        ("Same seed"). Room is left for image i's seed + i."""
        seed = self.cleaned_data["seed"]
        if seed is None:
            seed = secrets.randbelow(SEED_MAX - self.spec.n_max_for(self.image_set) + 1)
        return seed

    def clean_negative_prompt(self) -> str:
        plain_text(self.cleaned_data["negative_prompt"])
        return self.cleaned_data["negative_prompt"]

    def clean_color_palette(self) -> list[dict]:
        """ "#C2D1E6 60%, #1D3557 40%" as DashScope takes it: [{"hex", "ratio": "60.00%"}]."""
        text = self.cleaned_data["color_palette"].strip()
        if not text:
            return []
        colours = []
        for part in text.split(","):
            match = PALETTE_ENTRY.fullmatch(part.strip())
            if match is None:
                raise ValidationError(
                    _("“%(text)s” is not a colour and its share, like “#C2D1E6 60%%”.")
                    % {"text": part.strip()}
                )
            colours.append(
                {"hex": match["hex"].upper(), "ratio": f"{Decimal(match['share']):.2f}%"}
            )
        if not 3 <= len(colours) <= 10:
            raise ValidationError(
                _("Give 3 to 10 colours; this has %(count)s.") % {"count": len(colours)}
            )
        total = sum(Decimal(colour["ratio"][:-1]) for colour in colours)
        if total != 100:
            raise ValidationError(
                _("The shares add up to %(total)s%%, not 100%%.")
                % {"total": f"{total.normalize():f}"}
            )
        if self.image_set:
            raise ValidationError(_("A colour palette cannot be used with an image set."))
        return colours

    def clean_remix(self) -> Generation | None:
        """The parent, if the user may see it. Anything else is dropped without a word: an
        error would tell whether a generation with that number exists."""
        pk = parse_id(self.cleaned_data["remix"])
        parent = None
        if pk is not None:
            parent = Generation.objects.visible_to(self.user).filter(pk=pk).first()
        self.instance.parent = parent
        return parent

    def take_uploads(self, files) -> None:
        """Check and keep each uploaded file, as a pick after those chosen already; say at the
        field why a file was refused."""
        for upload in files:
            try:
                token = references.accept_upload(self.user, upload)
            except ValidationError as refusal:
                self.upload_refusals += refusal.messages
            else:
                self.reference_picks.append(references.resolve(self.user, token))

    def clean_reference_uploads(self) -> list:
        self.take_uploads(self.cleaned_data["reference_uploads"])
        if self.upload_refusals:
            raise ValidationError(self.upload_refusals)
        return []

    @property
    def takes_boxes(self) -> bool:
        return Param.BBOX_LIST in self.spec.takes

    @property
    def picks_with_boxes(self) -> list[tuple[references.Pick, str]]:
        """Each pick with what is written in its boxes input, for the template."""
        return [(pick, self.box_texts.get(pick.token, "")) for pick in self.reference_picks]

    def _clean_boxes(self) -> None:
        """Each pick's boxes as bbox_list takes them; a mistake is said at the references."""
        self.reference_boxes = []
        for number, (pick, text) in enumerate(self.picks_with_boxes, start=1):
            try:
                boxes = references.parse_boxes(text, pick.sent_size) if self.takes_boxes else []
            except ValidationError as mistake:
                field = "reference_uploads" if "reference_uploads" in self.fields else None
                self.add_error(
                    field,
                    _("Image %(number)s: %(mistake)s")
                    % {"number": number, "mistake": mistake.messages[0]},
                )
                boxes = []
            self.reference_boxes.append(boxes)

    def clean(self) -> dict:
        data = super().clean()
        self._clean_boxes()
        count, most = len(self.reference_picks), self.spec.reference_images_max
        if "reference_uploads" not in self.fields:  # sent anyway (a model changed without JS)
            count += len(self.files.getlist("reference_uploads"))
        for pick in self.reference_picks:
            if problem := references.refusal(pick):
                self.add_error(
                    "reference_uploads" if "reference_uploads" in self.fields else None, problem
                )
        if count > most:
            self.add_error(
                "reference_uploads" if "reference_uploads" in self.fields else None,
                _(
                    "%(model)s takes no reference images: remove them, or choose a model that "
                    "edits (Wan 2.7 Image)."
                )
                % {"model": self.spec.label}
                if not most
                else _("%(model)s takes at most %(most)s reference images; there are %(count)s.")
                % {"model": self.spec.label, "most": most, "count": count},
            )
        size = data.get("size")
        if size == CUSTOM_SIZE:
            width, height = data.get("width"), data.get("height")
            if not width or not height:
                if "width" not in self.errors and "height" not in self.errors:
                    self.add_error("width", _("Enter both width and height for a custom size."))
                return data
            size, size_field = _size_value(width, height), "width"
        elif not size:
            return data
        else:
            size_field = "size"
        problem = self.spec.size_error(size, len(self.reference_picks), self.image_set)
        if problem:
            self.add_error(size_field, problem)
        elif size in NAMED_SIZES:
            side = NAMED_SIZES[size]
            self.instance.width, self.instance.height, self.instance.size_name = side, side, size
        else:
            self.instance.width, self.instance.height = (int(side) for side in size.split("*"))
        return data

    @property
    def cost(self) -> Decimal | None:
        """What the images asked for cost in this region, if DashScope lists a price."""
        price = catalog.price(self.spec.name)
        n = parse_id(str(self["n"].value()))
        if price is None or n is None or not 1 <= n <= self.spec.n_max_for(self.image_set):
            return None
        return price * n

    def save_within_budgets(self) -> Generation | None:
        """The new generation, if it fits its author's and team's budgets this month; if not,
        None and the form says why, in numbers."""
        try:
            return budgets.create(self.instance, self.save)
        except budgets.OverBudget as refusal:
            self.budget_refusal = str(refusal)  # said beside Generate, where it was pressed
            return None

    @cached_property
    def standings(self) -> list[budgets.Standing]:
        """The month so far beside Generate: the person's, and the chosen team's."""
        chosen = str(self["team"].value())
        teams = [value.instance for value, _label in self.fields["team"].choices if value]
        team = next((team for team in teams if str(team.pk) == chosen), None)  # or "Only me"
        return budgets.standings(self.user, *([team] if team else []))

    def save(self, commit: bool = True) -> Generation:
        with transaction.atomic():  # the dispatcher never sees it without its references
            generation = super().save()
            references.attach(generation, self.reference_picks, self.reference_boxes)
        return generation

    @classmethod
    def redrawn(cls, user, data, files) -> GenerationForm:
        """The form for the model just chosen in `data`, unbound, keeping what was entered
        that the model takes (a size or count it does not take becomes its default), with
        the files just added checked and kept, the reference to add added and the one to
        remove gone."""
        removed = data.get("remove_reference")
        written = zip(data.getlist("references"), data.getlist("boxes"), strict=False)
        boxes = {token: text for token, text in written if token != removed}
        tokens = [token for token in data.getlist("references") if token != removed]
        model = data.get("model")
        if data.get("add_reference"):
            tokens.append(data["add_reference"])
            if model not in MODELS or not MODELS[model].reference_images_max:
                model = EDITING_MODEL  # as "Use as reference" from another page does
        image_set = bool(data.get("enable_sequential"))
        form = cls(
            user,
            initial={
                "model": model,
                "references": tokens,
                "boxes": [boxes.get(token, "") for token in tokens],
                "enable_sequential": image_set,
            },
        )
        form.take_uploads(files.getlist("reference_uploads"))
        spec, drawn_for = form.spec, MODELS.get(data.get("drawn_for", ""))
        initial = {name: data.get(name) for name in form.fields if name in data}
        for name, param in PARAM_FIELDS.items():
            if isinstance(form.fields.get(name), forms.BooleanField):
                took = drawn_for is not None and param in drawn_for.takes
                initial[name] = name in data if took else form.fields[name].initial
        if initial.get("size") not in dict(form.fields["size"].choices):
            initial.pop("size", None)
        n = parse_id(data.get("n"))
        if n is None or not 1 <= n <= spec.n_max_for(form.image_set):
            initial.pop("n", None)
        form.initial.update({**initial, "model": spec.name, "drawn_for": spec.name})
        return form


def size_choices(
    spec: Model, references: int = 0, image_set: bool = False
) -> list[tuple[str, str]]:
    """The model's named sizes, the presets its rule allows, and "Custom…"."""
    named, rule = spec.sizes_for(references, image_set)
    presets = [(w, h) for w, h in SIZE_PRESETS if rule.refusal(w, h) is None]
    return (
        [
            (name, _("%(name)s (%(side)s² pixels)") % {"name": name, "side": NAMED_SIZES[name]})
            for name in named
        ]
        + [(_size_value(w, h), f"{w}×{h}") for w, h in presets]
        + [(CUSTOM_SIZE, _("Custom…"))]
    )
