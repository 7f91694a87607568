"""The browser softphones' Asterisk side: endpoints, derived passwords, the DTLS certificate."""
from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from callcenter.config import Settings, SoftphoneSettings
from callcenter.pbx import webrtc


def test_passwords_derive_from_the_secret_and_differ_per_endpoint() -> None:
    a, b = webrtc.password("s3cret", "webrtc1001"), webrtc.password("s3cret", "webrtc1002")
    assert a != b and len(a) == 32 and a == webrtc.password("s3cret", "webrtc1001")
    assert webrtc.password("other", "webrtc1001") != a
    with pytest.raises(webrtc.SoftphoneUnavailable):
        webrtc.password("", "webrtc1001")


def test_interfaces_and_extensions_round_trip() -> None:
    assert webrtc.interface("1001") == "PJSIP/webrtc1001"
    assert webrtc.extension_of("PJSIP/webrtc1001") == "1001"
    assert webrtc.extension_of("webrtc1901") == "1901"
    for other in ("PJSIP/agent1001", "PJSIP/webrtc", "PJSIP/webrtcx1", "SIP/x"):
        assert webrtc.extension_of(other) is None


def test_render_gives_every_extension_an_endpoint_aor_and_auth() -> None:
    soft = SoftphoneSettings(extensions=["1001", "1901"])
    text = webrtc.render(soft, "k", {"1001": "Ann Lee"})
    assert "[webrtc1001](webrtc-endpoint)" in text and "[webrtc1901](webrtc-aor)" in text
    assert 'callerid = "Ann Lee" <1001>' in text and 'callerid = "Agent 1901" <1901>' in text
    assert f"password = {webrtc.password('k', 'webrtc1001')}" in text
    assert text.count("type = auth") == 2


def test_extensions_must_be_digits() -> None:
    with pytest.raises(ValueError, match="2-8 digits"):
        SoftphoneSettings(extensions=["10a1"])


def test_the_lab_secret_is_used_only_while_the_lab_is_enabled(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    (lab / "etc" / "asterisk").mkdir(parents=True)
    (lab / "etc" / "asterisk" / "softphone_secret.conf").write_text("secret = from-the-lab\n")
    assert Settings(lab={"dir": lab}).softphone_secret() == "from-the-lab"
    assert Settings(lab={"dir": lab, "enabled": False}).softphone_secret() == ""
    given = Settings(lab={"dir": lab}, softphone={"secret": "given"})
    assert given.softphone_secret() == "given" and "given" in given.secret_values()


def test_private_files_and_the_certificate(tmp_path: Path) -> None:
    webrtc.write_private(tmp_path / "p.conf", "password = x\n")
    assert stat.S_IMODE((tmp_path / "p.conf").stat().st_mode) == 0o600
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed for the softphones' DTLS certificate")
    cert, key = tmp_path / "keys" / "w.crt", tmp_path / "keys" / "w.key"
    assert webrtc.make_certificate(cert, key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    subject = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-subject"],
                             capture_output=True, text=True, check=True).stdout
    assert "callcenter-webrtc" in subject
    before = cert.read_bytes()
    assert webrtc.make_certificate(cert, key) and cert.read_bytes() == before  # kept, not remade
