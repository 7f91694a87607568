# make run  - install everything, start the lab PBX and all services
# make test - install everything, lint (ruff) and type-check (mypy), run the whole test suite (what CI runs)
# make soak - the load and fault suite (10 minutes of calls, then faults; not in make test)
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages: the lab PBX (debootstrap), real SIP calls (sip-tester),
# prompt and caller audio (sox, espeak-ng), sound devices (libportaudio2,
# alsa-utils), the browser the UI tests drive (chromium) and a CJK font so
# its screenshots show Chinese (fonts-wqy-microhei).
APT_PACKAGES := debootstrap sip-tester sox espeak-ng libportaudio2 alsa-utils chromium fonts-wqy-microhei dovecot-imapd
STAMP := $(VENV)/.installed

# Charts for the wallboard and reports: Apache ECharts, served from our own
# static folder (no CDN), fetched once from the npm registry.
ECHARTS_VERSION := 6.1.0
ECHARTS := web/static/vendor/echarts.min.js
# The desk's softphone: JsSIP (SIP over WebSocket, WebRTC), from the npm
# registry.  Its package ships no browser bundle, so esbuild makes one.
JSSIP_VERSION := 3.13.8
ESBUILD_VERSION := 0.25.12
JSSIP := web/static/vendor/jssip.min.js

.PHONY: run test check bench soak deps system-deps translations clean

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing -- install them as root (apt-get install$$missing)"; \
	    [ "$$CI" != "true" ] || exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

translations: $(STAMP)
	@$(BIN)/pybabel compile -q -d web/translations 2>/dev/null || $(BIN)/pybabel compile -d web/translations

$(ECHARTS):
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq npm >/dev/null; }
	@tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent echarts@$(ECHARTS_VERSION) >/dev/null && \
	  tar -xzf echarts-$(ECHARTS_VERSION).tgz package/dist/echarts.min.js package/LICENSE && \
	  mkdir -p $(CURDIR)/web/static/vendor && cp package/dist/echarts.min.js $(CURDIR)/$(ECHARTS) && \
	  cp package/LICENSE $(CURDIR)/web/static/vendor/ECHARTS-LICENSE && rm -rf $$tmp

$(JSSIP):
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq npm >/dev/null; }
	@tmp=$$(mktemp -d) && cd $$tmp && echo "module.exports = require('jssip');" > entry.js && \
	  npm install --silent --no-audit --no-fund jssip@$(JSSIP_VERSION) esbuild@$(ESBUILD_VERSION) >/dev/null && \
	  ./node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --global-name=JsSIP \
	    --log-level=warning --outfile=jssip.min.js && \
	  mkdir -p $(CURDIR)/web/static/vendor && cp jssip.min.js $(CURDIR)/$(JSSIP) && \
	  cp node_modules/jssip/LICENSE.md $(CURDIR)/web/static/vendor/JSSIP-LICENSE.md && rm -rf $$tmp

deps: system-deps $(STAMP) translations $(ECHARTS) $(JSSIP)

run: deps
	$(BIN)/callcenter run

# ruff and mypy are configured in pyproject.toml; a new lint or type error fails the run.
check: deps
	$(BIN)/ruff check .
	$(BIN)/mypy

# Two workers, one per core: every test on the lab PBX runs on one of them (tests/conftest.py puts
# them in one xdist group), the rest share the other as they come.
PYTEST_WORKERS ?= 2
test: check
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

bench: deps
	@set -e; for f in bench/*.py; do [ -e "$$f" ] || continue; echo "== $$f"; $(BIN)/python $$f --quick; done

# SOAK_ARGS e.g. "--minutes 2 --rate 2 --faults bridge" (see tests/soak/run.py --help).
soak: deps
	$(BIN)/python -m tests.soak.run $(SOAK_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
