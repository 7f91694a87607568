"""The lab PBX: a real Asterisk 22 in a Debian sid chroot on this machine.

Debian stable has no Asterisk package, so ``up()`` debootstraps sid once into
``<lab.dir>.partial`` and renames it to ``<lab.dir>`` only when complete, so a
half-finished bootstrap is never reused.  Every ``up()`` copies the repo's
``asterisk-conf/`` over ``/etc/asterisk`` so the lab runs exactly what users
deploy.  Asterisk runs as root inside the chroot (not ``-U``: it would drop
the capabilities it needs to read its own files).
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from ..config import ROOT, Settings
from . import webrtc
from .prompts import PROMPTS, VOICES

CONF_SOURCE = ROOT / "asterisk-conf"
MARKER = ".callcenter-provisioned"
PACKAGES = "asterisk,asterisk-modules,asterisk-core-sounds-en,asterisk-core-sounds-en-gsm"
# Asterisk's files belong to a uid that is not root after debootstrap.
OWNED_DIRS = ("/etc/asterisk", "/var/lib/asterisk", "/var/spool/asterisk",
              "/var/log/asterisk", "/var/run/asterisk")
RX_TIMEOUT = 15.0
# The queues defined in callcenter (callcenter.queues.asterisk writes it); queues.conf #tryincludes it.
QUEUES_CONF = "queues_callcenter.conf"
AMI_HOST, AMI_PORT = "127.0.0.1", 5038
# What a second instance changes in the copied configuration: (file, line as shipped, with {port}/{name}).
INSTANCE_EDITS = (
    ("pjsip.conf", "bind = 127.0.0.1:5060", "bind = 127.0.0.1:{sip}"),
    ("manager.conf", "port = 5038", "port = {ami}"),
    ("http.conf", "bindport = 8088", "bindport = {http}"),
    ("rtp.conf", "rtpstart = 10000", "rtpstart = {rtp_start}"),
    ("rtp.conf", "rtpend = 10999", "rtpend = {rtp_end}"),
    ("extensions.conf", "CC_PBX = lab", "CC_PBX = {name}"),
)


class LabUnavailable(RuntimeError):
    """The lab PBX cannot be provisioned or started on this machine."""


HOW_TO_USE_YOUR_OWN = (
    "To use an existing Asterisk instead, set `lab.enabled = false` and add a "
    "[[pbx]] entry (host, port, username, secret) to your TOML config, then "
    "deploy the files in asterisk-conf/ on that server."
)


def chroot_path(root: Path, path: str) -> Path:
    """Map an absolute path inside the chroot to the host, following the
    chroot's own symlinks (Debian's /var/run -> /run would escape otherwise)."""
    parts = list(PurePosixPath(path).parts[1:])
    cur, hops = root, 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            cur = cur.parent if cur != root else root
            continue
        nxt = cur / part
        if nxt.is_symlink():
            hops += 1
            if hops > 40:
                raise OSError(f"symlink loop at {nxt}")
            target = PurePosixPath(os.readlink(nxt))
            if target.is_absolute():
                cur, parts = root, list(target.parts[1:]) + parts
            else:
                parts = list(target.parts) + parts
            continue
        cur = nxt
    return cur


class LabPBX:
    """One lab Asterisk.  ``name`` "lab" is the first; another (``[lab] instances``) runs from the same
    chroot with its own /etc/asterisk-<name>, run, log and database directories, its ports moved by
    ``LabSettings.port_offset`` and its own ``systemname``, so its call ids never meet the first's.
    All of them record into the same spool, where the recordings service reads."""

    def __init__(self, settings: Settings, name: str = "lab"):
        self.settings = settings
        self.name = name
        self.offset = settings.lab.port_offset(name)
        self.dir = Path(settings.lab.dir)
        self.partial = self.dir.with_name(self.dir.name + ".partial")
        suffix = "" if name == "lab" else f"-{name}"
        self.etc, self.run_dir = f"/etc/asterisk{suffix}", f"/var/run/asterisk{suffix}"
        self.log_dir = f"/var/log/asterisk{suffix}"
        self.ami_port, self.sip_port = AMI_PORT + self.offset, 5060 + self.offset
        # asterisk -C: where a second instance finds its asterisk.conf (the first uses the default)
        self._conf_args = [] if name == "lab" else ["-C", f"{self.etc}/asterisk.conf"]

    # -- paths ---------------------------------------------------------
    def path(self, inside: str) -> Path:
        return chroot_path(self.dir, inside)

    @property
    def recordings_dir(self) -> Path:
        return self.path("/var/spool/asterisk/monitor")

    @property
    def pid_file(self) -> Path:
        return self.path(f"{self.run_dir}/asterisk.pid")

    def is_provisioned(self) -> bool:
        return (self.dir / MARKER).exists()

    # -- provisioning --------------------------------------------------
    def provision(self, progress: Callable[[str], None] = print) -> None:
        """Debootstrap sid with Asterisk into ``.partial``, then rename."""
        if self.is_provisioned():
            return
        if os.geteuid() != 0 or shutil.which("debootstrap") is None:
            raise LabUnavailable(
                "The lab PBX needs root and debootstrap (apt-get install "
                "debootstrap) to install Asterisk into " f"{self.dir}. " + HOW_TO_USE_YOUR_OWN)
        if self.dir.exists():
            raise LabUnavailable(f"{self.dir} exists but is not a finished lab; remove it.")
        self.dir.parent.mkdir(parents=True, exist_ok=True)
        # One provisioner at a time: a second `pbx up` must not wipe a running bootstrap.
        with open(self.dir.with_name(self.dir.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self.is_provisioned():
                self._provision_locked(progress)

    def _provision_locked(self, progress: Callable[[str], None]) -> None:
        if not self._bootstrap_finished(self.partial):
            self._remove_partial()
            progress(f"Installing Asterisk (Debian sid) into {self.partial}; this takes a minute...")
            cmd = ["debootstrap", "--variant=minbase", f"--include={PACKAGES}",
                   "sid", str(self.partial), self.settings.lab.mirror]
            done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=1800)
            if done.returncode != 0:
                tail = (done.stdout + done.stderr)[-2000:]
                raise LabUnavailable(f"debootstrap failed:\n{tail}\n" + HOW_TO_USE_YOUR_OWN)
        for inside in OWNED_DIRS:
            target = chroot_path(self.partial, inside)
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["chown", "-R", "root:root", str(target)], check=True, timeout=120)
        (self.partial / MARKER).write_text("provisioned by callcenter pbx up\n")
        os.rename(self.partial, self.dir)
        progress(f"Lab PBX installed in {self.dir}")

    @staticmethod
    def _bootstrap_finished(root: Path) -> bool:
        """debootstrap removes its own work dir only when it succeeded."""
        return (root / "usr/sbin/asterisk").exists() and not (root / "debootstrap").exists()

    def _remove_partial(self) -> None:
        if not self.partial.exists():
            return
        with open("/proc/mounts") as mounts:
            if any(str(self.partial) in line for line in mounts):
                raise LabUnavailable(f"Something is mounted under {self.partial}; unmount it first.")
        shutil.rmtree(self.partial)

    # -- configuration ---------------------------------------------------
    def refresh_config(self, queues_conf: str | None = None) -> None:
        """Copy asterisk-conf/ in and create the AMI secret include once; ``queues_conf`` is the text of
        the queues defined in callcenter (None: the file stays as the AMI service last wrote it)."""
        etc = self.path(self.etc)
        etc.mkdir(parents=True, exist_ok=True)
        for src in sorted(CONF_SOURCE.glob("*.conf")):
            shutil.copyfile(src, etc / src.name)
        if queues_conf is not None:
            (etc / QUEUES_CONF).write_text(queues_conf, encoding="utf-8")
        # Debian's sample users.conf only earns a deprecation warning; unused.
        (etc / "users.conf").unlink(missing_ok=True)
        for secret_file in (self.settings.lab_secret_file, self.settings.lab_softphone_secret_file):
            if not secret_file.exists():
                secret_file.parent.mkdir(parents=True, exist_ok=True)
                webrtc.write_private(secret_file, f"secret = {secrets.token_urlsafe(32)}\n")
            if self.name != "lab":  # every lab instance takes the same secrets
                webrtc.write_private(etc / secret_file.name, secret_file.read_text())
        if self.name != "lab":
            self._instance_config(etc)
        self._softphones(etc)
        self.recordings_dir.mkdir(parents=True, exist_ok=True)

    def _instance_config(self, etc: Path) -> None:
        """A second instance's own ports, name and directories in the copied files."""
        values = {"sip": self.sip_port, "ami": self.ami_port, "http": 8088 + self.offset,
                  "rtp_start": 10000 + 10 * self.offset, "rtp_end": 10999 + 10 * self.offset, "name": self.name}
        for file, shipped, wanted in INSTANCE_EDITS:
            text = (etc / file).read_text(encoding="utf-8")
            lines = text.splitlines()
            hits = [i for i, line in enumerate(lines) if line.split(";")[0].strip() == shipped]
            if len(hits) != 1:
                raise LabUnavailable(f"asterisk-conf/{file} no longer has the line {shipped!r} once; "
                                     f"the lab cannot move instance {self.name!r} off the first one's")
            lines[hits[0]] = wanted.format(**values)
            (etc / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
        dirs = {"astetcdir": self.etc, "astrundir": self.run_dir, "astlogdir": self.log_dir,
                "astdbdir": f"/var/lib/asterisk-{self.name}"}
        for inside in dirs.values():
            self.path(inside).mkdir(parents=True, exist_ok=True)
        conf = (etc / "asterisk.conf").read_text(encoding="utf-8")
        if "\n[options]\n" not in conf:
            raise LabUnavailable("asterisk-conf/asterisk.conf has no [options] section")
        conf = conf.replace("\n[options]\n", f"\n[options]\n; lab instance {self.name}: call ids start "
                            f"'{self.name}-'\nsystemname = {self.name}\n", 1)
        (etc / "asterisk.conf").write_text(conf + "\n[directories]\n"
                                           + "".join(f"{key} => {value}\n" for key, value in dirs.items()),
                                           encoding="utf-8")

    def _softphones(self, etc: Path) -> None:
        """The browser softphones' endpoints and the DTLS certificate they use."""
        soft = self.settings.softphone
        if not soft.enabled:
            (etc / webrtc.CONF_NAME).unlink(missing_ok=True)
            return
        if not webrtc.make_certificate(self.path(soft.dtls_cert_file), self.path(soft.dtls_private_key)):
            raise LabUnavailable("openssl is needed to make the softphones' DTLS certificate")
        webrtc.write_private(etc / webrtc.CONF_NAME, webrtc.render(soft, self.settings.softphone_secret()))

    def make_prompts(self, progress: Callable[[str], None] = print) -> None:
        """Synthesise missing IVR prompts (8 kHz mono 16-bit WAV, Asterisk's
        `wav` format); existing files, e.g. a person's recording, are kept."""
        if not (shutil.which("espeak-ng") and shutil.which("sox")):
            progress("espeak-ng or sox missing: IVR prompts not generated")
            return
        for lang, texts in PROMPTS.items():
            out_dir = self.path(f"/usr/share/asterisk/sounds/{lang}/callcenter")
            out_dir.mkdir(parents=True, exist_ok=True)
            for name, text in texts.items():
                target = out_dir / f"{name}.wav"
                if not target.exists():
                    speak_to_wav(text, target, VOICES[lang])
        moh = self.path("/usr/share/asterisk/moh")
        moh.mkdir(parents=True, exist_ok=True)
        if not any(moh.iterdir()):
            # A soft chime so queue callers never hear silence in the lab.
            subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(moh / "chime.wav"),
                            "synth", "0.6", "sine", "660", "synth", "0.6", "sine", "amod", "0.5",
                            "vol", "0.2", "pad", "0", "1.4", "repeat", "4"],
                           check=True, capture_output=True, timeout=30)

    # -- running ---------------------------------------------------------
    def pid(self) -> int | None:
        """Asterisk's pid from its own pid file, if that process lives in our chroot."""
        try:
            pid = int(self.pid_file.read_text().strip())
            root = os.readlink(f"/proc/{pid}/root")
        except (OSError, ValueError):
            return None
        return pid if Path(root) == self.dir.resolve() else None

    def is_running(self) -> bool:
        return self.pid() is not None

    def rx(self, command: str, timeout: float = RX_TIMEOUT) -> str:
        """Run one CLI command in the running Asterisk (``asterisk -rx``)."""
        done = subprocess.run(["chroot", str(self.dir), "asterisk", *self._conf_args, "-rx", command],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, env=_CHROOT_ENV)
        if done.returncode != 0:
            raise RuntimeError(f"asterisk -rx {command!r} failed: {done.stderr.strip()}")
        return done.stdout

    def up(self, progress: Callable[[str], None] = print, queues_conf: str | None = None) -> None:
        """Provision if needed, deploy config, then start or reload Asterisk."""
        if os.geteuid() != 0:
            raise LabUnavailable("The lab PBX runs Asterisk in a chroot, which needs root. "
                                 + HOW_TO_USE_YOUR_OWN)
        self.provision(progress)
        self.refresh_config(queues_conf)
        self.make_prompts(progress)
        if self.is_running():
            self._reload()
            progress(f"Lab PBX {self.name} reloaded (pid {self.pid()})")
            return
        subprocess.run(["chroot", str(self.dir), "asterisk", *self._conf_args], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       start_new_session=True, check=True, timeout=30, env=_CHROOT_ENV)
        self._wait_booted()
        progress(f"Lab PBX {self.name} running (pid {self.pid()}), AMI on 127.0.0.1:{self.ami_port}, "
                 f"SIP on 127.0.0.1:{self.sip_port}")

    def _reload(self) -> None:
        """Load modules newly listed in modules.conf, then reload every config."""
        loaded = {line.split()[0] for line in self.rx("module show").splitlines() if line.strip()}
        for line in (CONF_SOURCE / "modules.conf").read_text().splitlines():
            key, _, value = line.partition("=>")
            name = value.split(";")[0].strip()
            if key.strip() == "load" and name and name not in loaded:
                self.rx(f"module load {name}")
        self.rx("core reload")

    def _wait_booted(self) -> None:
        deadline = time.monotonic() + self.settings.lab.boot_timeout
        while time.monotonic() < deadline:
            try:
                if self.is_running() and "fully booted" in self.rx("core waitfullybooted", 10).lower() \
                        and _ami_banner(self.ami_port):
                    return
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
            time.sleep(0.3)
        raise LabUnavailable(f"Asterisk did not boot within {self.settings.lab.boot_timeout} s; "
                             f"see {self.path(self.log_dir + '/messages.log')}")

    def down(self) -> None:
        """Stop Asterisk; harmless when it is not running."""
        pid = self.pid()
        if pid is None:
            return
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.rx("core stop now", timeout=10)
        if not _wait_gone(pid, 10):
            os.kill(pid, 15)
            if not _wait_gone(pid, 5):
                os.kill(pid, 9)
                _wait_gone(pid, 5)

    def status(self) -> dict[str, Any]:
        pid = self.pid()
        info: dict[str, Any] = {"name": self.name, "dir": str(self.dir), "provisioned": self.is_provisioned(),
                                "ami_port": self.ami_port, "sip_port": self.sip_port,
                      "running": pid is not None, "pid": pid, "version": None, "uptime_s": None}
        if pid is not None:
            try:
                info["version"] = self.rx("core show version").split()[1]
                uptime = self.rx("core show uptime seconds")
                info["uptime_s"] = int(uptime.split("System uptime:")[1].split()[0])
            except (RuntimeError, subprocess.TimeoutExpired, IndexError, ValueError):
                pass
        return info


_CHROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}


def speak_to_wav(text: str, target: Path, voice: str = "en-us", encoding: str = "signed-integer") -> None:
    """espeak-ng text -> 8 kHz mono WAV (16-bit PCM, or mu-law for SIPp's rtp_stream)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), "--stdin"], input=text,
                       text=True, check=True, capture_output=True, timeout=60)
        bits = ["-b", "8"] if encoding == "mu-law" else ["-b", "16"]
        subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-e", encoding, *bits, str(target)],
                       check=True, capture_output=True, timeout=60)


def _ami_banner(port: int = AMI_PORT) -> bool:
    """AMI answers on its port with its greeting line."""
    try:
        with socket.create_connection((AMI_HOST, port), timeout=2) as sock:
            return sock.recv(64).startswith(b"Asterisk Call Manager")
    except OSError:
        return False


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.1)
    return False
