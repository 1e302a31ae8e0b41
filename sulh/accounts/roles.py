"""The roles a staff account holds (DESIGN.md §2), apart from the models so that the
policy can be read and rendered without setting Django up."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("Registration clerk")
    VETTING_OFFICER = "vetting_officer", _("Vetting officer")
    DECIDING_OFFICER = "deciding_officer", _("Deciding officer")
    CARD_OFFICER = "card_officer", _("Card officer")
    EVACUATION_COORDINATOR = "evacuation_coordinator", _("Evacuation coordinator")
    CHECKPOINT_OFFICER = "checkpoint_officer", _("Checkpoint officer")
    CHILD_PROTECTION = "child_protection", _("Child-protection officer")
    WEAPONS_OFFICER = "weapons_officer", _("Weapons officer")
    PROGRAM_MANAGER = "program_manager", _("Program manager")
    MONITOR = "monitor", _("Independent monitor")
    ADMINISTRATOR = "administrator", _("Administrator")
