#!/bin/sh
# quickstart.sh: build and run preforkd, or build and test it, on a fresh
# Debian 12 machine.  Run it as root or with sudo, from the source tree.
#
#   contrib/quickstart.sh run    install missing build dependencies, build,
#                                and start preforkd in the foreground on the
#                                built-in defaults: 127.0.0.1:9090, service
#                                incr, 4 workers (try: nc 127.0.0.1 9090)
#   contrib/quickstart.sh test   install missing dependencies, then build and
#                                run the whole test suite: with -Werror (and
#                                the fault-injection suite, check-stress,
#                                both again with worker_connections = 16),
#                                with ASan+UBSan, the libFuzzer harnesses
#                                (60 s each, FUZZ_SECONDS), make distcheck;
#                                ends with one line "N passed, N failed, ..."
#
# Builds go to build/<flavour>/ (out of tree); the source tree stays clean.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

BUILD_DEPS="build-essential autoconf automake pkg-config libbsd-dev libconfuse-dev"
RUN_DEPS="netcat-openbsd"
TEST_DEPS="check python3 python3-prometheus-client libsystemd-dev mandoc xz-utils logrotate systemd clang libclang-rt-dev valgrind"

say() { printf '\n== %s\n' "$*"; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else echo "quickstart: need root to run: $*" >&2; exit 1
	fi
}

# Install the Debian packages of $* that are missing (only those).
deps() {
	missing=
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing:$missing"
	as_root apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $missing
}

# build FLAVOUR [configure options...]: configure once, then make.
build() {
	flavour=$1; shift
	if [ -f "$top/config.status" ]; then
		echo "quickstart: the source tree is configured in place; run" \
		    "'make distclean' there first (builds go to build/)" >&2
		exit 1
	fi
	[ -x "$top/configure" ] || (say "autogen"; ./autogen.sh)
	mkdir -p "build/$flavour"
	if [ ! -f "build/$flavour/config.status" ]; then
		say "configure ($flavour): $*"
		(cd "build/$flavour" && "$top/configure" -q "$@")
	fi
	say "make ($flavour)"
	make -s -C "build/$flavour" -j"$jobs"
}

# Print the end of the log of every failed test among the given logs.
show_failed() {
	for f in "$@"; do
		case $f in *test-suite.log) continue;; esac
		grep -q "^:test-result: \(FAIL\|ERROR\)" "${f%.log}.trs" \
		    2>/dev/null || continue
		echo "---- $f"; tail -n 60 "$f"
	done
}

# Count the results of the automake harness in build/$1/tests.
count() {
	for r in PASS FAIL ERROR SKIP XFAIL XPASS; do
		n=$(cat "build/$1"/tests/*.trs "build/$1"/tests/*/*.trs \
		    2>/dev/null | grep -c "^:test-result: $r" || true)
		eval "n_$r=\$((\${n_$r:-0} + n))"
	done
}

run_suite() {
	flavour=$1; shift
	build "$flavour" "$@"
	say "make check ($flavour)"
	if make -C "build/$flavour" -j"$jobs" check; then :; else
		status=1
		show_failed "build/$flavour"/tests/*/*.log
	fi
	count "$flavour"
}

case "${1:-}" in
run)
	deps $BUILD_DEPS $RUN_DEPS
	build default
	say "starting preforkd in the foreground (Ctrl-C stops it)"
	echo "configuration: etc/preforkd.conf (with this build's paths), every option at its default"
	echo "try, from another terminal:  nc 127.0.0.1 9090"
	exec build/default/src/preforkd -f -c build/default/etc/preforkd.conf
	;;
test)
	deps $BUILD_DEPS $TEST_DEPS
	status=0
	run_suite werror --enable-werror --enable-unit-tests
	say "make check-stress (werror): fault injection under load"
	if make -C build/werror/tests check-stress; then :; else
		status=1
		show_failed build/werror/tests/stress/*.log
	fi
	n_PASS=0 n_FAIL=0 n_ERROR=0 n_SKIP=0 n_XFAIL=0 n_XPASS=0
	count werror
	# Again with multiplexing workers: every test configuration of a
	# service that may be multiplexed gets worker_connections = 16.
	say "make check + check-stress (werror), worker_connections = 16"
	if PFD_WORKER_CONNECTIONS=16 make -C build/werror -j"$jobs" check &&
	    PFD_WORKER_CONNECTIONS=16 make -C build/werror/tests check-stress
	then :; else
		status=1
		show_failed build/werror/tests/*/*.log
	fi
	count werror
	run_suite sanitizers --enable-werror --enable-unit-tests \
	    --enable-sanitizers
	say "fuzzing (libFuzzer, ${FUZZ_SECONDS:-60} s per harness)"
	for t in conf parse incr notify; do
		if make -s -C build/werror/tests fuzz FUZZ_TARGETS=$t \
		    FUZZ_SECONDS="${FUZZ_SECONDS:-60}"; then
			n_PASS=$((n_PASS + 1))
		else
			n_FAIL=$((n_FAIL + 1)); status=1
		fi
	done
	say "make distcheck"
	if make -C build/werror distcheck >build/distcheck.log 2>&1; then
		n_PASS=$((n_PASS + 1))
		echo "distcheck: PASS"
	else
		n_FAIL=$((n_FAIL + 1)); status=1
		tail -n 80 build/distcheck.log
		# distcheck leaves its tree behind on failure: show why.
		show_failed build/werror/preforkd-*/_build/sub/tests/*/*.log
		echo "distcheck: FAIL (build/distcheck.log)"
	fi
	failed=$((n_FAIL + n_ERROR + n_XPASS))
	[ "$failed" -eq 0 ] || status=1
	echo "$n_PASS passed, $failed failed, $n_SKIP skipped"
	exit $status
	;;
*)
	echo "usage: $0 run|test" >&2
	exit 64
	;;
esac
