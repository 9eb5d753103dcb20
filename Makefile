# PyAirtable: `make run` starts the platform, `make test` proves it. Everything else is a helper.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROTOS := $(shell find proto -name '*.proto' | sort)

.PHONY: run test browser web check-web gen check-gen lint fmt breaking contracts-release validate-envoy ci clean

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $@

## run: set everything up and start the whole platform (all services and Envoy)
run: $(STAMP)
	$(BIN)/pyat up

## test: set up and run the test suite
test: $(STAMP) browser
	$(BIN)/pytest

## browser: Debian's Chromium, which the web app's tests drive (Playwright's own download
## does not work on our machines)
browser:
	test -x /usr/bin/chromium || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

## web: rebuild the web app into services/web_bff/static (committed: `make run` needs no Node.js)
web:
	services/web_bff/app/build.sh

## check-web: fail when the committed web app build differs from its sources
check-web:
	services/web_bff/app/build.sh --check

## gen: regenerate gen/ (Python code, descriptor set), envoy/envoy.yaml and k8s/base/edge/ from proto/
gen: $(STAMP)
	rm -rf gen/pyat
	$(BIN)/python -m grpc_tools.protoc -Iproto -Ithird_party \
		--python_out=gen --pyi_out=gen --grpc_python_out=gen \
		--plugin=protoc-gen-mypy_grpc=$(BIN)/protoc-gen-mypy_grpc --mypy_grpc_out=gen \
		$(PROTOS)
	find gen/pyat -type d -exec touch {}/__init__.py \;
	# The set also holds google/rpc, so Envoy can print the error details of a gRPC status.
	$(BIN)/python -m grpc_tools.protoc -Iproto -Ithird_party \
		--descriptor_set_out=gen/pyat.binpb --include_imports --include_source_info \
		$(PROTOS) $(sort $(wildcard third_party/google/rpc/*.proto))
	$(BIN)/python -m services.edge.openapi --out gen/openapi.json
	$(BIN)/pyat edge-config --out envoy/envoy.yaml
	$(BIN)/pyat edge-config --k8s --out k8s/base/edge/envoy.yaml

## check-gen: fail when gen/, envoy/ or the k8s edge config is stale
check-gen: gen
	@git add -N gen envoy k8s/base/edge
	@git diff --exit-code --stat -- gen envoy k8s/base/edge || \
		(echo "generated code is stale: did you forget to run 'make gen'?" && exit 1)

## lint: buf lint and format, every method's access declared, ruff, mypy
lint: $(STAMP)
	$(BIN)/buf lint
	$(BIN)/buf format -d --exit-code
	$(BIN)/buf build proto -o $(VENV)/lint.binpb
	$(BIN)/python -m services.shared.access $(VENV)/lint.binpb
	$(BIN)/ruff check services tests benchmarks
	$(BIN)/ruff format --check services tests benchmarks
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/buf format -w
	$(BIN)/ruff format services tests benchmarks
	$(BIN)/ruff check --fix services tests benchmarks

## breaking: fail when a landed contract changed incompatibly
breaking: $(STAMP)
	$(BIN)/buf breaking proto --against proto/landed.binpb

## contracts-release: record the current contracts as landed (do it with the change that adds them)
contracts-release: $(STAMP)
	$(BIN)/buf build proto -o proto/landed.binpb

## validate-envoy: check the committed edge config with Envoy itself
validate-envoy: $(STAMP)
	$(BIN)/envoy --mode validate -c envoy/envoy.yaml --log-level warn

ci: check-gen check-web lint breaking validate-envoy test

.PHONY: bench bench-quick

## bench: the full benchmark suite (minutes); fails when a target is missed at the stated load
bench: $(STAMP) browser
	$(BIN)/python -m benchmarks.run

## bench-quick: the same suite for a few seconds per scenario (CI's smoke test; never judges times)
bench-quick: $(STAMP) browser
	$(BIN)/python -m benchmarks.run --quick

clean:
	rm -rf $(VENV) .pyat .pytest_cache .mypy_cache .ruff_cache
