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


def test_a_second_lab_asterisk_gets_its_own_ports_and_is_followed(tmp_path: Path) -> None:
    from callcenter.pbx.lab import LabPBX

    settings = Settings(lab={"dir": tmp_path / "lab", "instances": ["b", "c"]})
    assert [(p.name, p.port) for p in settings.pbxes()] == [("lab", 5038), ("b", 5138), ("c", 5238)]
    b = LabPBX(settings, "b")
    assert (b.ami_port, b.sip_port, b.etc, b.run_dir) == (5138, 5160, "/etc/asterisk-b", "/var/run/asterisk-b")
    with pytest.raises(ValueError, match="add it to"):
        LabPBX(settings, "d")
    for bad in (["lab"], ["B"], ["b", "b"], ["b;x"]):
        with pytest.raises(ValidationError):
            Settings(lab={"instances": bad})


def test_a_second_lab_asterisks_configuration_moves_every_port(tmp_path: Path) -> None:
    from callcenter.pbx.lab import LabPBX

    settings = Settings(lab={"dir": tmp_path / "lab", "instances": ["b"]})
    b = LabPBX(settings, "b")
    etc = b.path(b.etc)
    b.refresh_config()
    assert "bind = 127.0.0.1:5160" in (etc / "pjsip.conf").read_text()
    assert "port = 5138" in (etc / "manager.conf").read_text()
    assert "bindport = 8188" in (etc / "http.conf").read_text()
    assert "CC_PBX = b" in (etc / "extensions.conf").read_text()
    conf = (etc / "asterisk.conf").read_text()
    assert "systemname = b" in conf and "astrundir => /var/run/asterisk-b" in conf
    assert (etc / "manager_secret.conf").read_text() == settings.lab_secret_file.read_text()
