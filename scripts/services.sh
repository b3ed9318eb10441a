#!/usr/bin/env bash
# Local MinIO, Elasticsearch and PostgreSQL for the `live` tests and for trying the production
# backends, on loopback only (no TLS, no Elasticsearch authentication):
#   MinIO          127.0.0.1:9000 (console :9001), data in .services/minio
#   Elasticsearch  127.0.0.1:9200 (transport :9300), data in .services/elasticsearch
#   PostgreSQL     127.0.0.1:54329, database and role sohoa, data in .services/postgres
#
#   services.sh provision [SERVICE...]  build/fetch the binaries into tools/ (skipped when present)
#   services.sh start [SERVICE...]      provision, then start whatever is not already healthy
#   services.sh wait [SERVICE...]       wait until they answer their health checks
#   services.sh status [SERVICE...]     show pids and health
#   services.sh stop [SERVICE...]       stop the servers this checkout started (pid files in .services)
#   services.sh env                     print the SOHOA_TEST_* exports the live tests read
#   services.sh es-java-home            print the JDK Elasticsearch runs on (for the tests' own
#                                       private nodes, tests/helpers/elasticsearch_node.py)
#   services.sh clean [SERVICE...]      stop, then delete the service data (all of .services/
#                                       when no SERVICE is named)
# SERVICE is minio, elasticsearch or postgres; without one, a command applies to all three.
#
# Ports and heap can be moved with SOHOA_MINIO_PORT, SOHOA_MINIO_CONSOLE_PORT, SOHOA_ES_PORT,
# SOHOA_ES_TRANSPORT_PORT, SOHOA_ES_HEAP and SOHOA_PG_PORT. MinIO's root credentials come from
# MINIO_ROOT_USER/MINIO_ROOT_PASSWORD, else from .services/minio/credentials, which is
# generated with a random password on first start; the PostgreSQL role's password is generated
# the same way into .services/postgres/credentials (local test credentials, never committed).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOOLS_DIR="$REPO_ROOT/tools"
SERVICES_DIR="$REPO_ROOT/.services"
LIVE_ENV="$SERVICES_DIR/live.env"
START_TIMEOUT_SECONDS=240

# --- MinIO -------------------------------------------------------------------------------
# MinIO's last code commit is 18f97e70, but the Go module proxy refuses that hash (403). The
# next commit, 7aac2a2c, only archives the docs and is served, so this pins the same server code.
MINIO_MODULE="github.com/minio/minio"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
MINIO_BIN="$TOOLS_DIR/bin/minio"
MINIO_PORT="${SOHOA_MINIO_PORT:-9000}"
MINIO_CONSOLE_PORT="${SOHOA_MINIO_CONSOLE_PORT:-9001}"
MINIO_STATE="$SERVICES_DIR/minio"
MINIO_PID="$MINIO_STATE/minio.pid"
MINIO_LOG="$MINIO_STATE/minio.log"
MINIO_CREDENTIALS="$MINIO_STATE/credentials"
MINIO_URL="http://127.0.0.1:$MINIO_PORT"
# The official Go install lives in /usr/local/go, which a non-login PATH may lack.
command -v go >/dev/null 2>&1 || PATH="$PATH:/usr/local/go/bin"

# --- Elasticsearch -----------------------------------------------------------------------
# Elasticsearch's integ-test zip, from Maven Central. Besides the server it holds only the
# modules transport-netty4, apm, x-pack-core and x-pack-security: no analysis-common (so no
# asciifolding filter), no rest-root (GET / answers 405, so the client's info() fails), no ML,
# no ingest-geoip. The config below sets only settings these modules know.
ES_VERSION="9.2.4"
ES_ARTIFACT="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip"
M2_REPO="${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}"
ES_ZIP="$M2_REPO/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$ES_VERSION/elasticsearch-$ES_VERSION.zip"
ES_DIST="$TOOLS_DIR/elasticsearch-$ES_VERSION"
ES_PORT="${SOHOA_ES_PORT:-9200}"
ES_TRANSPORT_PORT="${SOHOA_ES_TRANSPORT_PORT:-9300}"
ES_HEAP="${SOHOA_ES_HEAP:-512m}"
ES_URL="http://127.0.0.1:$ES_PORT"
ES_LINK="$SERVICES_DIR/elasticsearch"
# Elasticsearch refuses to run as root: as root it runs as this system user.
ES_USER="sohoa-es"
# Used when ES_USER cannot reach the checkout (e.g. a clone under /root, mode 700).
ES_FALLBACK_ROOT="/var/lib/sohoa-es"

# --- PostgreSQL --------------------------------------------------------------------------
# Debian's postgresql package (scripts/bootstrap.sh system). Not 5432, so that a system
# PostgreSQL never collides with this one.
PG_PORT="${SOHOA_PG_PORT:-54329}"
PG_LINK="$SERVICES_DIR/postgres"
PG_DATABASE="sohoa"
PG_ROLE="sohoa"
# PostgreSQL refuses to run as root: as root it runs as the package's system user.
PG_USER="postgres"
# Used when PG_USER cannot reach the checkout (e.g. a clone under /root, mode 700).
PG_FALLBACK_ROOT="/var/lib/sohoa-postgres"

# pid_of PIDFILE PATTERN: print the pid in PIDFILE if that process is alive and its command
# line contains PATTERN (so a recycled pid is never taken for ours).
pid_of() {
    local pid
    [[ -s "$1" ]] || return 1
    pid="$(<"$1")"
    [[ "$pid" =~ ^[0-9]+$ ]] && [[ -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2" || return 1
    echo "$pid"
}

# require_free_port PORT SETTING: fail when something else listens on PORT.
require_free_port() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        die "port $1 is taken by a process this checkout did not start; stop it or set $2"
    fi
}

# stop_pid NAME PIDFILE PATTERN [SIGNAL]: SIGNAL (default TERM), then SIGKILL after 60 s.
stop_pid() {
    local name="$1" pidfile="$2" signal="${4:-TERM}" pid waited=0
    if ! pid="$(pid_of "$pidfile" "$3")"; then
        log "$name is not running"
        rm -f "$pidfile"
        return
    fi
    kill "-$signal" "$pid"
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= 60)); then
            log "$name (pid $pid) ignored SIG$signal for 60 s: killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        sleep 1
        waited=$((waited + 1))
    done
    rm -f "$pidfile"
    log "stopped $name (pid $pid)"
}

# wait_healthy NAME PIDFILE PATTERN CHECK LOG...: poll CHECK until it succeeds; fail with the
# server's log if the process dies or START_TIMEOUT_SECONDS pass.
wait_healthy() {
    local name="$1" pidfile="$2" pattern="$3" check="$4" deadline=$((SECONDS + START_TIMEOUT_SECONDS))
    shift 4
    until "$check"; do
        # Read twice: /proc/PID/cmdline reads empty while the server's launcher execs it.
        pid_of "$pidfile" "$pattern" >/dev/null || { sleep 1 && pid_of "$pidfile" "$pattern" >/dev/null; } ||
            die_with_log "$name exited during startup" "$@"
        ((SECONDS < deadline)) || die_with_log "$name not healthy after ${START_TIMEOUT_SECONDS} s" "$@"
        sleep 1
    done
}

# already_running NAME PIDFILE PATTERN CHECK URL LOG...: true, once healthy, when this
# checkout's server is running.
already_running() {
    pid_of "$2" "$3" >/dev/null || return 1
    wait_healthy "$1" "$2" "$3" "$4" "${@:6}"
    log "$1 already running at $5"
}

# A random hex password (48 characters): safe in URLs, SQL literals and env files.
random_secret() {
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# link_fallback_state LINK ROOT: keep a service's state in ROOT/<hash of the checkout path>/state,
# for a service user that cannot reach the checkout, with LINK (in .services) pointing there.
link_fallback_state() {
    local base
    base="$2/$(printf '%s' "$REPO_ROOT" | sha256sum | cut -c1-12)"
    mkdir -p "$base/state"
    chmod 755 "$2" "$base"
    rm -rf "$1"
    ln -s "$base/state" "$1"
}

# remove_fallback_state LINK: delete what link_fallback_state made for LINK, if anything.
remove_fallback_state() {
    if [[ -L "$1" ]]; then
        rm -rf "$(dirname "$(readlink "$1")")"
    fi
}

# --- MinIO -------------------------------------------------------------------------------

minio_installed_version() {
    go version -m "$MINIO_BIN" 2>/dev/null | awk -v m="$MINIO_MODULE" '$1 == "mod" && $2 == m { print $3 }'
}

provision_minio() {
    if [[ -x "$MINIO_BIN" && "$(minio_installed_version)" == "$MINIO_VERSION" ]]; then
        log "MinIO $MINIO_VERSION already in $MINIO_BIN"
        return
    fi
    require_command go "MinIO is built from source with the Go toolchain (go install)"
    log "building MinIO $MINIO_VERSION with go install (several minutes on a cold Go cache)"
    mkdir -p "$TOOLS_DIR/bin"
    GOBIN="$TOOLS_DIR/bin" GOTOOLCHAIN=local go install "$MINIO_MODULE@$MINIO_VERSION" ||
        die "go install $MINIO_MODULE@$MINIO_VERSION failed (see the go output above)"
}

minio_healthy() {
    http_ok "$MINIO_URL/minio/health/live" && http_ok "$MINIO_URL/minio/health/cluster"
}

# Sets MINIO_ROOT_USER/MINIO_ROOT_PASSWORD: environment, else the saved pair, else a new one.
load_minio_credentials() {
    if [[ -z "${MINIO_ROOT_USER:-}" || -z "${MINIO_ROOT_PASSWORD:-}" ]]; then
        if [[ ! -s "$MINIO_CREDENTIALS" ]]; then
            (
                umask 077
                printf 'MINIO_ROOT_USER=sohoa-local\nMINIO_ROOT_PASSWORD=%s\n' \
                    "$(random_secret)" >"$MINIO_CREDENTIALS"
            )
        fi
        # shellcheck source=/dev/null
        source "$MINIO_CREDENTIALS"
    fi
    ((${#MINIO_ROOT_PASSWORD} >= 8)) || die "MINIO_ROOT_PASSWORD must have at least 8 characters"
    export MINIO_ROOT_USER MINIO_ROOT_PASSWORD
    # Remember what the running server uses, for the tests.
    (umask 077 && printf 'MINIO_ROOT_USER=%s\nMINIO_ROOT_PASSWORD=%s\n' \
        "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >"$MINIO_CREDENTIALS")
}

start_minio() {
    mkdir -p "$MINIO_STATE/data"
    if already_running MinIO "$MINIO_PID" "$MINIO_BIN" minio_healthy "$MINIO_URL" "$MINIO_LOG"; then
        return
    fi
    require_free_port "$MINIO_PORT" SOHOA_MINIO_PORT
    require_free_port "$MINIO_CONSOLE_PORT" SOHOA_MINIO_CONSOLE_PORT
    load_minio_credentials
    : >"$MINIO_LOG"
    # setsid + no inherited descriptors: the server outlives this script and never holds a CI
    # job's output open. Credentials go through the environment, not the command line.
    MINIO_UPDATE=off MINIO_BROWSER_REDIRECT=off nohup setsid "$MINIO_BIN" server "$MINIO_STATE/data" \
        --address "127.0.0.1:$MINIO_PORT" --console-address "127.0.0.1:$MINIO_CONSOLE_PORT" \
        </dev/null >>"$MINIO_LOG" 2>&1 &
    echo $! >"$MINIO_PID"
    wait_healthy MinIO "$MINIO_PID" "$MINIO_BIN" minio_healthy "$MINIO_LOG"
    log "MinIO up at $MINIO_URL (pid $(<"$MINIO_PID"), log $MINIO_LOG)"
}

# --- Elasticsearch -----------------------------------------------------------------------

provision_es() {
    if [[ -f "$ES_DIST/lib/elasticsearch-$ES_VERSION.jar" ]]; then
        log "Elasticsearch $ES_VERSION already in $ES_DIST"
        return
    fi
    if [[ ! -s "$ES_ZIP" ]]; then
        require_command mvn "Elasticsearch is fetched from Maven Central with Maven"
        log "downloading $ES_ARTIFACT (~110 MB) with Maven"
        mvn -q -B dependency:get -Dartifact="$ES_ARTIFACT" -Dtransitive=false \
            -Dmaven.repo.local="$M2_REPO" || die "mvn dependency:get $ES_ARTIFACT failed"
    fi
    require_command unzip "run scripts/bootstrap.sh system"
    local staging="$TOOLS_DIR/.elasticsearch-unzip"
    rm -rf "$staging"
    mkdir -p "$staging"
    unzip -q "$ES_ZIP" -d "$staging" || die "cannot unzip $ES_ZIP"
    chmod -R a+rX "$staging"
    mv "$staging/elasticsearch-$ES_VERSION" "$ES_DIST"
    rm -rf "$staging"
}

# The newest JDK >= 21 under /usr/lib/jvm (Elasticsearch 9 needs 21+), unless ES_JAVA_HOME is set.
find_es_java_home() {
    if [[ -n "${ES_JAVA_HOME:-}" ]]; then
        echo "$ES_JAVA_HOME"
        return
    fi
    local release major best="" best_major=0
    for release in /usr/lib/jvm/*/release; do
        [[ -x "$(dirname "$release")/bin/java" ]] || continue
        major="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")"
        if [[ -n "$major" ]] && ((major >= 21 && major > best_major)); then
            best="$(dirname "$release")"
            best_major=$major
        fi
    done
    [[ -n "$best" ]] || die "Elasticsearch $ES_VERSION needs a JDK >= 21; none under /usr/lib/jvm (set ES_JAVA_HOME)"
    echo "$best"
}

# Elasticsearch refuses to run as root; as root it runs as ES_USER (created on first use).
AS_ES=()
ensure_es_user() {
    [[ $EUID -eq 0 ]] || return 0
    id -u "$ES_USER" >/dev/null 2>&1 ||
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$ES_USER"
    AS_ES=(setpriv "--reuid=$ES_USER" "--regid=$ES_USER" --init-groups --)
}

# Sets ES_HOME, ES_STATE (config, data, logs, pid) and friends for the current layout: in the
# checkout, or, when .services/elasticsearch is a link, in the fallback dir it points to.
locate_es() {
    if [[ -L "$ES_LINK" ]]; then
        ES_STATE="$(readlink "$ES_LINK")"
        ES_HOME="$ES_FALLBACK_ROOT/elasticsearch-$ES_VERSION"
    else
        ES_STATE="$ES_LINK"
        ES_HOME="$ES_DIST"
    fi
    # Per version: a newer distribution must not start with an older jvm.options.
    ES_CONFIG="$ES_STATE/config-$ES_VERSION"
    ES_PID="$ES_STATE/elasticsearch.pid"
    ES_PID_PATTERN="-Des.path.home=$ES_HOME"
    ES_LOGS=("$ES_STATE/logs/launcher.log" "$ES_STATE/logs/sohoa-dev.log")
}

# The ES layout stays in the checkout when ES_USER can reach it. Otherwise the distribution is
# copied to ES_FALLBACK_ROOT (shared, like tools/) and the state goes to
# ES_FALLBACK_ROOT/<hash of the checkout path>/state, with .services/elasticsearch linking there.
prepare_es_dirs() {
    if [[ ! -L "$ES_LINK" ]] &&
        ! "${AS_ES[@]}" test -x "$SERVICES_DIR" -a -r "$ES_DIST/lib/elasticsearch-$ES_VERSION.jar"; then
        log "$ES_USER cannot read $REPO_ROOT: Elasticsearch runs from $ES_FALLBACK_ROOT"
        link_fallback_state "$ES_LINK" "$ES_FALLBACK_ROOT"
    fi
    locate_es
    if [[ ! -f "$ES_HOME/lib/elasticsearch-$ES_VERSION.jar" ]]; then
        rm -rf "$ES_HOME.tmp"
        cp -a "$ES_DIST" "$ES_HOME.tmp"
        mv "$ES_HOME.tmp" "$ES_HOME"
    fi
    mkdir -p "$ES_STATE/data" "$ES_STATE/logs" "$ES_STATE/tmp"
    [[ -d "$ES_CONFIG" ]] || cp -r "$ES_HOME/config" "$ES_CONFIG"
    write_es_config >"$ES_CONFIG/elasticsearch.yml"
    if [[ $EUID -eq 0 ]]; then
        chown -R "$ES_USER:$ES_USER" "$ES_STATE"
    fi
}

write_es_config() {
    cat <<EOF
# Written by scripts/services.sh on every start: edit the script, not this file.
cluster.name: sohoa-dev
node.name: sohoa-dev-1
path.data: $ES_STATE/data
path.logs: $ES_STATE/logs
network.host: 127.0.0.1
http.port: $ES_PORT
transport.port: $ES_TRANSPORT_PORT
discovery.type: single-node
# A nearly full disk must not make test indices read-only.
cluster.routing.allocation.disk.threshold_enabled: false
EOF
    if [[ -d "$ES_HOME/modules/x-pack-security" ]]; then
        echo "# Development/test node on loopback only: no TLS, no authentication."
        echo "xpack.security.enabled: false"
    fi
    if [[ -d "$ES_HOME/modules/x-pack-ml" ]]; then
        echo "xpack.ml.enabled: false"
    fi
}

es_healthy() {
    curl -fsS --max-time 5 "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=3s" 2>/dev/null |
        grep -Eq '"status":"(green|yellow)"'
}

start_es() {
    locate_es
    if already_running Elasticsearch "$ES_PID" "$ES_PID_PATTERN" es_healthy "$ES_URL" "${ES_LOGS[@]}"; then
        return
    fi
    require_free_port "$ES_PORT" SOHOA_ES_PORT
    require_free_port "$ES_TRANSPORT_PORT" SOHOA_ES_TRANSPORT_PORT
    ensure_es_user
    prepare_es_dirs
    local java_home
    java_home="$(find_es_java_home)"
    rm -f "$ES_PID"
    : >"${ES_LOGS[0]}"
    # -d returns once the node is up (or has failed) and -p writes the server's pid. setsid and
    # redirected descriptors: the server never holds a CI job's output open. Relative JVM
    # outputs (gc.log, hs_err) land in the logs dir, the working directory.
    if ! (cd "$ES_STATE/logs" && timeout "$START_TIMEOUT_SECONDS" setsid \
        env -i PATH=/usr/bin:/bin HOME="$ES_STATE" LANG=C.UTF-8 \
        ES_JAVA_HOME="$java_home" ES_PATH_CONF="$ES_CONFIG" ES_TMPDIR="$ES_STATE/tmp" \
        ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP ${SOHOA_ES_JAVA_OPTS:-}" \
        "${AS_ES[@]}" "$ES_HOME/bin/elasticsearch" -d -p "$ES_PID" \
        </dev/null >>"${ES_LOGS[0]}" 2>&1); then
        die_with_log "Elasticsearch failed to start (java: $java_home)" "${ES_LOGS[@]}"
    fi
    wait_healthy Elasticsearch "$ES_PID" "$ES_PID_PATTERN" es_healthy "${ES_LOGS[@]}"
    log "Elasticsearch up at $ES_URL (pid $(<"$ES_PID"), log ${ES_LOGS[1]})"
}

# --- PostgreSQL --------------------------------------------------------------------------

# Sets PG_STATE (log, pid, credentials), PG_DATA (the cluster, which also holds the server's
# unix socket) and friends: in the checkout, or, when .services/postgres is a link, in the
# fallback dir it points to.
locate_pg() {
    if [[ -L "$PG_LINK" ]]; then
        PG_STATE="$(readlink "$PG_LINK")"
    else
        PG_STATE="$PG_LINK"
    fi
    PG_DATA="$PG_STATE/data"
    PG_PID="$PG_STATE/postgres.pid"
    PG_LOG="$PG_STATE/postgres.log"
    PG_CREDENTIALS="$PG_STATE/credentials"
    PG_PID_PATTERN="-D $PG_DATA"
    PG_ADDRESS="127.0.0.1:$PG_PORT"
}

# Sets PG_BIN: the binaries of the major version that made the cluster, else the newest
# installed under /usr/lib/postgresql.
find_pg_bin() {
    local made_by=""
    [[ -s "$PG_DATA/PG_VERSION" ]] && made_by="$(<"$PG_DATA/PG_VERSION")"
    if [[ -n "$made_by" ]]; then
        PG_BIN="/usr/lib/postgresql/$made_by/bin"
        [[ -x "$PG_BIN/postgres" ]] ||
            die "$PG_DATA was made by PostgreSQL $made_by, which is not installed (or run 'services.sh clean postgres')"
        return
    fi
    PG_BIN="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$PG_BIN" && -x "$PG_BIN/initdb" ]] ||
        die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run scripts/bootstrap.sh system"
}

provision_pg() {
    locate_pg
    find_pg_bin
    log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') in $PG_BIN"
}

# As root the server and its admin commands run as PG_USER, which is also the cluster's
# superuser (peer authentication over the unix socket); otherwise as the invoking user.
AS_PG=()
PG_SUPERUSER="$(id -un)"
ensure_pg_user() {
    [[ $EUID -eq 0 ]] || return 0
    id -u "$PG_USER" >/dev/null 2>&1 ||
        die "no system user $PG_USER: install Debian's postgresql (scripts/bootstrap.sh system)"
    AS_PG=(setpriv "--reuid=$PG_USER" "--regid=$PG_USER" --init-groups --)
    PG_SUPERUSER="$PG_USER"
}

# as_pg COMMAND...: COMMAND as the server's user, with none of the caller's PG* variables.
as_pg() {
    env -i PATH=/usr/bin:/bin HOME="$PG_STATE" LANG=C.UTF-8 "${AS_PG[@]}" "$@"
}

# The cluster stays in the checkout when PG_USER can reach it, else see link_fallback_state.
prepare_pg_dirs() {
    if [[ ! -L "$PG_LINK" ]] && ! as_pg test -x "$SERVICES_DIR"; then
        [[ ! -e "$PG_LINK/data/PG_VERSION" ]] ||
            die "$PG_USER cannot reach $PG_LINK/data any more: fix the permissions of $REPO_ROOT"
        log "$PG_USER cannot reach $REPO_ROOT: PostgreSQL keeps its data in $PG_FALLBACK_ROOT"
        link_fallback_state "$PG_LINK" "$PG_FALLBACK_ROOT"
    fi
    locate_pg
    mkdir -p "$PG_DATA"
    chmod 755 "$PG_STATE"
    chmod 700 "$PG_DATA"
    if [[ $EUID -eq 0 ]]; then
        chown "$PG_USER:$PG_USER" "$PG_DATA"
    fi
}

# initdb once. Only the superuser may use the socket (peer); every TCP login needs a password.
init_pg() {
    [[ -s "$PG_DATA/PG_VERSION" ]] && return
    log "initialising a PostgreSQL cluster in $PG_DATA"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" --username="$PG_SUPERUSER" --encoding=UTF8 \
        --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 \
        >"$PG_STATE/initdb.log" 2>&1 || die_with_log "initdb failed" "$PG_STATE/initdb.log"
    echo "include_if_exists = 'sohoa.conf'" >>"$PG_DATA/postgresql.conf"
}

write_pg_config() {
    cat <<EOF_CONF
# Written by scripts/services.sh on every start: edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DATA'
password_encryption = 'scram-sha-256'
logging_collector = off
EOF_CONF
}

pg_healthy() {
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 3
}

# Sets PG_PASSWORD: the saved one, else a new one (saved mode 600).
load_pg_credentials() {
    if [[ ! -s "$PG_CREDENTIALS" ]]; then
        (umask 077 && printf 'PG_PASSWORD=%s\n' "$(random_secret)" >"$PG_CREDENTIALS")
    fi
    # shellcheck source=/dev/null
    source "$PG_CREDENTIALS"
    [[ "${PG_PASSWORD:-}" =~ ^[A-Za-z0-9]{16,}$ ]] ||
        die "$PG_CREDENTIALS must set PG_PASSWORD to 16 or more letters and digits"
}

# The role (LOGIN, CREATEDB: the tests make a database per run) with the saved password, and
# its database. Idempotent; the password goes through stdin, never a command line.
ensure_pg_database() {
    load_pg_credentials
    if ! as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DATA" -p "$PG_PORT" \
        -U "$PG_SUPERUSER" -d postgres >"$PG_STATE/provision.log" 2>&1 <<EOF_SQL; then
SELECT 'CREATE ROLE $PG_ROLE' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE')\gexec
ALTER ROLE $PG_ROLE WITH LOGIN CREATEDB NOSUPERUSER PASSWORD '$PG_PASSWORD';
SELECT 'CREATE DATABASE $PG_DATABASE OWNER $PG_ROLE'
    WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DATABASE')\gexec
EOF_SQL
        die_with_log "cannot create the role and database $PG_ROLE" "$PG_STATE/provision.log"
    fi
}

start_pg() {
    locate_pg
    find_pg_bin
    ensure_pg_user
    if already_running PostgreSQL "$PG_PID" "$PG_PID_PATTERN" pg_healthy "$PG_ADDRESS" "$PG_LOG"; then
        ensure_pg_database
        return
    fi
    require_free_port "$PG_PORT" SOHOA_PG_PORT
    prepare_pg_dirs
    find_pg_bin
    init_pg
    write_pg_config >"$PG_DATA/sohoa.conf"
    : >"$PG_LOG"
    # As for MinIO: setsid, no inherited descriptors, the server outlives this script.
    nohup setsid env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "${AS_PG[@]}" "$PG_BIN/postgres" \
        -D "$PG_DATA" </dev/null >>"$PG_LOG" 2>&1 &
    echo $! >"$PG_PID"
    wait_healthy PostgreSQL "$PG_PID" "$PG_PID_PATTERN" pg_healthy "$PG_LOG"
    ensure_pg_database
    log "PostgreSQL up at $PG_ADDRESS, database $PG_DATABASE (pid $(<"$PG_PID"), log $PG_LOG)"
}

# --- commands ----------------------------------------------------------------------------

ALL_SERVICES=(minio elasticsearch postgres)
SELECTED=()

# select_services NAME...: the services a command applies to (all when none is named).
select_services() {
    local name
    SELECTED=("$@")
    ((${#SELECTED[@]})) || SELECTED=("${ALL_SERVICES[@]}")
    for name in "${SELECTED[@]}"; do
        [[ " ${ALL_SERVICES[*]} " == *" $name "* ]] ||
            die "unknown service '$name': choose from ${ALL_SERVICES[*]}"
    done
}

selected() {
    [[ " ${SELECTED[*]} " == *" $1 "* ]]
}

# The SOHOA_TEST_* settings of every service that has run here.
live_env_lines() {
    locate_es
    locate_pg
    if [[ -s "$MINIO_CREDENTIALS" ]]; then
        # shellcheck source=/dev/null
        source "$MINIO_CREDENTIALS"
        echo "SOHOA_TEST_MINIO_ENDPOINT=127.0.0.1:$MINIO_PORT"
        echo "SOHOA_TEST_MINIO_ACCESS_KEY=$MINIO_ROOT_USER"
        echo "SOHOA_TEST_MINIO_SECRET_KEY=$MINIO_ROOT_PASSWORD"
    fi
    if [[ -d "$ES_STATE" ]]; then
        echo "SOHOA_TEST_ES_URL=$ES_URL"
    fi
    if [[ -s "$PG_CREDENTIALS" ]]; then
        # shellcheck source=/dev/null
        source "$PG_CREDENTIALS"
        echo "SOHOA_TEST_DATABASE_URL=postgresql+psycopg://$PG_ROLE:$PG_PASSWORD@$PG_ADDRESS/$PG_DATABASE"
    fi
}

# Replaced, not written through: a worktree whose live.env links to another checkout's never
# overwrites that one.
write_live_env() {
    (
        umask 077
        live_env_lines >"$LIVE_ENV.$$"
    )
    mv -f "$LIVE_ENV.$$" "$LIVE_ENV"
}

cmd_provision() {
    if selected minio; then timed "provisioned MinIO" provision_minio; fi
    if selected elasticsearch; then timed "provisioned Elasticsearch" provision_es; fi
    if selected postgres; then provision_pg; fi
}

cmd_start() {
    # Traversable, so that ES_USER and PG_USER can use their dirs in it; secrets in it are 0600.
    mkdir -p "$SERVICES_DIR"
    chmod 755 "$SERVICES_DIR"
    require_command curl "run scripts/bootstrap.sh system"
    cmd_provision
    if selected minio; then timed "started MinIO" start_minio; fi
    if selected elasticsearch; then timed "started Elasticsearch" start_es; fi
    if selected postgres; then timed "started PostgreSQL" start_pg; fi
    write_live_env
    log "live-test settings in $LIVE_ENV"
}

cmd_wait() {
    locate_es
    locate_pg
    if selected minio; then
        wait_healthy MinIO "$MINIO_PID" "$MINIO_BIN" minio_healthy "$MINIO_LOG"
    fi
    if selected elasticsearch; then
        wait_healthy Elasticsearch "$ES_PID" "$ES_PID_PATTERN" es_healthy "${ES_LOGS[@]}"
    fi
    if selected postgres; then
        find_pg_bin
        wait_healthy PostgreSQL "$PG_PID" "$PG_PID_PATTERN" pg_healthy "$PG_LOG"
    fi
    log "${SELECTED[*]}: healthy"
}

# service_status NAME PIDFILE PATTERN CHECK URL: one status line; false unless healthy.
service_status() {
    local pid
    if ! pid="$(pid_of "$2" "$3")"; then
        log "$1: not running"
        return 1
    elif ! "$4"; then
        log "$1: running (pid $pid) but not healthy"
        return 1
    fi
    log "$1: running, healthy (pid $pid, $5)"
}

cmd_status() {
    local healthy=0
    locate_es
    locate_pg
    if selected minio; then
        service_status MinIO "$MINIO_PID" "$MINIO_BIN" minio_healthy "$MINIO_URL" || healthy=1
    fi
    if selected elasticsearch; then
        service_status Elasticsearch "$ES_PID" "$ES_PID_PATTERN" es_healthy "$ES_URL" || healthy=1
    fi
    if selected postgres; then
        find_pg_bin
        service_status PostgreSQL "$PG_PID" "$PG_PID_PATTERN" pg_healthy \
            "$PG_ADDRESS, database $PG_DATABASE" || healthy=1
    fi
    return $healthy
}

cmd_stop() {
    locate_es
    locate_pg
    if selected minio; then stop_pid MinIO "$MINIO_PID" "$MINIO_BIN"; fi
    if selected elasticsearch; then stop_pid Elasticsearch "$ES_PID" "$ES_PID_PATTERN"; fi
    # SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
    if selected postgres; then stop_pid PostgreSQL "$PG_PID" "$PG_PID_PATTERN" INT; fi
}

cmd_clean() {
    local everything=$(($# == 0))
    cmd_stop
    if selected minio; then rm -rf "$MINIO_STATE"; fi
    if selected elasticsearch; then
        remove_fallback_state "$ES_LINK"
        rm -rf "$ES_LINK"
    fi
    if selected postgres; then
        remove_fallback_state "$PG_LINK"
        rm -rf "$PG_LINK"
    fi
    if ((everything)); then
        rm -rf "$SERVICES_DIR"
        log "removed service data ($SERVICES_DIR)"
    else
        if [[ -d "$SERVICES_DIR" ]]; then write_live_env; fi
        log "removed the data of ${SELECTED[*]}"
    fi
}

cmd_env() {
    [[ -s "$LIVE_ENV" ]] || die "no $LIVE_ENV yet: run 'make services'"
    sed 's/^/export /' "$LIVE_ENV"
}

command="${1:-}"
shift || true
select_services "$@"
case "$command" in
provision) cmd_provision ;;
start) cmd_start ;;
wait) cmd_wait ;;
status) cmd_status ;;
stop) cmd_stop ;;
env) cmd_env ;;
es-java-home) find_es_java_home ;;
clean) cmd_clean "$@" ;;
*) die "usage: $0 provision|start|wait|status|stop|env|es-java-home|clean [minio|elasticsearch|postgres...]" ;;
esac
