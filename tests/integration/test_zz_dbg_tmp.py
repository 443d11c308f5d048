import os, sqlite3, subprocess, sys, secrets
import pytest
from django.db import connection
pytestmark = pytest.mark.django_db(transaction=True)
def test_x(tmp_path):
    target = tmp_path / "h.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(target); connection.connection.backup(copy); copy.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOVER_", "DJANGO_", "DATABASE_URL"))}
    env.update(HANDOVER_DEBUG="true", DATABASE_URL=f"sqlite:///{target}", DJANGO_SETTINGS_MODULE="handover.config.settings", HANDOVER_VAR_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "django", "showmigrations", "--plan"], env=env, capture_output=True, text=True)
    print([l for l in r.stdout.splitlines() if "[ ]" in l], r.stderr[-2000:])
    print(connection.settings_dict["NAME"], connection.settings_dict.get("TEST"))
    assert 0
