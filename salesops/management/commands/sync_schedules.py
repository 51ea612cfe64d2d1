from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from salesops.schedules import PERIODIC_JOBS


class Command(BaseCommand):
    help = "Create the periodic jobs declared in salesops/schedules.py that are missing."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        created = 0
        for name, job in PERIODIC_JOBS.items():
            if PeriodicTask.objects.filter(name=name).exists():
                continue
            fields = {
                "minute": "*",
                "hour": "*",
                "day_of_week": "*",
                "day_of_month": "*",
                "month_of_year": "*",
            }
            fields.update(job["crontab"])
            schedule, _ = CrontabSchedule.objects.get_or_create(**fields, timezone="UTC")
            PeriodicTask.objects.create(
                name=name,
                task=job["task"],
                crontab=schedule,
                expire_seconds=job["expires_seconds"],
                description=job["description"],
            )
            created += 1
        self.stdout.write(
            f"periodic jobs: {created} created, {len(PERIODIC_JOBS) - created} already present"
        )
