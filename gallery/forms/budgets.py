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
