"""Every URL of the project as a concrete path, from walking the URL configuration, so a new page
is covered without editing a list."""

import re
import uuid

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

# Sample values for the URL parameters, by name: real sandbox IDs, so that a missing permission
# check would show up as a real write.
SAMPLES = {
    "contract_id": "ctr_owner_hourly_38",
    "milestone_id": "ms_owner_hourly_38_1",
    "approval_id": "apr_sample",
    "key": str(uuid.uuid4()),
    "token": "ot_cat_sandbox_unclaimed",
    "organization_id": "org_sbx_nobilling",
    "path": "no/such/endpoint",
}
CONVERTER_SAMPLES = {"int": "1", "slug": "sample", "uuid": str(uuid.uuid4()), "path": "a/b"}


def sample(name, converter):
    if name in SAMPLES:
        return SAMPLES[name]
    return CONVERTER_SAMPLES.get(converter, "sample")


def route(pattern):
    """A concrete path for one pattern (route or regex), with sample values for its parameters."""
    if isinstance(pattern, RoutePattern):
        return re.sub(
            r"<(?:(\w+):)?(\w+)>",
            lambda m: sample(m.group(2), m.group(1) or "str"),
            str(pattern),
        )
    regex = str(pattern).lstrip("^").rstrip("$").replace("\\Z", "")
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: sample(m.group(1), "str"), regex)


def walk(patterns, prefix="", namespace=""):
    """(path, name) for every URL pattern, following includes."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            space = entry.namespace or namespace
            yield from walk(entry.url_patterns, prefix + route(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            yield "/" + prefix + route(entry.pattern), name


URLS = sorted(set(walk(get_resolver().url_patterns)))
