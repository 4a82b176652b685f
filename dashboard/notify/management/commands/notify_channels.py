"""The team's chat channels from the shell: `add`, `list`, `test NAME`, `remove NAME`.

A stored URL is never printed: `list` shows it masked, as the settings page does."""

from django.core.management.base import BaseCommand, CommandError

from dashboard.notify import channels
from dashboard.notify.models import URGENT_KINDS, Notice


class Command(BaseCommand):
    help = "Add, list, test and remove the team chat channels that get urgent alerts."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = actions.add_parser("add", help="Add a Slack-compatible incoming webhook.")
        add.add_argument("--name", required=True, help="Shown as #NAME.")
        add.add_argument("--url", required=True, help="The incoming webhook's URL (https://).")
        add.add_argument(
            "--kinds",
            default=",".join(URGENT_KINDS),
            help="Which urgent alerts it gets, comma-separated (default: %(default)s).",
        )
        actions.add_parser("list", help="Each channel, its masked URL, kinds and last delivery.")
        test = actions.add_parser("test", help="Send a test message now; exit code 1 if refused.")
        test.add_argument("name")
        remove = actions.add_parser("remove", help="Remove a channel.")
        remove.add_argument("name")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _add(self, name, url, kinds, **options):
        chosen = [kind.strip() for kind in kinds.split(",") if kind.strip()]
        form = channels.ChannelForm({"name": name, "url": url, "kinds": chosen})
        channel = channels.add(form) if form.is_valid() else None
        if channel is None:
            raise CommandError(_errors(form))
        self.stdout.write(f"Added #{channel.name} ({channel.masked_url}).")

    def _list(self, **options):
        shown = channels.listed()
        if not shown:
            self.stdout.write(
                "No channels yet. Add one with: manage.py notify_channels add --name NAME --url URL"
            )
        for item in shown:
            kinds = ",".join(item.channel.kinds) or "(none)"
            self.stdout.write(
                f"#{item.channel.name}  {item.channel.masked_url}  {kinds}  {item.outcome}"
            )

    def _test(self, name, **options):
        notice = channels.send_test_now(_channel(name))
        if notice.state != Notice.State.SENT:
            raise CommandError(notice.error)
        self.stdout.write("Sent")

    def _remove(self, name, **options):
        channel = _channel(name)
        channels.remove(channel)
        self.stdout.write(f"Removed #{channel.name}.")


def _channel(name: str):
    channel = channels.named(name)
    if channel is None:
        raise CommandError(
            f"There is no channel called #{name.lstrip('#')}: `notify_channels list` shows them."
        )
    return channel


def _errors(form) -> str:
    """The form's errors, each after the option it is about."""
    return " ".join(
        f"--{field}: {' '.join(errors)}" if field != "__all__" else " ".join(errors)
        for field, errors in form.errors.items()
    )
