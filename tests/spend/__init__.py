"""What the spend tests share: the sums worked out from the sandbox's own rows (never from the
mirror), and the numbers read back from the page as a person sees them."""

import html
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from dashboard.opentrain.vocabulary import PAYMENT_TYPES
from sandbox.models import Contract, Milestone
from sandbox.serializers import budget_json

ZERO = Decimal("0.00")
MODEL_OF_WORDS = {words: kind for kind, words in PAYMENT_TYPES.items()}


def sandbox_sums(key: str, payment_type: str = "", status: str = "") -> dict:
    """The four totals, the contracts without a rate and the months, from the sandbox's rows.

    Committed: not cancelled or refunded. Funded: ACTIVE_FUNDED or PAID. Paid: PAID. Used: for
    fixed price, funded milestones pending approval or needing review, and paid ones; for hourly
    and per label, the budget's consumedVolume times the rate, rounded half up to the cent. The
    seeded money moved before the dashboard first read it: its month is the milestone's
    creation, in TIME_ZONE."""
    contracts = Contract.objects.filter(account__key=key).prefetch_related("milestones")
    if payment_type:
        contracts = contracts.filter(payment_type=payment_type)
    if status:
        contracts = contracts.filter(status=status)
    sums = dict.fromkeys(("committed", "funded", "used", "paid"), ZERO)
    sums["contracts"], sums["without_rate"] = 0, 0
    months = defaultdict(lambda: [ZERO, ZERO])  # (month, payment type) -> [funded, paid]
    for contract in contracts:
        sums["contracts"] += 1
        if contract.payment_type != Contract.FIXED_PRICE:
            if contract.rate_usd is None:
                sums["without_rate"] += 1
            else:
                consumed = Decimal(str(budget_json(contract)["consumedVolume"]))
                used = (consumed * contract.rate_usd).quantize(Decimal("0.01"), ROUND_HALF_UP)
                sums["used"] += used
        for milestone in contract.milestones.all():
            status_now, amount = milestone.status, milestone.amount_usd
            if status_now in (Milestone.CANCELLED, Milestone.REFUNDED):
                continue
            sums["committed"] += amount
            month = timezone.localtime(milestone.created_at).date().replace(day=1)
            if status_now in (Milestone.ACTIVE_FUNDED, Milestone.PAID):
                sums["funded"] += amount
                months[month, contract.payment_type][0] += amount
            if status_now == Milestone.PAID:
                sums["paid"] += amount
                months[month, contract.payment_type][1] += amount
            if contract.payment_type == Contract.FIXED_PRICE and (
                status_now == Milestone.PAID
                or (
                    status_now == Milestone.ACTIVE_FUNDED
                    and (milestone.pending_approval or milestone.needs_review)
                )
            ):
                sums["used"] += amount
    sums["months"] = {key: tuple(pair) for key, pair in months.items() if any(pair)}
    return sums


def first_month(key: str) -> date:
    """The month of the account's oldest milestone: a range from it shows every seeded month."""
    oldest = Milestone.objects.filter(contract__account__key=key).order_by("created_at").first()
    return timezone.localtime(oldest.created_at).date().replace(day=1)


def amount(text: str) -> Decimal:
    """ "$1,575.50" as a Decimal."""
    return Decimal(text.strip().replace("$", "").replace(",", ""))


def shown_total(page: str, name: str) -> Decimal:
    found = re.search(rf'id="total-{name}">([^<]*)<', page)
    assert found, f"no {name} total on the page"
    return amount(found.group(1))


def shown_months(page: str) -> dict:
    """The chart's "Show as table": {(month, payment type or "All"): (funded, paid)}."""
    table = page.split('<details class="chart-table">', 1)[1].split("</details>", 1)[0]
    rows = {}
    for month, model, funded, paid in re.findall(
        r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>',
        table,
    ):
        when = datetime.strptime(month, "%b %Y").date()
        model = html.unescape(model)
        rows[when, MODEL_OF_WORDS.get(model, model)] = (amount(funded), amount(paid))
    return rows


def month_query(start: date, **more) -> dict:
    return {"start": f"{start:%Y-%m}", **more}
