# Weft - a WebAssembly host in C.  `make help` lists the targets.

CC ?= cc
WASM_CC ?= clang
PREFIX ?= /usr/local
CONFORMANCE ?= ../shared/conformance
BUILD ?= build
SANITIZE ?=

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wvla \
        -Wwrite-strings -Wno-gnu-zero-variadic-macro-arguments -Werror
# gcc (its --version names the FSF; `cc` may be gcc or clang).
IS_GCC := $(findstring Free Software Foundation,$(shell $(CC) --version \
            2>/dev/null))
ifneq ($(IS_GCC),)
WARN := $(filter-out -Wno-gnu-zero-variadic-macro-arguments,$(WARN))
endif
OPT ?= -O2 -g
CFLAGS_ALL := -std=gnu11 $(OPT) $(WARN) -fPIC -fvisibility=hidden \
              -D_GNU_SOURCE -Iinclude -Isrc $(CFLAGS) \
              -DWEFT_BUILTIN_WIT_DIR='"$(CURDIR)/wit"'
LIBS := -lsodium -ljansson -lmicrohttpd -lsqlite3 -lhiredis -lcurl -ldl \
        -lpthread -lm
# Link-time optimisation, gcc only: libweft's objects carry machine code and
# gcc's intermediate code both (fat). weft, libweft.so and the benchmarks
# link them optimised across files (libweft-lto.a; flows spend 14% less
# time per element); libweft.a, for tests, tools and embedders, is the same
# objects without the intermediate code, so that linking it never starts
# gcc's link-time optimiser with our flags. `make LTO=` turns it off. The
# files'
# warnings are errors when they are compiled; at the link, where gcc sees
# code inlined across files, its warnings are only the flow analysis'
# guesses (maybe-uninitialized and the like), so none are shown there.
ifneq ($(IS_GCC),)
ifeq ($(SANITIZE),)
LTO ?= -flto=auto -ffat-lto-objects
endif
endif
LTO_LINK := $(if $(LTO),-flto=auto $(OPT) -w)
# Everything else (tests, tools) uses the machine code: gcc would otherwise
# redo the optimisation of all of libweft at each link.
CFLAGS_ALL += $(if $(LTO),-fno-lto)
ifneq ($(SANITIZE),)
CFLAGS_ALL += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif

LIB_SRC := $(sort $(wildcard src/*/*.c))
LIB_SRC := $(filter-out src/cli/%,$(LIB_SRC))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/*_test.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)

# Guests: every tests/guests/*.c and .wat becomes a .wasm; examples below.
WASM_FLAGS := --target=wasm32-wasi --sysroot=/usr -O2 -Isdk/c/include
GUEST_SRC := $(sort $(wildcard tests/guests/*.c))
GUEST_WASM := $(GUEST_SRC:tests/guests/%.c=$(BUILD)/guests/%.wasm)
GUEST_WAT := $(sort $(wildcard tests/guests/*.wat))
GUEST_WASM += $(GUEST_WAT:tests/guests/%.wat=$(BUILD)/guests/%.wasm)

.PHONY: all help deps up test asan conformance bench install clean fuzz \
        guests unit examples
all: $(BUILD)/weft $(BUILD)/libweft.so $(UNIT_BIN) $(TOOL_BIN) \
     $(BUILD)/examples/embed

help:
	@echo "make            build libweft and the weft command into $(BUILD)/"
	@echo "make up         install what is missing, build, run the hello example"
	@echo "make test       install what is missing, build, run every test"
	@echo "make asan       the whole suite under ASan and UBSan"
	@echo "make conformance  the full WebAssembly spec suite (slow)"
	@echo "make bench      benchmarks with ratios against native"
	@echo "make install PREFIX=/usr/local"
	@echo "variables: CONFORMANCE=$(CONFORMANCE) CC=$(CC) SANITIZE="

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LTO) -MMD -MP -c $< -o $@

ifneq ($(LTO),)
LIB_LTO := $(BUILD)/libweft-lto.a
$(LIB_LTO): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libweft.a: $(LIB_LTO)
	objcopy -R '.gnu.lto_*' -R '.gnu.debuglto_*' $< $@
else
LIB_LTO := $(BUILD)/libweft.a
$(BUILD)/libweft.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
endif

$(BUILD)/libweft.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LTO_LINK) $(LDFLAGS) $(LIBS)

$(BUILD)/weft: $(CLI_OBJ) $(LIB_LTO)
	$(CC) -o $@ $(CLI_OBJ) $(LIB_LTO) $(LTO_LINK) $(LDFLAGS) $(LIBS) -rdynamic

$(BUILD)/tests/%_test: tests/unit/%_test.c $(BUILD)/libweft.a \
                       $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Wno-unused-parameter -o $@ $< $(BUILD)/libweft.a \
	  $(LDFLAGS) $(LIBS) -lcmocka

$(BUILD)/tests/%: tests/tools/%.c $(BUILD)/libweft.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libweft.a $(LDFLAGS) $(LIBS)

$(BUILD)/examples/embed: examples/embed/embed.c $(BUILD)/libweft.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libweft.a $(LDFLAGS) $(LIBS)

# A guest built with `weft bindgen c` glue (before the pattern rule it
# would otherwise match): tests/guests/echo.c implements
# tests/guests/wit/echo.wit with freshly generated bindings. The examples
# use the shipped ones in sdk/c; `make sdk` regenerates sdk/c.
ECHO_BIND := $(BUILD)/guests/bindings/echo
$(BUILD)/guests/echo.wasm: tests/guests/echo.c tests/guests/wit/echo.wit \
                           $(BUILD)/weft
	@mkdir -p $(dir $@)
	$(BUILD)/weft bindgen c tests/guests/wit/echo.wit -o $(ECHO_BIND)
	$(WASM_CC) $(WASM_FLAGS) -mexec-model=reactor -I$(ECHO_BIND) -o $@ \
	  $< $(ECHO_BIND)/echo.c

# Examples: examples/NAME/NAME.c becomes examples/NAME/NAME.wasm, beside
# the spin.toml that names it, linked with the sdk/c glue of its world
# (world_NAME). examples/wasi-hello is a plain WASI command.
EXAMPLES := hello kv-counter timer redis-echo
world_hello := http_trigger
world_kv-counter := http_trigger
world_timer := spin_timer
world_redis-echo := redis_trigger
define example_rule
examples/$1/$1.wasm: examples/$1/$1.c sdk/c/src/$2.c sdk/c/include/$2.h
	$$(WASM_CC) $$(WASM_FLAGS) -mexec-model=reactor -o $$@ $$< sdk/c/src/$2.c
endef
$(foreach e,$(EXAMPLES),$(eval $(call example_rule,$e,$(world_$e))))
EXAMPLE_WASM := $(foreach e,$(EXAMPLES),$(if $(wildcard examples/$e/$e.c),\
                  examples/$e/$e.wasm)) \
                examples/wasi-hello/wasi-hello.wasm

examples/wasi-hello/wasi-hello.wasm: examples/wasi-hello/wasi-hello.c
	$(WASM_CC) $(WASM_FLAGS) -o $@ $<

# Test guests of Spin's worlds: tests/guests/{http,redis,timer}_*.c are
# components linked with that world's glue.
$(BUILD)/guests/http_%.wasm: tests/guests/http_%.c sdk/c/src/http_trigger.c
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_FLAGS) -mexec-model=reactor -o $@ $< \
	  sdk/c/src/http_trigger.c
$(BUILD)/guests/redis_%.wasm: tests/guests/redis_%.c sdk/c/src/redis_trigger.c
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_FLAGS) -mexec-model=reactor -o $@ $< \
	  sdk/c/src/redis_trigger.c
$(BUILD)/guests/timer_%.wasm: tests/guests/timer_%.c sdk/c/src/spin_timer.c
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_FLAGS) -mexec-model=reactor -o $@ $< \
	  sdk/c/src/spin_timer.c

# Flow stage guests: tests/guests/ROLE_*.c is a component of ROLE's world
# (wit/torvyn), linked with that world's glue from sdk/c.
define stage_rule
$$(BUILD)/guests/$1_%.wasm: tests/guests/$1_%.c sdk/c/src/$1_stage.c \
                            sdk/c/include/weft_json.h
	@mkdir -p $$(dir $$@)
	$$(WASM_CC) $$(WASM_FLAGS) -mexec-model=reactor -o $$@ $$< \
	  sdk/c/src/$1_stage.c
endef
$(foreach r,source processor filter router aggregator sink,\
  $(eval $(call stage_rule,$r)))

# ---- flows (#6): flow examples ----
# examples/flow-*/NAME.c becomes NAME.wasm beside the Torvyn.toml that
# names it, linked with the sdk/c glue of its role's world (flow_world_*),
# and rebuilt when weft_json.h, the guests' JSON parser, changes.
FLOW_EXAMPLES := flow-basic/lines:source flow-basic/upper:processor \
  flow-basic/print:sink flow-rate-limit/events:source \
  flow-rate-limit/rate_limit:filter flow-router/numbers:source \
  flow-router/classify:router flow-router/sum:aggregator
define flow_example_rule
examples/$1.wasm: examples/$1.c sdk/c/src/$2_stage.c sdk/c/include/$2_stage.h \
                  sdk/c/include/weft_json.h
	$$(WASM_CC) $$(WASM_FLAGS) -mexec-model=reactor -o $$@ $$< \
	  sdk/c/src/$2_stage.c
endef
$(foreach e,$(FLOW_EXAMPLES),\
  $(eval $(call flow_example_rule,$(word 1,$(subst :, ,$e)),$(word 2,$(subst :, ,$e)))))
FLOW_EXAMPLE_WASM := $(foreach e,$(FLOW_EXAMPLES),\
  examples/$(word 1,$(subst :, ,$e)).wasm)
guests: $(FLOW_EXAMPLE_WASM)
# The flow tests and benchmarks run flow-basic's processor as
# build/guests/processor_upper.wasm.
$(BUILD)/guests/processor_upper.wasm: examples/flow-basic/upper.wasm
	@mkdir -p $(dir $@)
	cp $< $@
guests: $(BUILD)/guests/processor_upper.wasm
# ---- end flows ----

# ---- units (#7): unit guests and examples ----
# examples/unit-NAME/unit-NAME.c and tests/guests/unit_*.c are components
# of world weft:unit/unit (wit/unit), linked with its glue sdk/c/src/unit.c.
UNIT_EXAMPLES := unit-counter unit-escrow
UNIT_EXAMPLE_WASM := $(foreach e,$(UNIT_EXAMPLES),$(if $(wildcard \
                       examples/$e/$e.c),examples/$e/$e.wasm))
examples/unit-%.wasm: examples/unit-%.c sdk/c/src/unit.c sdk/c/include/unit.h
	$(WASM_CC) $(WASM_FLAGS) -mexec-model=reactor -o $@ $< sdk/c/src/unit.c
$(BUILD)/guests/unit_%.wasm: tests/guests/unit_%.c sdk/c/src/unit.c \
                             sdk/c/include/unit.h
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_FLAGS) -mexec-model=reactor -o $@ $< sdk/c/src/unit.c
guests: $(UNIT_EXAMPLE_WASM)
# The fuzz targets of the schema and policy parsers (tests/fuzz/fuzz_unit_*)
# need only these (see the fuzzing section).
FUZZ_SRC_unit_parse := src/unit/schema.c src/unit/policy.c src/unit/value.c \
                       src/unit/admit.c src/unit/key.c src/toml/toml.c \
                       src/toml/toml_tree.c src/util/arena.c src/util/buf.c \
                       src/util/error.c src/util/file.c src/util/parse.c \
                       src/util/utf8.c
FUZZ_SRC_unit_schema := $(FUZZ_SRC_unit_parse)
FUZZ_SRC_unit_policy := $(FUZZ_SRC_unit_parse)
# ---- end units ----

.PHONY: sdk
sdk: $(BUILD)/weft
	sh sdk/c/generate.sh $(BUILD)/weft sdk/c

$(BUILD)/guests/%.wasm: tests/guests/%.c
	@mkdir -p $(dir $@)
	$(WASM_CC) $(WASM_FLAGS) -o $@ $<

$(BUILD)/guests/%.wasm: tests/guests/%.wat
	@mkdir -p $(dir $@)
	wat2wasm --enable-all $< -o $@

guests: $(GUEST_WASM) $(EXAMPLE_WASM) trigger-examples

LISTEN ?= 127.0.0.1:3000
up: deps all guests
	$(BUILD)/weft up -f examples/hello --listen $(LISTEN)

test: deps
	@$(MAKE) --no-print-directory all guests
	@CONFORMANCE=$(CONFORMANCE) BUILD=$(BUILD) sh tests/run.sh

asan:
	@$(MAKE) --no-print-directory test BUILD=build-asan OPT="-O1 -g" \
	  SANITIZE=address,undefined

conformance: all
	@CONFORMANCE=$(CONFORMANCE) BUILD=$(BUILD) WEFT_SPEC_ALL=1 \
	  sh tests/conformance/spec.sh

bench: deps all guests
	@BUILD=$(BUILD) LTO_LINK="$(LTO_LINK)" sh bench/run.sh

# `make install PREFIX=... [DESTDIR=...]`: the weft command; libweft as a
# static library and as a shared one with soname libweft.so.MAJOR; weft.h;
# weft.pc for pkg-config (from weft.pc.in: Libs.private is LIBS, so the two
# cannot drift apart); and in share/weft, the WIT files (wit/, copied with
# cp -a so the deps symlinks still resolve) and the C guest SDK (sdk/c). An
# installed weft, or a program linked with the installed libweft.so, finds
# share/weft/wit from where it runs (wit_dir in src/trigger/app.c).
VERSION := $(shell sed -n 's/^\#define WEFT_VERSION_STRING "\(.*\)"$$/\1/p' \
             include/weft.h)
SOVERSION := $(firstword $(subst ., ,$(VERSION)))
DEST := $(DESTDIR)$(PREFIX)

$(BUILD)/libweft.so.$(VERSION): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libweft.so.$(SOVERSION) -o $@ $^ $(LTO_LINK) \
	  $(LDFLAGS) $(LIBS)

install: all $(BUILD)/libweft.so.$(VERSION)
	install -d $(DEST)/bin $(DEST)/lib/pkgconfig $(DEST)/include \
	  $(DEST)/share/weft/sdk/c
	install -m 755 $(BUILD)/weft $(DEST)/bin/weft
	install -m 644 $(BUILD)/libweft.a $(DEST)/lib/libweft.a
	install -m 755 $(BUILD)/libweft.so.$(VERSION) $(DEST)/lib/
	ln -sf libweft.so.$(VERSION) $(DEST)/lib/libweft.so.$(SOVERSION)
	ln -sf libweft.so.$(SOVERSION) $(DEST)/lib/libweft.so
	install -m 644 include/weft.h $(DEST)/include/weft.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	  -e 's|@LIBS@|$(LIBS)|' \
	  -e 's|@SANITIZE@|$(if $(SANITIZE), -fsanitize=$(SANITIZE))|' \
	  weft.pc.in >$(DEST)/lib/pkgconfig/weft.pc
	chmod 644 $(DEST)/lib/pkgconfig/weft.pc
	rm -rf $(DEST)/share/weft/wit $(DEST)/share/weft/sdk/c/include \
	  $(DEST)/share/weft/sdk/c/src
	cp -a wit $(DEST)/share/weft/wit
	cp -a sdk/c/include sdk/c/src sdk/c/README.md $(DEST)/share/weft/sdk/c/

# The examples of the trigger API (examples/trigger-*/, examples/embed-app/)
# built against this tree's libweft, with their guests: `make
# trigger-examples`. tests/e2e/t5100-trigger-api.sh builds them against an
# installed libweft instead, with pkg-config, as their READMEs say.
TRIGGER_EXAMPLES := $(BUILD)/examples/weft-trigger-ticker \
  $(BUILD)/examples/weft-trigger-socket $(BUILD)/examples/embed-app \
  examples/trigger-ticker/ticker-guest.wasm \
  examples/trigger-socket/socket-guest.wasm
.PHONY: trigger-examples
trigger-examples: $(TRIGGER_EXAMPLES)

# $1: the trigger type; $2: the C file of its world's bindings.
define trigger_example_rule
$$(BUILD)/examples/weft-trigger-$1: examples/trigger-$1/weft-trigger-$1.c \
                                    $$(BUILD)/libweft.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ALL) -o $$@ $$< $$(BUILD)/libweft.a $$(LDFLAGS) $$(LIBS)
examples/trigger-$1/$1-guest.wasm: examples/trigger-$1/$1-guest.c \
                                   examples/trigger-$1/$1.wit $$(BUILD)/weft
	$$(BUILD)/weft bindgen c examples/trigger-$1/$1.wit \
	  -o $$(BUILD)/examples/bindings/$1
	$$(WASM_CC) $$(WASM_FLAGS) -mexec-model=reactor \
	  -I$$(BUILD)/examples/bindings/$1 -o $$@ $$< \
	  $$(BUILD)/examples/bindings/$1/$2.c
endef
$(eval $(call trigger_example_rule,ticker,ticker))
$(eval $(call trigger_example_rule,socket,socket_line))

$(BUILD)/examples/embed-app: examples/embed-app/embed-app.c $(BUILD)/libweft.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libweft.a $(LDFLAGS) $(LIBS)

clean:
	rm -rf build build-asan examples/*/*.wasm

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# ---- fuzzing ----------------------------------------------------------------
# `make fuzz` builds every tests/fuzz/fuzz_<name>.c as a libFuzzer target in
# $(BUILD)/fuzz/ and runs each for FUZZ_TIME seconds over its committed seeds
# in tests/fuzz/corpus/<name>/ (new inputs go to $(BUILD)/fuzz/corpus-<name>/,
# crashes to $(BUILD)/fuzz/), with tests/fuzz/<name>.dict as dictionary if it
# exists. The library sources a target needs are compiled straight into it;
# FUZZ_SRC_<name> lists them (default: all of libweft).
FUZZ_CC ?= clang
FUZZ_TIME ?= 20
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all -fno-omit-frame-pointer \
               -D_GNU_SOURCE -Iinclude -Isrc
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SRC_reader := src/engine/reader.c src/util/buf.c src/util/error.c \
                   src/util/utf8.c
FUZZ_SRC_flow := src/flow/flow_file.c src/flow/flow_graph.c \
                 src/flow/flow_role.c src/toml/toml.c src/toml/toml_tree.c \
                 src/util/arena.c src/util/buf.c src/util/error.c \
                 src/util/file.c src/util/parse.c src/util/utf8.c

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC) $(wildcard src/*/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< \
	  $(or $(FUZZ_SRC_$*),$(LIB_SRC)) $(LIBS)

fuzz: $(FUZZ_BIN)
	@set -e; for bin in $(FUZZ_BIN); do \
	  name=$${bin##*/fuzz_}; \
	  mkdir -p $(BUILD)/fuzz/corpus-$$name tests/fuzz/corpus/$$name; \
	  echo "fuzz $$name for $(FUZZ_TIME)s"; \
	  dict=; [ ! -f tests/fuzz/$$name.dict ] || \
	    dict=-dict=tests/fuzz/$$name.dict; \
	  $$bin -max_total_time=$(FUZZ_TIME) -print_final_stats=1 $$dict \
	    -artifact_prefix=$(BUILD)/fuzz/$$name- \
	    $(BUILD)/fuzz/corpus-$$name tests/fuzz/corpus/$$name; \
	done
