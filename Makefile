# Glas: the two commands of the quick start are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8080
# The organizer app listens on the next port unless told otherwise (make run PORT=9000: 9001).
ORGANIZER_PORT ?= $(shell echo $$(( $(PORT) + 1 )))
# Debian packages the tests and later features need (tor: onion services; browsers: UI tests).
DEB_PACKAGES := python3-venv tor chromium firefox-esr postgresql

.PHONY: install bytecode system-packages run check test coverage lint clean translations assets wheel reviewer-kit tree-is-clean

install: system-packages $(STAMP) assets

system-packages:
	@bash deploy/install-debian-packages.sh $(DEB_PACKAGES)

# Reinstall the Python side only when the dependency list changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[server,dev]'
	@touch $(STAMP)

# The browser's libsodium: one file from the two UMD builds (two <script>s, or the ESM build,
# break the pure-JavaScript fallback that Tor Browser "Safer" needs), plus a .gz to serve.
# Built from the pinned package-lock.json, never committed. The wheel carries it: no Node needed.
SODIUM := portal/static/js/vendor/sodium.js
SODIUM_PARTS := node_modules/libsodium/dist/modules/libsodium.js \
	node_modules/libsodium-wrappers/dist/modules/libsodium-wrappers.js
# The "sumo" build adds Argon2id, which reading replies needs; only that page loads it.
SODIUM_SUMO := portal/static/js/vendor/sodium-sumo.js
SODIUM_SUMO_PARTS := node_modules/libsodium-sumo/dist/modules-sumo/libsodium-sumo.js \
	node_modules/libsodium-wrappers-sumo/dist/modules-sumo/libsodium-wrappers.js

# npm writes this file on every install: node_modules is up to date when it is newer than the
# lock (and axe-core, which the accessibility tests inject, is there too).
NODE_STAMP := node_modules/.package-lock.json

assets: $(NODE_STAMP) $(SODIUM) $(SODIUM_SUMO)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || bash deploy/install-debian-packages.sh nodejs npm
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "!! npm is missing: pages will not encrypt in the browser (the server seals)." >&2; fi

# $(call bundle,PARTS): concatenate the UMD builds into $@ and gzip it; without npm, warn.
define bundle
	@if [ ! -d node_modules/libsodium ]; then \
		echo "!! npm is missing: pages will not encrypt in the browser (the server seals)." >&2; \
	else \
		mkdir -p $(dir $@) && \
		{ echo "/* libsodium.js and libsodium-wrappers.js (ISC licence), concatenated by make. */"; \
		  for part in $(1); do cat $$part; echo; done; } > $@.partial && \
		mv $@.partial $@ && gzip -9 -n -k -f $@; \
	fi
endef

$(SODIUM): $(NODE_STAMP)
	$(call bundle,$(SODIUM_PARTS))

$(SODIUM_SUMO): $(NODE_STAMP)
	$(call bundle,$(SODIUM_SUMO_PARTS))

wheel: assets
	$(BIN)/pip wheel --quiet --no-deps --wheel-dir dist .

# A folder for the reviewer's offline laptop: wheels for Python 3.11 (Debian 12, Tails), an
# install script that needs only python3, and a one-page README. See deploy/reviewer-kit/.
reviewer-kit: install
	bash deploy/reviewer-kit/build.sh dist/reviewer-kit

TRANSLATIONS := portal/translations
CATALOGS := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

install: $(COMPILED)

# Compiled catalogs are built, never committed.
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS) -l $* 2>&1 | tail -1

# After changing interface text: extract it, merge it into every catalog, then translate.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k N_plural:1,2 -k _l --no-location \
		--project Glas -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching

run: install
	@echo "Starting Glas. Data lives in $${GLAS_DATA_DIR:-./instance}."
	@if command -v tor >/dev/null || [ -x /usr/sbin/tor ]; then \
		exec $(BIN)/glas serve --port $(PORT) --organizer-port $(ORGANIZER_PORT); \
	else \
		echo "!! tor is not installed: serving on 127.0.0.1 ONLY, not as an onion service." >&2; \
		echo "!! Install it (sudo apt-get install tor) and run make run again." >&2; \
		exec $(BIN)/glas serve --local-only --port $(PORT) --organizer-port $(ORGANIZER_PORT); \
	fi

# Two speeds (README, "Tests"). `make check`: every test that starts no server process,
# browser, tor or PostgreSQL server, in under three minutes, after each change. `make test`: everything, on SQLite (the
# single-machine default), then again on PostgreSQL for the tests marked both_databases (a
# throwaway cluster the tests start as an unprivileged user, on a Unix socket only:
# tests/postgres.py). Tests run on parallel workers; those marked serial measure time against a
# budget and run alone afterwards, so no other test's load can decide their outcome.
WORKERS ?= 2
PYTEST := $(BIN)/pytest -n $(WORKERS) --dist loadgroup
QUICK := not slow and not browser and not tor and not postgres_server
# pytest exits 5 when a marker selects nothing: that is not a failure here.
none_is_fine := || [ $$? -eq 5 ]

# Our own modules byte-compiled once, before the tests start hundreds of processes (servers,
# commands) that import them: where PYTHONDONTWRITEBYTECODE is set, as on our build machines,
# each of them would otherwise compile every module again (~0.5 s of CPU a process).
bytecode: install
	@$(BIN)/python -m compileall -q $(COVERED)

# No serial test is quick (tests/conftest.py refuses one): check needs no second pass.
check: bytecode
	GLAS_QUICK_FUZZ=1 $(PYTEST) -m "$(QUICK)"

test: bytecode
	$(PYTEST) -m "not serial"
	$(BIN)/pytest -m serial $(none_is_fine)
	GLAS_TEST_DATABASE=postgresql $(PYTEST) -m "both_databases and not serial"
	GLAS_TEST_DATABASE=postgresql $(BIN)/pytest -m "both_databases and serial" $(none_is_fine)

# Line and branch coverage per package, over the SQLite pass of make test (code that runs only
# inside a `glas serve` or `glas` subprocess is not counted: coverage follows the test processes).
COVERED := portal crypto surveys reviewer glas onion
coverage: bytecode
	$(PYTEST) -m "not serial" --cov-branch $(foreach p,$(COVERED),--cov=$(p)) \
		--cov-report=json:.coverage.json --cov-report=
	$(BIN)/python .ci/coverage_by_package.py .coverage.json $(COVERED)

lint: install
	@# Fails on known vulnerabilities in the browser's libsodium. npm's audit service, like
	@# PyPI's, is unreachable from our build machines: then it says so and goes on.
	@out=$$(npm audit --omit=dev 2>&1); status=$$?; \
	if [ $$status -eq 0 ]; then echo "npm audit: $$(echo "$$out" | tail -1)"; \
	elif echo "$$out" | grep -q "audit endpoint returned an error"; then \
		echo "npm audit: the registry's audit service could not be reached; nothing audited"; \
	else echo "$$out"; exit 1; fi
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@# Fails on known vulnerabilities. Where PyPI's vulnerability API is unreachable (as on our
	@# build machines, which reach only the package index) pip-audit skips every package and
	@# still prints "No known vulnerabilities found": count what it really audited, and say so.
	$(BIN)/pip-audit --skip-editable --progress-spinner off > .pip-audit.log 2>&1 \
		|| { cat .pip-audit.log; exit 1; }
	@skipped=$$(grep -c "could not be audited" .pip-audit.log || true); \
	total=$$($(BIN)/pip list --format=freeze --exclude-editable 2>/dev/null | wc -l); \
	if [ "$$skipped" -ge "$$total" ]; then \
		echo "pip-audit: PyPI's vulnerability service could not be reached; nothing audited ($$skipped packages skipped)"; \
	elif [ "$$skipped" -gt 0 ]; then \
		echo "pip-audit: $$(head -1 .pip-audit.log) in $$((total - skipped)) packages; $$skipped could not be audited"; \
	else echo "pip-audit: $$(head -1 .pip-audit.log) ($$total packages)"; fi

# CI, on a clean clone: building and testing must leave the tree exactly as it was checked out
# (an untracked or changed file means something is missing from .gitignore or was committed
# by mistake, like the node_modules link of one machine).
tree-is-clean:
	@changed=$$(git status --porcelain); if [ -n "$$changed" ]; then \
		echo "The working tree changed:"; echo "$$changed"; exit 1; fi

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
