from typing import Any

from django.core.management.base import BaseCommand

from rr.notifications import services


class Command(BaseCommand):
    help = (
        "Send the daily reminders that are due (Web Push), then retry the push messages due for "
        "another attempt. Run every 5 minutes (render.yaml's cron job); several copies at once "
        "never send a reminder twice (docs/OPERATIONS.md, 'Reminders')."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = services.reminders_send()
        reminders, pushes = result["reminders"], result["pushes"]
        self.stdout.write(
            f"{reminders['sent']} reminder(s) sent, {reminders['kept']} skipped (day kept), "
            f"{reminders['moved']} rescheduled; pushes: {pushes['sent']} delivered, {pushes['retry']} to retry, "
            f"{pushes['gone']} expired subscription(s) removed, {pushes['dropped']} dropped."
        )
