"""The pages' plain read of the account (dashboard/mirror/reading.py) names tables and columns
from the models' metadata, never by hand: a renamed field changes it too."""


def column(meta, name: str) -> str:
    """The database column of a model's field (`meta`: the model's `_meta`)."""
    return meta.get_field(name).column
