"""Hand jobs stuck in "queued" for more than five minutes to the broker again (what the beat
entry ``jobs-requeue-stuck`` does every five minutes), e.g. after Redis was down."""

from django.core.management.base import BaseCommand

from zhenhai_so.jobs import requeue_stuck


class Command(BaseCommand):
    help = "Re-enqueue background jobs queued for more than five minutes."

    def handle(self, *args, **options):
        queued = requeue_stuck()
        self.stdout.write(f"Requeued {queued} job(s).")
