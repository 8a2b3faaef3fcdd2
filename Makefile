# Access Portal — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint fmt bench install migrate clean schema oidc-provider

# Install once; again only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq python3-venv; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Starting the Atlassian simulator, the portal, a Celery worker and beat (Ctrl-C stops all)..."
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --procfile Procfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The SSO browser test's OpenID Connect provider (npm's oidc-provider, run by Node.js).
# Installed from the committed package-lock.json; without Node.js those tests are skipped.
OIDC_PROVIDER := tests/oidc_provider
oidc-provider:
	@if ! command -v npm >/dev/null; then \
	  echo "Node.js/npm not found: the SSO browser tests will be skipped"; \
	elif [ ! -f $(OIDC_PROVIDER)/node_modules/.installed-stamp ] || \
	     [ $(OIDC_PROVIDER)/package-lock.json -nt $(OIDC_PROVIDER)/node_modules/.installed-stamp ]; then \
	  cd $(OIDC_PROVIDER) && npm ci --no-audit --no-fund && touch node_modules/.installed-stamp; \
	fi

test: lint oidc-provider
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m benchmarks

schema: install
	$(BIN)/python manage.py spectacular --file docs/openapi.yaml --validate

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
