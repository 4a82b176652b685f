"""One way to write a date and one for a moment, everywhere: "26 Nov 2026" and
"26 Nov 2026, 14:05 UTC"; IDs never break mid-token; fields with errors are outlined."""

import re
from pathlib import Path

from dashboard.words import day, when

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STYLES = Path(__file__).resolve().parent.parent / "static" / "app.css"


def test_dates_and_moments_have_one_shape_each():
    assert day("2026-07-01T00:00:00.000Z") == "1 Jul 2026"
    assert when("2026-11-26T14:05:09.123456Z") == "26 Nov 2026, 14:05 UTC"
    assert when("2026-11-26T15:05:00+01:00") == "26 Nov 2026, 14:05 UTC"
    assert day("") == when(None) == ""


def test_no_template_formats_a_date_its_own_way():
    own_ways = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in re.finditer(r"\|date:[^}|]*", path.read_text())
    ]
    assert own_ways == []


def test_ids_break_only_where_a_line_is_too_short_and_fields_with_errors_are_outlined():
    css = STYLES.read_text()
    code_rule = re.search(r"^code \{[^}]*\}", css, re.M).group(0)
    # An ID stays whole where it fits; on a phone it wraps rather than widen the page (issue 29).
    assert "overflow-wrap: anywhere" in code_rule and "break-all" not in code_rule
    invalid_rule = re.search(r'^\[aria-invalid="true"\] \{[^}]*\}', css, re.M).group(0)
    assert "outline:" in invalid_rule


def test_a_field_with_an_error_is_marked_invalid(sandbox, pm):
    html = pm.post(
        "/contracts/ctr_owner_fixed_300/milestones/new/",
        {"description": "", "amount_usd": "300", "submission_key": "not-a-key"},
    ).content.decode()

    assert re.search(r'<textarea[^>]*name="description"[^>]*aria-invalid="true"', html)
