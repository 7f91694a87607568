"""One typed settings object, read from a TOML file and CALLCENTER_* overrides.

Precedence (highest first): constructor arguments, environment variables
(``CALLCENTER_WEB__PORT=8000``; nested keys joined by ``__``), the TOML file
named by ``CALLCENTER_CONFIG`` (default ``instance/callcenter.toml`` when it
exists), then the defaults below.  Every setting is listed, commented, in
``config.example.toml``.  Secrets are ``SecretStr`` so they never print.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = Path(os.environ.get("CALLCENTER_INSTANCE", ROOT / "instance"))
DEFAULT_CONFIG = DEFAULT_INSTANCE / "callcenter.toml"
DEFAULT_LAB_DIR = Path(
    os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")
) / "callcenter" / "lab-pbx"


class DatabaseSettings(BaseModel):
    """Where calls and tickets live. SQLite is embedded; PostgreSQL scales out."""

    url: str = f"sqlite:///{DEFAULT_INSTANCE / 'callcenter.db'}"
    echo: bool = False
    sqlite_busy_timeout_ms: int = 5000
    pool_size: int = 10


class PBXSettings(BaseModel):
    """One Asterisk server the AMI bridge follows."""

    name: str = "lab"
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "callcenter"
    secret: SecretStr = SecretStr("")
    # Dialplan contexts this system originates into (callbacks, surveys).
    callback_context: str = "cc-callback"
    survey_context: str = "cc-survey-outbound"

    @field_validator("name")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if not v or not v.replace("-", "").replace("_", "").isalnum():
            raise ValueError("PBX name must be letters, digits, '-' or '_'")
        return v


class LabSettings(BaseModel):
    """The lab PBX: a real Asterisk 22 in a Debian sid chroot on this machine."""

    enabled: bool = True
    dir: Path = DEFAULT_LAB_DIR
    mirror: str = "http://deb.debian.org/debian"
    boot_timeout: float = 60.0

    @field_validator("dir", mode="after")
    @classmethod
    def _expand(cls, v: Path) -> Path:
        return v.expanduser()


class AGISettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 4573
    max_sessions: int = 256
    header_timeout: float = 5.0


class WebSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 5000
    secret_key: SecretStr = SecretStr("")
    session_cookie_secure: bool = False
    threads: int = 64
    languages: list[str] = ["en", "zh"]
    default_language: str = "en"


class RecordingSettings(BaseModel):
    # Empty means: the lab PBX's /var/spool/asterisk/monitor when the lab runs.
    dir: Path | None = None


class PhoneSettings(BaseModel):
    # Region for numbers dialled without a country code (ISO 3166 code).
    default_region: str = "US"


class Settings(BaseSettings):
    """Everything configurable, in one place."""

    model_config = SettingsConfigDict(
        env_prefix="CALLCENTER_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    instance_dir: Path = DEFAULT_INSTANCE
    log_level: str = "INFO"
    timezone: str = "UTC"
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    lab: LabSettings = Field(default_factory=LabSettings)
    # Extra Asterisk servers; when the lab is enabled it is added as "lab".
    pbx: list[PBXSettings] = Field(default_factory=list)
    agi: AGISettings = Field(default_factory=AGISettings)
    web: WebSettings = Field(default_factory=WebSettings)
    recordings: RecordingSettings = Field(default_factory=RecordingSettings)
    phone: PhoneSettings = Field(default_factory=PhoneSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = Path(os.environ.get("CALLCENTER_CONFIG", DEFAULT_CONFIG))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path.exists():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    # -- derived values -------------------------------------------------
    @property
    def lab_secret_file(self) -> Path:
        """The lab's AMI secret, written by ``pbx up`` as an Asterisk include."""
        return self.lab.dir / "etc" / "asterisk" / "manager_secret.conf"

    def recordings_dir(self) -> Path:
        if self.recordings.dir is not None:
            return self.recordings.dir
        return self.lab.dir / "var" / "spool" / "asterisk" / "monitor"

    def pbxes(self) -> list[PBXSettings]:
        """Every Asterisk server to follow, the lab first when enabled."""
        found = list(self.pbx)
        if self.lab.enabled and not any(p.name == "lab" for p in found):
            secret = read_lab_secret(self.lab_secret_file)
            found.insert(0, PBXSettings(name="lab", secret=SecretStr(secret)))
        return found

    @field_validator("instance_dir", mode="after")
    @classmethod
    def _expand_instance(cls, v: Path) -> Path:
        return v.expanduser()

    def redacted(self) -> dict[str, Any]:
        """A dump safe to print or log: secrets show as '**********'."""
        return self.model_dump(mode="json")


def load_settings(**overrides: Any) -> Settings:
    return Settings(**overrides)


def read_lab_secret(path: Path) -> str:
    """Parse ``secret = TOKEN`` from the lab's manager include ('' if absent)."""
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "secret":
                return value.strip()
    except OSError:
        pass
    return ""
