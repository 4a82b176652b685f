"""Create (or reset) editor users sharing one password, for the benchmark and the load tests."""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.management.base import BaseCommand

# The backend a password sign-in goes through (settings.AUTHENTICATION_BACKENDS).
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class Command(BaseCommand):
    help = (
        "Create editor users (or reset their password) that share one password. "
        "--sessions prints a signed-in session key for each: `session <username> <key>`."
    )

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="+", metavar="USERNAME")
        parser.add_argument("--password", required=True)
        parser.add_argument(
            "--sessions",
            action="store_true",
            help="Start a session for each user, so many clients need not sign in at once.",
        )
        parser.add_argument(
            "--clear-cache",
            action="store_true",
            help="Also empty the cache (a shared Redis keeps lists from an earlier run).",
        )

    def handle(self, *args, usernames, password, sessions, clear_cache, **options):
        User = get_user_model()
        hashed = make_password(password)  # hashed once: the users share it
        # Migration 0002 makes the group; a flushed database has lost it, so make it again.
        editors, _ = Group.objects.get_or_create(name="editors")
        editors.permissions.add(Permission.objects.get(codename="make_changes"))
        users = []
        for username in dict.fromkeys(usernames):
            user, _ = User.objects.update_or_create(
                username=username, defaults={"password": hashed}
            )
            users.append(user)
        editors.user_set.add(*users)
        if clear_cache:
            cache.clear()
        for user in users:
            if sessions:
                self.stdout.write(f"session {user.username} {_session_key(user)}")
            elif options["verbosity"] > 0:
                self.stdout.write(f"editor {user.username}")


def _session_key(user) -> str:
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = MODEL_BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key
