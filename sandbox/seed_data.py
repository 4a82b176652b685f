"""The seeded contracts and milestones: what every demo account starts with, as plain data."""

from datetime import UTC, date, datetime

from .models import Contract

# The clock every seeded date counts back from, so the seeded state is the same on every run.
NOW = datetime(2026, 6, 12, 9, 30, tzinfo=UTC)

# Contract specs, newest first. Milestones: (name, status, amount, volume, due, extras).
CONTRACTS = [
    {
        "slug": "fixed_300",
        "title": "Spanish Sentiment Labeling Contract",
        "type": Contract.FIXED_PRICE,
        "rate": "300",
        "total": "300",
        "freelancer": ("Maria G.", "Spain"),
        "milestones": [
            ("First labeling batch", "ACTIVE_FUNDED", "300", None, date(2026, 7, 1), {}),
        ],
    },
    {
        "slug": "hourly_1250",
        "title": "Medical Transcript QA (hourly)",
        "type": Contract.PAY_PER_HOUR,
        "rate": "12.50",
        "volume": "120",
        "total": "1500",
        "freelancer": ("Aisha K.", "Kenya"),
        # 70 of 80 funded hours used: budget LOW.
        "consumed_seconds": 70 * 3600,
        "milestones": [
            ("Weeks 1-2", "PAID", "500", "40", date(2026, 6, 1), {}),
            ("Weeks 3-4", "ACTIVE_FUNDED", "500", "40", date(2026, 6, 29), {}),
        ],
    },
    {
        "slug": "label_007",
        "title": "Spanish Sentiment Labels (per label)",
        "type": Contract.PAY_PER_LABEL,
        "rate": "0.07",
        "volume": "20000",
        "total": "1400",
        "freelancer": ("Sofia R.", "Argentina"),
        # All 10,000 funded labels used: budget DEPLETED.
        "consumed_labels": 10000,
        "milestones": [
            ("Batch A", "PAID", "350", "5000", date(2026, 5, 20), {}),
            ("Batch B", "ACTIVE_FUNDED", "350", "5000", date(2026, 6, 20), {}),
            ("Pilot (cancelled)", "CANCELLED", "70", "1000", None, {}),
        ],
    },
    {
        "slug": "label_norate",
        "title": "Audio Transcription Spot Checks (rate pending)",
        "type": Contract.PAY_PER_LABEL,
        "rate": None,
        "freelancer": ("Tomás V.", "Chile"),
        "milestones": [],
    },
    {
        "slug": "fixed_1250",
        "title": "Product Image Bounding Boxes",
        "type": Contract.FIXED_PRICE,
        "rate": "1250",
        "total": "1250",
        "freelancer": ("Kenji T.", "Japan"),
        "milestones": [
            ("Guidelines and pilot", "PAID", "500", None, date(2026, 5, 15), {}),
            (
                "Full dataset",
                "ACTIVE_FUNDED",
                "750",
                None,
                date(2026, 7, 10),
                {"pending_approval": True, "needs_review": True},
            ),
        ],
    },
    {
        "slug": "hourly_38",
        "title": "RLHF Preference Ranking (hourly)",
        "type": Contract.PAY_PER_HOUR,
        "rate": "38",
        "volume": "200",
        "total": "7600",
        "freelancer": ("Lukas B.", "Germany"),
        "milestones": [
            ("First 20 hours", "NOT_FUNDED", "760", "20", date(2026, 7, 3), {}),
        ],
    },
    {
        "slug": "label_035",
        "title": "Code Review Annotations (per label)",
        "type": Contract.PAY_PER_LABEL,
        "rate": "0.35",
        "volume": "4000",
        "total": "1400",
        "freelancer": ("Priya N.", "India"),
        "milestones": [
            ("First 1,000 reviews", "NOT_FUNDED", "350", "1000", date(2026, 7, 5), {}),
        ],
    },
    {
        "slug": "fixed_450",
        "title": "Chatbot Red-Teaming Prompts",
        "type": Contract.FIXED_PRICE,
        "rate": "450",
        "total": "450",
        "freelancer": ("Olu A.", "Nigeria"),
        "milestones": [],
    },
    {
        "slug": "hourly_15",
        "title": "Search Relevance Ratings (hourly)",
        "type": Contract.PAY_PER_HOUR,
        "rate": "15",
        "volume": "60",
        "total": "900",
        "freelancer": ("Marta S.", "Poland"),
        "consumed_seconds": 2 * 3600 + 1800,
        "milestones": [
            ("Week 1 (refunded)", "REFUNDED", "150", "10", None, {}),
            ("Week 2", "ACTIVE_FUNDED", "150", "10", date(2026, 6, 26), {}),
        ],
    },
    {
        "slug": "label_012",
        "title": "Math Reasoning Step Labels",
        "type": Contract.PAY_PER_LABEL,
        "rate": "0.12",
        "volume": "10000",
        "total": "1200",
        "freelancer": ("Diego M.", "Mexico"),
        "milestones": [
            ("Batch 1", "NOT_FUNDED", "300", "2500", date(2026, 7, 12), {}),
        ],
    },
    {
        "slug": "ended",
        "title": "Legal Clause Classification",
        "type": Contract.FIXED_PRICE,
        "rate": "800",
        "total": "800",
        "freelancer": ("Chen W.", "Singapore"),
        "ended": True,
        "milestones": [
            ("All clauses", "PAID", "800", None, date(2026, 4, 30), {}),
        ],
    },
]

# The smaller copy the non-default accounts get: every payment model, no rate, and ended.
SMALL_SET = {"fixed_300", "hourly_1250", "label_007", "label_norate", "hourly_38", "ended"}
