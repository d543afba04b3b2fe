# Xiuhua — field sensors to office alerts. See README.md.
GO        ?= go
BIN       := bin
CMDS      := xiuhua-agent xiuhua-collector xiuhua-sim xiuhuactl
LDFLAGS   := -s -w
HTTP      ?= 127.0.0.1:8080

.PHONY: all build demo test vet fmt-check bench microbench fuzz soak clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/xiuhua-agent ./agent/cmd/xiuhua-agent
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/xiuhua-collector ./cloud/cmd/xiuhua-collector
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/xiuhua-sim ./simulator/cmd/xiuhua-sim
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/xiuhuactl ./configs/cmd/xiuhuactl

# The main job on embedded defaults: embedded broker, embedded store,
# four dust sites, a river gauge in a compressed typhoon and a lift with a
# trapped passenger, each through the real agent. Ctrl-C stops it.
demo: build
	$(BIN)/xiuhua-sim demo --http $(HTTP)

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Every test, with the race detector.
test: vet fmt-check
	$(GO) test -race -count=1 -timeout 20m ./...

# The long power-cut runs: 1000 SIGKILLs of the agent (and 200 through a
# private Mosquitto), with collector kills and broker restarts between.
soak:
	XIUHUA_KILLS=1000 $(GO) test -count=1 -timeout 4h -run 'PowerCuts' -v ./simulator/e2e/

# One table of figures against their limits or peers, measured in the same
# run (see simulator/bench). Package micro-benchmarks: make microbench.
bench: build
	$(BIN)/xiuhua-sim bench | tee bench.out

microbench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./...

# A short run of every fuzz target (go test -fuzz takes one at a time).
FUZZTIME ?= 20s
fuzz:
	@$(GO) list ./... | while read p; do \
	  for f in $$($(GO) test -list '^Fuzz' $$p | grep '^Fuzz'); do \
	    echo "== $$p $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
	  done; done

clean:
	rm -rf $(BIN) bench.out
