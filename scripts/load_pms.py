"""The load test's simulated project managers: each signs in and, until time is up, lists
contracts, opens them, opens the approvals page and creates milestones (some by double click, some
submitted again). `drive` runs them all at once; `Stats` is what they saw. See loadtest.py.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx
from pm_client import form_inputs, login_data, milestone_data

FAULTY_ACCOUNT = "nobilling"
PROBLEM = re.compile(r'class="problem problem-([\w-]+)"')


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    actions: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    problems: Counter = field(default_factory=Counter)
    markers: set[str] = field(default_factory=set)
    double_clicks: int = 0
    resubmits: int = 0
    stuck: list[str] = field(default_factory=list)

    def record(self, action: str, seconds: float, response: httpx.Response | None, error=""):
        with self.lock:
            self.latencies.append(seconds)
            self.actions[action] += 1
            if error:
                self.errors[error] += 1
                return
            status = response.status_code
            if status >= 400:
                self.errors[f"HTTP {status}"] += 1
            for kind in PROBLEM.findall(response.text):
                self.problems[kind] += 1


class ProjectManager:
    def __init__(self, number: int, url: str, username: str, stats: Stats, faulty: bool):
        self.number = number
        self.stats = stats
        self.faulty = faulty
        self.username = username
        self.rng = random.Random(number)  # noqa: S311 (simulated behaviour, not secrets)
        self.client = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
        self.forms: list[str] = []  # "New milestone" URLs seen on the list
        self.contracts: list[str] = []

    def request(self, action: str, method: str, path: str, **kwargs) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TimeoutException:
            self.stats.record(action, time.monotonic() - started, None, "client timeout")
            return None
        except httpx.TransportError as exc:
            self.stats.record(action, time.monotonic() - started, None, type(exc).__name__)
            return None
        self.stats.record(action, time.monotonic() - started, response)
        return response

    def sign_in(self, credential) -> bool:
        if isinstance(credential, str):  # a session key, signed in already
            self.client.cookies.set("sessionid", credential)
        else:
            page = self.request("sign in", "GET", "/accounts/login/")
            if page is None:
                return False
            data = login_data(page.text, self.username, credential["password"])
            response = self.request("sign in", "POST", "/accounts/login/", data=data)
            if response is None or response.status_code != 302:
                return False
        if self.faulty:
            # The dashboard's own switcher: this PM now acts as the demo account with faults.
            home = self.request("list", "GET", "/contracts/")
            token = form_inputs(home.text).get("csrfmiddlewaretoken", "") if home else ""
            data = {"account": FAULTY_ACCOUNT, "next": "/contracts/", "csrfmiddlewaretoken": token}
            switched = self.request("switch account", "POST", "/sandbox-account/", data=data)
            return switched is not None and switched.status_code == 302
        return True

    def run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            roll = self.rng.random()
            if roll < 0.35 or not self.forms:
                self.list_contracts()
            elif roll < 0.65:
                self.open_contract()
            elif roll < 0.70:
                self.request("approvals", "GET", "/approvals/")
            else:
                self.create_milestone()
            time.sleep(self.rng.uniform(0.05, 0.3))

    def list_contracts(self) -> None:
        params = self.rng.choice([{}, {}, {"q": "label"}, {"status": "active"}])
        headers = {"HX-Request": "true"} if self.rng.random() < 0.3 else {}
        response = self.request("list", "GET", "/contracts/", params=params, headers=headers)
        if response is not None and response.status_code == 200:
            forms = re.findall(r'href="(/contracts/[^"/]+/milestones/new/)"', response.text)
            contracts = re.findall(r'href="(/contracts/ctr_[^"/]+/)"', response.text)
            self.forms = sorted(set(forms)) or self.forms
            self.contracts = sorted(set(contracts)) or self.contracts

    def open_contract(self) -> None:
        if self.contracts:
            self.request("contract", "GET", self.rng.choice(self.contracts))

    def create_milestone(self) -> None:
        url = self.rng.choice(self.forms)
        page = self.request("milestone form", "GET", url)
        if page is None or page.status_code != 200 or "submission_key" not in page.text:
            return
        marker = f"load-{uuid.uuid4()}"
        data = milestone_data(
            page.text,
            name=f"Load test {self.number}",
            description=f"Simulated milestone {marker}",
            # Seeded contracts are near their estimates: these PMs accept the over-total warning.
            confirm_over_total="on",
        )
        if 'name="amount_usd"' in page.text:
            data["amount_usd"] = "25.00"
        else:
            data["volume"] = "2"
        with self.stats.lock:
            self.stats.markers.add(marker)

        if self.rng.random() < 0.25:
            # A double click: the same form, the same key, twice at once.
            with self.stats.lock:
                self.stats.double_clicks += 1
            second = threading.Thread(
                target=self.request, args=("create", "POST", url), kwargs={"data": data}
            )
            second.start()
            response = self.request("create", "POST", url, data=data)
            second.join()
        else:
            response = self.request("create", "POST", url, data=data)

        if response is not None and response.status_code == 200 and PROBLEM.search(response.text):
            # Unclear or failed: the PM presses "Submit again" on the form that came back.
            again = form_inputs(response.text)
            if "submission_key" in again:
                with self.stats.lock:
                    self.stats.resubmits += 1
                data = data | {"submission_key": again["submission_key"]}
                self.request("create again", "POST", url, data=data)


def drive(url: str, usernames: list[str], credentials: dict, seconds: float, faults: bool):
    """Sign every PM in (at once), then let them all work until `seconds` have passed.

    `credentials` maps a username to a session key (already signed in) or to {"password": ...}.
    """
    stats = Stats()
    pms = [
        ProjectManager(i, url, name, stats, faulty=faults and i % 4 == 3)
        for i, name in enumerate(usernames)
    ]
    ready: list[ProjectManager] = []
    clock = {}
    barrier = threading.Barrier(len(pms), action=lambda: clock.update(start=time.monotonic()))

    def work(pm: ProjectManager) -> None:
        signed_in = pm.sign_in(credentials[pm.username])
        with stats.lock:
            (ready.append(pm) if signed_in else stats.stuck.append(f"{pm.username}: no sign-in"))
        barrier.wait()
        if signed_in:
            pm.run(clock["start"] + seconds)

    threads = [threading.Thread(target=work, args=(pm,)) for pm in pms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats, time.monotonic() - clock["start"], len(ready)
