from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from callcenter.config import Settings, read_lab_secret

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_are_embedded_sqlite_and_the_lab(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CALLCENTER_CONFIG", str(tmp_path / "absent.toml"))
    s = Settings()
    assert s.database.url.startswith("sqlite:///")
    assert s.lab.enabled and s.web.port == 5000 and s.agi.port == 4573
    assert [p.name for p in s.pbxes()] == ["lab"]


def test_toml_file_then_environment_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "cc.toml"
    cfg.write_text(
        '[database]\nurl = "postgresql://postgres@127.0.0.1/x"\n'
        '[web]\nport = 8080\n'
        '[lab]\nenabled = false\n'
        '[[pbx]]\nname = "hq"\nhost = "10.1.2.3"\nsecret = "s3cret-value"\n'
    )
    monkeypatch.setenv("CALLCENTER_CONFIG", str(cfg))
    monkeypatch.setenv("CALLCENTER_WEB__PORT", "9090")
    s = Settings()
    assert s.database.url == "postgresql://postgres@127.0.0.1/x"
    assert s.web.port == 9090  # the environment wins over the file
    assert [(p.name, p.host) for p in s.pbxes()] == [("hq", "10.1.2.3")]
    assert s.pbxes()[0].secret.get_secret_value() == "s3cret-value"


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CALLCENTER_CONFIG", str(tmp_path / "absent.toml"))
    s = Settings(pbx=[{"name": "hq", "secret": "topsecret"}], web={"secret_key": "flask-key"})
    text = repr(s) + str(s.redacted())
    assert "topsecret" not in text and "flask-key" not in text
    assert s.redacted()["pbx"][0]["secret"] == "**********"


def test_unknown_and_bad_settings_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CALLCENTER_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(ValidationError):
        Settings(no_such_setting=1)  # type: ignore[call-arg]  # the unknown setting is what is tested
    with pytest.raises(ValidationError):
        Settings(pbx=[{"name": "bad name\r\n"}])


def test_lab_secret_is_read_from_its_asterisk_include(tmp_path: Path) -> None:
    f = tmp_path / "manager_secret.conf"
    f.write_text("; generated\nsecret = abc123\n")
    assert read_lab_secret(f) == "abc123"
    assert read_lab_secret(tmp_path / "missing") == ""


def test_example_config_lists_every_setting_and_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """config.example.toml, uncommented, is a valid config with every key."""
    import tomllib

    example = ROOT / "config.example.toml"
    lines = []
    for line in example.read_text().splitlines():
        stripped = line.lstrip()
        # "# key = value" and "# [section]" lines are settings; "## ..." are prose.
        if stripped.startswith("# ") and ("=" in stripped or stripped[2:].startswith("[")):
            lines.append(stripped[2:])
        elif not stripped.startswith("#"):
            lines.append(line)
    data = tomllib.loads("\n".join(lines))
    s = Settings(**data)

    def keys(model: BaseModel, prefix: str = "") -> set[str]:
        out: set[str] = set()
        for name, value in model:
            if hasattr(type(value), "model_fields"):
                out |= keys(value, f"{prefix}{name}.")
            else:
                out.add(prefix + name)
        return out

    documented = keys(s)
    expected = keys(Settings(_env_file=None))
    assert expected - {"pbx"} <= documented
    assert "pbx" in data
