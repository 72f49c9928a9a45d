"""Set the monthly budget of a person or a team, in images or in CNY (0: no spending), or
clear it: manage.py set_budget (--user NAME | --team NAME) (--images N | --cny X | --clear)."""

from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from gallery.models import Budget, Team


def cny(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        holder = parser.add_mutually_exclusive_group(required=True)
        holder.add_argument("--user", metavar="NAME", help="a username")
        holder.add_argument("--team", metavar="NAME", help="a team's name, or its number")
        limit = parser.add_mutually_exclusive_group(required=True)
        limit.add_argument("--images", type=int, metavar="N", help="images a month")
        limit.add_argument("--cny", type=cny, metavar="X", help="CNY a month")
        limit.add_argument("--clear", action="store_true", help="remove the limit")

    def handle(self, *args, user, team, images, cny, clear, **options) -> None:
        holder = {"user": self._user(user)} if user else {"team": self._team(team)}
        name = user or holder["team"]
        if clear:
            removed, _ = Budget.objects.filter(**holder).delete()
            self.stdout.write(f"{name}: no limit" + ("" if removed else " (there was none)"))
            return
        budget = Budget.objects.filter(**holder).first() or Budget(**holder)
        budget.unit, budget.limit = (
            (Budget.Unit.IMAGES, images) if images is not None else (Budget.Unit.CNY, cny)
        )
        try:
            budget.full_clean()
        except ValidationError as mistake:
            raise CommandError("; ".join(mistake.messages)) from None
        budget.save()
        self.stdout.write(f"{name}: {budget.limit} {budget.get_unit_display()} a month")

    def _user(self, name: str):
        try:
            return get_user_model().objects.get_by_natural_key(name)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user is named {name!r}.") from None

    def _team(self, name: str) -> Team:
        named = list(Team.objects.filter(name=name)[:2])
        if not named and name.isdigit():
            named = list(Team.objects.filter(pk=int(name)))
        if len(named) > 1:
            numbers = ", ".join(str(t.pk) for t in Team.objects.filter(name=name))
            raise CommandError(f"Several teams are named {name!r} ({numbers}): give its number.")
        if not named:
            raise CommandError(f"No team is named {name!r}.")
        return named[0]
