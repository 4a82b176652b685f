"""The plain statements on every request's path (the session, the person and their permissions,
the pages' read of the account) name tables and columns from the models' metadata, never by hand:
a renamed field or a swapped user model changes them too."""


def column(meta, name: str) -> str:
    """The database column of a model's field (`meta`: the model's `_meta`)."""
    return meta.get_field(name).column
