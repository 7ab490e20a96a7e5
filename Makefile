# renkei — the two commands are `make run` and `make test`; everything they
# need is installed from the Go module proxy and the npm registry on first use.
SHELL := /bin/bash
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
GO ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
DDB_TOOL := tools/dynamodb-local
# stripe-mock validates the Stripe adapter's requests in the tests
# (shared/stripemock looks for ./bin/stripe-mock first).
STRIPE_MOCK := github.com/stripe/stripe-mock@v0.203.0
# The Lambda functions `make build` compiles, each to build/<name>/bootstrap.
LAMBDAS := api scheduler dispatcher worker
# Packages whose code runs concurrently get the race detector in `make test`;
# ./tests/ runs the whole API in process under concurrent end-to-end load.
RACE_PKGS := ./shared/dynamo/... ./graph/... ./shared/sqslocal/... ./shared/jobqueue/... ./tests/

.PHONY: all deps console run test contract lint build synth deploy bench bench-api bench-gateway bench-start bench-integrations bench-writes bench-quota bench-console clean

all: test

## deps: install the pinned DynamoDB Local engine (npm), stripe-mock (Go proxy) and Go modules, and build the console
deps: $(DDB_TOOL)/node_modules/.package-lock.json bin/stripe-mock console
	$(GO) mod download

## console: build the merchant console (console/, npm + esbuild) into console/dist, which the local binary embeds
CONSOLE_SRC := $(shell find console/src -type f 2>/dev/null) console/build.mjs
console: console/dist/index.html

console/dist/index.html: console/node_modules/.package-lock.json $(CONSOLE_SRC)
	cd console && node build.mjs

console/node_modules/.package-lock.json: console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	@touch $@

bin/stripe-mock:
	GOBIN=$(CURDIR)/bin $(GO) install $(STRIPE_MOCK)

$(DDB_TOOL)/node_modules/.package-lock.json: $(DDB_TOOL)/package.json $(DDB_TOOL)/package-lock.json
	cd $(DDB_TOOL) && npm ci --no-audit --no-fund
	@touch $@

## run: start the whole stack locally (DynamoDB Local, embedded SQS, API on 127.0.0.1:8080)
run: deps
	RENKEI_ENV=local $(GO) run ./functions/local

## test: vet, unit + engine tests, race tests, the contract check and the CDK assertions
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race $(RACE_PKGS)
	../shared/tools/contract-check graph/schema
	cd infra && $(GO) vet ./... && $(GO) test -count=1 ./...

## contract: check the served schema against ../shared/api/contract.graphql
contract:
	../shared/tools/contract-check graph/schema

## lint: gofmt, vet and staticcheck (pinned)
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## build: the Lambda binaries (linux/arm64, provided.al2023): build/{api,scheduler,dispatcher,worker}/bootstrap
build:
	@set -e; for fn in $(LAMBDAS); do \
		echo "build/$$fn/bootstrap"; \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' -o build/$$fn/bootstrap ./functions/$$fn; \
	done

## synth: synthesize the CloudFormation template offline into infra/cdk.out
synth: build console
	cd infra && $(GO) run .

## deploy: deploy to the AWS account in your environment (needs credentials)
deploy: build console
	npx --yes aws-cdk@2 deploy --require-approval broadening

## bench: load figures against the local stack (see docs/benchmarks.md)
bench: deps bench-gateway bench-api bench-start

## bench-gateway: pricing time of the largest document, the refusal time of each hostile request, the tenant credentials provider's cost per call
bench-gateway: deps
	$(GO) test -run '^$$' -bench BenchmarkPricing -count 1 ./graph/ | grep -E '^(Benchmark|ok|FAIL)'
	$(GO) test -run '^$$' -bench BenchmarkHostileGateway -count 1 ./tests/ | grep -E '^(Benchmark|ok|FAIL)'
	$(GO) test -run '^$$' -bench BenchmarkRetrieve -count 1 ./shared/tenantcreds/ | grep -E '^(Benchmark|ok|FAIL)'

bench-api: deps build
	@for fn in $(LAMBDAS); do echo "$$fn bootstrap (linux/arm64, stripped): $$(stat -c %s build/$$fn/bootstrap) bytes"; done
	$(GO) test -run '^$$' -bench . -benchtime 400x -count 1 -timeout 30m -v ./tests/bench/ | grep -E '^(Benchmark|ok|FAIL|---|\s+api_bench|\s+start_bench|\s+busystore_bench|\s+offline_bench|\s+reports_bench|\s+integrations_bench|\s+writeunits_bench|\s+quota_bench)|start-to-ready'

## bench-integrations: the integration hub's sync lag and worker throughput alone (also part of bench-api)
bench-integrations: deps
	$(GO) test -run '^$$' -bench 'BenchmarkSyncLag|BenchmarkWorkerThroughput' -benchtime 400x -count 1 -v ./tests/bench/ | grep -E '^(Benchmark|ok|FAIL|---|\s+integrations_bench)'

## bench-writes: write units per small and maximum-size checkout (also part of bench-api)
bench-writes: deps
	$(GO) test -run '^$$' -bench 'BenchmarkWriteUnits' -benchtime 3x -count 1 -v ./tests/bench/ | grep -E '^(Benchmark|ok|FAIL|---|\s+writeunits_bench)'

## bench-quota: what the platform-wide tenant limit adds to a checkout, and its storage calls per request (also part of bench-api)
bench-quota: deps
	$(GO) test -run '^$$' -bench BenchmarkTenantLimit -benchtime 400x -count 1 -v ./tests/bench/ | grep -E '^(Benchmark|ok|FAIL|---|\s+quota_bench)'

## bench-console: the console's first load in chromium on the local stack, cold cache, median of 9: bytes transferred, first-contentful-paint, log-in form visible
bench-console: deps
	$(GO) test -run '^$$' -bench BenchmarkConsole -benchtime 9x -count 1 -v ./tests/browser/ | grep -E '^(Benchmark|ok|FAIL|---|\s+bench_test.go.*console_bench)'

## bench-start: time `make run`'s binary from exec to a healthy /healthz
bench-start: deps
	$(GO) build -o build/local ./functions/local
	@bash scripts/time-to-ready.sh build/local

clean:
	rm -rf build infra/cdk.out $(DDB_TOOL)/build
