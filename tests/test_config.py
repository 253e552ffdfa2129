"""Settings that stick (TFPREP_HOME/config.toml): show, set, unset, precedence, bad values and
malformed files, and the quiz honouring them. Real files and the real CLI."""
import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from conftest import run_tfprep

from tfprep import banks, config, store
from tfprep.quiz import QuizSession
from tfprep.scheduler import Rating, Scheduler


def settings(cli):
    result = cli("config", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def db(home):
    conn = sqlite3.connect(home / "progress.db")
    conn.row_factory = sqlite3.Row
    return conn


def test_show_set_unset(cli, tfprep_home):
    shown = settings(cli)
    assert shown["new_per_day"] == {"value": 10, "source": "default", "allowed": "a whole number from 0 to 1000"}
    assert shown["reviews_per_day"]["value"] == 0 and shown["desired_retention"]["value"] == 0.9
    assert shown["leech_threshold"]["value"] == 8
    assert shown["workspace"] == {"value": str(tfprep_home / "workspace"), "source": "default",
                                  "allowed": "a folder path"}
    assert not (tfprep_home / "config.toml").exists()  # showing writes nothing

    assert cli("config", "new_per_day", "25").exit_code == 0
    assert cli("config", "desired_retention", "0.85").exit_code == 0
    assert (tfprep_home / "config.toml").read_text() == "new_per_day = 25\ndesired_retention = 0.85\n"
    shown = settings(cli)
    assert shown["new_per_day"] == {"value": 25, "source": "config file", "allowed": "a whole number from 0 to 1000"}
    assert shown["desired_retention"]["value"] == 0.85
    table = cli("config")
    assert table.exit_code == 0 and "config file" in table.output and "default" in table.output
    one = cli("config", "new_per_day")
    assert one.exit_code == 0 and one.output.strip() == "25"

    assert cli("config", "new_per_day", "30").exit_code == 0  # replaces the line, in place
    assert (tfprep_home / "config.toml").read_text() == "new_per_day = 30\ndesired_retention = 0.85\n"
    assert cli("config", "--unset", "new_per_day").exit_code == 0
    assert (tfprep_home / "config.toml").read_text() == "desired_retention = 0.85\n"
    assert settings(cli)["new_per_day"]["source"] == "default"


def test_comments_and_other_lines_are_kept(cli, tfprep_home):
    path = tfprep_home / "config.toml"
    tfprep_home.mkdir(parents=True, exist_ok=True)
    path.write_text("# my settings\nnew_per_day = 5  # slow week\n\nleech_threshold = 6\n")
    assert cli("config", "new_per_day", "7").exit_code == 0
    assert cli("config", "reviews_per_day", "100").exit_code == 0
    assert path.read_text() == "# my settings\nnew_per_day = 7 # slow week\n\nleech_threshold = 6\nreviews_per_day = 100\n"
    assert cli("config", "--unset", "leech_threshold").exit_code == 0
    assert path.read_text() == "# my settings\nnew_per_day = 7 # slow week\n\nreviews_per_day = 100\n"


@pytest.mark.parametrize("key,value,allowed", [
    ("new_per_day", "5000", "0 to 1000"),
    ("new_per_day", "-1", "0 to 1000"),
    ("new_per_day", "ten", "0 to 1000"),
    ("desired_retention", "0.5", "0.70 to 0.99"),
    ("desired_retention", "high", "0.70 to 0.99"),
    ("leech_threshold", "0", "1 to 100"),
    ("reviews_per_day", "2.5", "0 to 100000"),
])
def test_bad_values_exit_2_naming_key_and_range(cli, tfprep_home, key, value, allowed):
    result = cli("config", key, value)
    assert result.exit_code == 2
    assert f"`{key}`" in result.output and allowed in result.output and "Traceback" not in result.output
    assert not (tfprep_home / "config.toml").exists()


def test_unknown_key_exits_2(cli):
    result = cli("config", "new_per_dya", "3")
    assert result.exit_code == 2 and "unknown setting `new_per_dya`" in result.output
    assert "did you mean 'new_per_day'" in result.output
    assert cli("config", "--unset", "nope").exit_code == 2


@pytest.mark.parametrize("body,line,what", [
    ("new_per_day = 10\n\nreviews_per_day = \n", 3, "not valid TOML"),
    ("new_per_day = 10\nnew_per_day = 11\n", 2, "not valid TOML"),
    ("# ok\ndesired_retention = 1.5\n", 2, "`desired_retention` must be a number from 0.70 to 0.99, got 1.5"),
    ("new_per_day = \"many\"\n", 1, "`new_per_day` must be a whole number from 0 to 1000"),
    ("new_per_day = true\n", 1, "`new_per_day` must be a whole number from 0 to 1000"),
    ("leech_threshold = 3\ncolour = \"red\"\n", 2, "unknown setting `colour`"),
    ("leech_threshold = 3\n[quiz]\nnew = 3\n", 2, "unknown table `quiz`"),
])
def test_malformed_config_exits_2_with_file_and_line(tfprep_home, body, line, what):
    tfprep_home.mkdir(parents=True, exist_ok=True)
    path = tfprep_home / "config.toml"
    path.write_text(body)
    for args in (["config"], ["quiz", "--bank", "core25"], []):
        res = run_tfprep(*args, env={"COLUMNS": "300"})
        assert res.returncode == 2, (args, res.stdout, res.stderr)
        assert f"{path}:{line}:" in res.stderr and what in res.stderr, res.stderr
        assert "Traceback" not in res.stderr


def test_the_tiny_reader_agrees_with_tomllib(monkeypatch, tfprep_home):
    """Python 3.10 without tomli: the flat reader reads what tfprep writes, and reports lines."""
    text = '# c\nnew_per_day = 12 # x\ndesired_retention = 0.8\nworkspace = "/tmp/a \\"b\\""\nx = \'lit\'\n'
    tomllib = pytest.importorskip("tomllib")
    assert config._flat_loads(text) == tomllib.loads(text)
    monkeypatch.setattr(config, "_toml_loads", lambda: None)
    tfprep_home.mkdir(parents=True, exist_ok=True)
    (tfprep_home / "config.toml").write_text("new_per_day = 12\nreviews_per_day = = 3\n")
    with pytest.raises(config.TfprepError, match=r"config.toml:2: "):
        config.load()


# --- precedence --------------------------------------------------------------------------------

def test_workspace_flag_over_env_over_config_over_default(cli, tfprep_home, tmp_path, monkeypatch):
    from_config, from_env, from_flag = tmp_path / "cfg", tmp_path / "env", tmp_path / "flag"
    assert settings(cli)["workspace"]["source"] == "default"
    assert cli("config", "workspace", str(from_config)).exit_code == 0
    assert settings(cli)["workspace"] == {"value": str(from_config), "source": "config file",
                                          "allowed": "a folder path"}
    assert cli("drill", "attention").exit_code == 0  # first run: the starter goes into the workspace
    assert list(from_config.glob("*.py"))
    monkeypatch.setenv("TFPREP_WORKSPACE", str(from_env))
    assert settings(cli)["workspace"]["source"] == "environment (TFPREP_WORKSPACE)"
    assert str(from_env) in cli("paths").output
    assert cli("drill", "attention").exit_code == 0
    assert list(from_env.glob("*.py"))
    assert cli("drill", "attention", "--workspace", str(from_flag)).exit_code == 0
    assert list(from_flag.glob("*.py"))
    help_text = cli("config", "--help").output
    assert "TFPREP_WORKSPACE" in help_text and "flag" in help_text


def test_new_per_day_default_and_flag(cli, tfprep_home):
    assert cli("config", "new_per_day", "2").exit_code == 0
    cli("quiz", "--bank", "core25", input="\n4\n" * 4)
    assert db(tfprep_home).execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 2
    assert "Nothing due right now" in cli("quiz", "--bank", "core25").output
    cli("quiz", "--bank", "core25", "--new", "3", input="\n4\n" * 4)  # the flag, for this run
    assert db(tfprep_home).execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 3
    assert cli("config", "new_per_day", "1000").exit_code == 0
    total = sum(len(b.questions) for b in banks.load_all().values())
    assert json.loads(cli("--json").output)["new_cards_today"] == total - 3  # the home screen counts the same


def test_retention_from_config_and_flag(cli, monkeypatch):
    import tfprep.scheduler as scheduler_mod

    used = []

    class Recording(scheduler_mod.Scheduler):
        def __init__(self, desired_retention=0.9, **kwargs):
            used.append(desired_retention)
            super().__init__(desired_retention, **kwargs)

    monkeypatch.setattr(scheduler_mod, "Scheduler", Recording)
    cli("quiz", "--bank", "core25", "--limit", "1", input="q\n")
    assert cli("config", "desired_retention", "0.8").exit_code == 0
    cli("quiz", "--bank", "core25", "--limit", "1", input="q\n")
    cli("quiz", "--bank", "core25", "--limit", "1", "--retention", "0.95", input="q\n")
    assert used == [0.9, 0.8, 0.95]
    bad = cli("quiz", "--retention", "1.2")
    assert bad.exit_code == 2 and "0.70 and 0.99" in bad.output


def test_reviews_per_day_caps_the_quiz(cli, tfprep_home):
    qs = banks.load_all()["core25"].questions[:4]
    conn = store.connect()
    past = datetime.now(timezone.utc) - timedelta(days=60)
    session = QuizSession(conn, Scheduler(fuzz=False), list(qs), lambda: past)
    for q in qs:
        session.rate(q, Rating.EASY)  # four cards in review, all due by now
    conn.close()
    assert cli("config", "reviews_per_day", "3").exit_code == 0
    result = cli("quiz", "--bank", "core25", "--new", "0", input="\n3\n" * 5)
    assert result.exit_code == 0, result.output
    today = store.local_day(datetime.now(timezone.utc))
    rows = db(tfprep_home).execute("SELECT kind FROM reviews WHERE day = ?", (today,)).fetchall()
    assert [r["kind"] for r in rows] == ["review"] * 3
    assert json.loads(cli("--json").output)["cards_due_now"] == 0  # the home screen agrees
    again = cli("quiz", "--bank", "core25", "--new", "0")
    assert "Nothing due right now" in again.output and "reviews_per_day" in again.output
    assert cli("config", "reviews_per_day", "0").exit_code == 0  # 0: no cap
    cli("quiz", "--bank", "core25", "--new", "0", input="\n3\n" * 5)
    assert db(tfprep_home).execute("SELECT COUNT(*) FROM reviews WHERE day = ?", (today,)).fetchone()[0] == 4
