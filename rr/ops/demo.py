"""Demo data for `DEMO=1 make run`: a few users who follow each other and keep checklists."""

from datetime import timedelta

from django.utils import timezone

from rr.accounts import services as account_services
from rr.accounts.models import User
from rr.checklists import services as checklist_services
from rr.network import services as network_services
from rr.network.models import Network

DEMO_PASSWORD = "regret-demo-password"
DEMO_USERS = {
    # username: (regrets of today's checklist, how many of them are done)
    "alice": (["Call grandma", "Go for a run", "Read 20 pages"], 2),
    "bob": (["Drink more water", "Finish the report"], 0),
    "carol": (["Meditate for 10 minutes", "Cook dinner", "Stretch", "Write in the journal"], 4),
    "dave": ([], 0),
}
DEMO_FOLLOWS = [("alice", "bob"), ("alice", "carol"), ("bob", "alice"), ("carol", "alice"), ("dave", "carol")]
DEMO_PRIVATE = {"dave"}  # networking off: followable by nobody new, index hidden
HISTORY_DAYS = 3


def demo_seed():
    """Create the demo users, checklists, regrets and follows that are missing; returns what was made.

    Idempotent: existing users keep their password and data, a checklist is filled
    only when this call created it, an existing follow is left alone. Everything goes
    through the services, as the API would do it.
    """
    made = {"users": 0, "checklists": 0, "regrets": 0, "follows": 0}
    users = {}
    for username in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.account_create(username=username, password=DEMO_PASSWORD)
            made["users"] += 1
        users[username] = user

    now = timezone.now()
    for username, (regrets, done) in DEMO_USERS.items():
        for days_ago in range(HISTORY_DAYS, -1, -1):
            day = now - timedelta(days=days_ago)
            checklist, created = checklist_services.checklist_for_day(user=users[username], local_datetime=day)
            if not created:
                continue
            made["checklists"] += 1
            # Older days: everything done; today: `done` of them.
            todo = regrets if days_ago == 0 else regrets[:2]
            finished = done if days_ago == 0 else len(todo)
            for index, description in enumerate(todo):
                # As if done on the day itself: past days are closed today.
                regret, _ = checklist_services.regret_add(
                    user=users[username], checklist_id=checklist.pk, description=description, at=day
                )
                made["regrets"] += 1
                if index < finished:
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
