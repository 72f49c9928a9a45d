from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Budget


class BudgetForm(forms.ModelForm):
    """A team's monthly budget, as its owner sets it (staff set anyone's in the admin)."""

    class Meta:
        model = Budget
        fields = ["limit", "unit"]
        widgets = {"unit": forms.RadioSelect}
        help_texts = {"limit": _("0 allows no spending. Months are calendar months.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = Budget.Unit.choices  # no blank: a limit has a unit
        self.fields["unit"].initial = Budget.Unit.CNY
        if self.instance.unit == Budget.Unit.IMAGES:  # "500", not "500.00"
            self.initial["limit"] = int(self.instance.limit)
