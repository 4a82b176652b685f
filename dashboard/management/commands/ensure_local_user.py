"""Create the local sign-in on first run and print its credentials (make run calls this).

The user gets an e-mail address, so the sandbox's urgent e-mails and daily digest reach the
outbox (/sandbox/outbox/) from the first run."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

CREDENTIALS = Path(settings.BASE_DIR) / ".local" / "credentials.txt"


class Command(BaseCommand):
    help = "Create the local dashboard user on first run and print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="pm")
        parser.add_argument(
            "--email",
            default="pm@example.com",
            help="the new user's e-mail address, for the notifications (default pm@example.com)",
        )

    def handle(self, *args, username, email, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        password = self._saved_password(username)
        if user is None:
            password = secrets.token_urlsafe(12)
            user = User.objects.create_superuser(username=username, email=email, password=password)
            CREDENTIALS.parent.mkdir(exist_ok=True)
            CREDENTIALS.write_text(f"{username}\n{password}\n")
            CREDENTIALS.chmod(0o600)
        elif password is None or not user.check_password(password):
            self.stdout.write(
                f"Sign in as {username!r} with the password you set "
                f"(`python manage.py changepassword {username}` resets it)."
            )
            return
        port = settings.PORT
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Dashboard: http://127.0.0.1:{port}/\n"
                f"  Username:  {username}\n  Password:  {password}\n"
            )
        )

    def _saved_password(self, username):
        try:
            saved_user, password = CREDENTIALS.read_text().split("\n")[:2]
        except (OSError, ValueError):
            return None
        return password if saved_user == username else None
