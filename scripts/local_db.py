"""`make reset`: delete the SQLite file(s) of the default database (DATABASE_URL, else
db.sqlite3), where both the dashboard and the sandbox keep their data. Refuses any other one."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

# Only the settings are read: no app is loaded and no database is opened.
from django.conf import settings


def main() -> int:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        print("make reset deletes only a SQLite database; DATABASE_URL names another one.")
        return 1
    name = str(database["NAME"])
    for path in (Path(name + suffix) for suffix in ("", "-wal", "-shm", "-journal")):
        if path.exists():
            path.unlink()
            print(f"Deleted {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
