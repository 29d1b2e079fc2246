.PHONY: help demo test build bench
help: ## this list
	@grep -E '^[a-z]+:.*##' Makefile | sed 's/:.*## /\t/'
demo: ## build and serve the Pingcheng demo (SQLite in ./data)
	go run ./cmd/xiuhua demo
test: ## the whole test suite (what CI runs)
	scripts/test
build: ## the binary
	CGO_ENABLED=0 go build -o xiuhua ./cmd/xiuhua
bench: ## benchmarks (set XIUHUA_TEST_POSTGRES for PostgreSQL)
	go test -run '^$$' -bench . -benchtime 2s ./internal/...
