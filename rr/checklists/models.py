from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Checklist(models.Model):
    """One user's regrets for one local day; `score` is the share still unresolved."""

    created_at = models.DateTimeField(default=timezone.now)
    score = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    completed = models.BooleanField(default=False)
    # The client's local day and UTC offset when the checklist was made (from
    # local_datetime). NULL on rows written before 0008, whose offset nobody sent:
    # their day is the UTC date of created_at (see selectors.LOCAL_DATE).
    local_date = models.DateField(null=True, blank=True)
    utc_offset_minutes = models.SmallIntegerField(null=True, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="checklists")

    class Meta:
        db_table = "rr_checklist"
        indexes = [
            models.Index(fields=["user", "created_at"], name="rr_checklis_user_id_f9470d_idx"),
            # A user's days, read from the index alone (migration 0012): the streak fields of
            # the network lists, the history and the list's latest checklist.
            models.Index(
                fields=["user", "created_at", "id"],
                include=["local_date", "utc_offset_minutes", "score"],
                name="rr_checklist_user_days_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class Regret(models.Model):
    description = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    success = models.BooleanField(default=False)
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="regrets")
    # The client's idempotency key of an added regret (an offline add replayed, a retry):
    # regret_add answers the regret already added with it on that checklist.
    client_id = models.UUIDField(null=True, blank=True)

    class Meta:
        db_table = "rr_regret"

    def __str__(self) -> str:
        return self.description


class RoutineItem(models.Model):
    """One standing regret of a user's routine: copied, unticked, into each new day's checklist.

    `position` orders the routine (1 is first); rr.checklists.services keeps the user's
    positions 1..n, without gaps, under a per-user advisory lock. The foreign key is
    ON DELETE CASCADE in the database (migration 0018), so the previous release, which
    knows nothing of this table, can still delete a user.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="routine_items",
        db_constraint=False,
        db_index=False,
    )
    description = models.CharField(max_length=255)
    position = models.IntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "rr_routine_item"
        indexes = [models.Index(fields=["user", "position", "id"], name="rr_routine_item_user_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(position__gte=1), name="rr_routine_item_position")]

    def __str__(self) -> str:
        return self.description


class UserDays(models.Model):
    """One user's days in a few columns, kept exact by the database (migration 0013's triggers).

    Read by the network lists and the history instead of the user's whole history
    (rr/checklists/days.py, which also computes the same fields from the raw days: the
    tests compare both). A row exists for every user with a checklist once
    `manage.py initialize_user_days` has run; a user without a row is read from the raw
    days. Only the database writes these rows: rr_user_days_refresh() recomputes them
    from rr_checklist and rr_regret whenever a write changes a day's keeping.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        # The database deletes the row with its user (ON DELETE CASCADE, migration 0013):
        # the previous release, which knows nothing of this table, deletes users too.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="days_summary",
    )
    # The user's first and latest local dates with a checklist, and the UTC offset of
    # the latest one (0 for a legacy row): the user's "today" (days.today_at).
    first_date = models.DateField(null=True)
    last_date = models.DateField(null=True)
    last_offset = models.SmallIntegerField(null=True)
    # The latest kept day and the length of the run of kept days ending there.
    kept_last = models.DateField(null=True)
    kept_run = models.IntegerField(default=0)
    longest = models.IntegerField(default=0)
    # sum of m ** (kept_last - d) over the kept days d (days.STRENGTH_MULTIPLIER).
    strength_sum = models.FloatField(default=0)

    class Meta:
        db_table = "rr_user_days"

    def __str__(self) -> str:
        return f"{self.user_id}: days {self.first_date}..{self.last_date}"
