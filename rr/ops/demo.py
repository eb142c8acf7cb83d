"""Demo data for `DEMO=1 make run`: a few users who follow each other and keep their routines daily."""

from datetime import timedelta

from django.utils import timezone

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.checklists import services as checklist_services
from rr.network import services as network_services
from rr.network.models import Network

DEMO_PASSWORD = "regret-demo-password"
DEMO_USERS = {
    # username: (their routine, which starts every day's checklist; how many are done today)
    "alice": (["Call grandma", "Go for a run", "Read 20 pages"], 2),
    "bob": (["Drink more water", "Finish the report"], 0),
    "carol": (["Meditate for 10 minutes", "Cook dinner", "Stretch", "Write in the journal"], 4),
    "dave": ([], 0),
}
DEMO_FOLLOWS = [("alice", "bob"), ("alice", "carol"), ("bob", "alice"), ("carol", "alice"), ("dave", "carol")]
DEMO_PRIVATE = {"dave"}  # networking off: followable by nobody new, index hidden
HISTORY_DAYS = 3


def demo_seed() -> dict[str, int]:
    """Create the demo users, routines, checklists, regrets and follows that are missing; returns what was made.

    Idempotent: existing users keep their password and data, a routine is made only for
    a user this call created, a checklist is filled only when this call created it, an
    existing follow is left alone. Everything goes through the services, as the API
    would do it: each day's checklist starts with the user's routine (checklist_for_day).
    """
    made = {"users": 0, "checklists": 0, "regrets": 0, "follows": 0}
    users = {}
    for username, (routine, _) in DEMO_USERS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.account_create(username=username, password=DEMO_PASSWORD)
            made["users"] += 1
            for description in routine:
                checklist_services.routine_add(user=user, description=description)
        users[username] = user

    now = timezone.now()
    for username, (_, done) in DEMO_USERS.items():
        for days_ago in range(HISTORY_DAYS, -1, -1):
            day = now - timedelta(days=days_ago)
            checklist, created = checklist_services.checklist_for_day(user=users[username], local_datetime=day)
            if not created:
                continue
            made["checklists"] += 1
            regrets = list(checklist.regrets.all())  # the routine's copy
            made["regrets"] += len(regrets)
            # Older days: everything done; today: `done` of them. As if done on the day
            # itself: past days are closed today.
            finished = done if days_ago == 0 else len(regrets)
            for regret in regrets[:finished]:
                checklist_services.regret_resolve(
                    user=users[username], checklist_id=checklist.pk, regret_id=regret.pk, success=True, at=day
                )

    for follower, target in DEMO_FOLLOWS:
        if not Network.objects.filter(follower=users[follower], following=users[target]).exists():
            network_services.network_follow(follower=users[follower], target=users[target])
            made["follows"] += 1
    for username in DEMO_PRIVATE:
        network_services.networking_set(user=users[username], allow=False)
    return made
