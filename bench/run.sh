#!/usr/bin/env bash
# trawl's benchmark harness.  See bench/README.md for what it measures.
#
#   bench/run.sh            full run (all corpora, all peers, all scenarios; ~20+ min)
#   bench/run.sh --quick    python3-doc only, trawl vs wget and Scrapy at concurrency 16,
#                           short latency/memory/rate/broad scenarios (< 3 min
#                           once installs and the trawl build are cached)
#
# Knobs (environment): REPS (runs per cell, default 3), CONCS ("16 64"),
# SITES (subset of "python rust syn10k syn100k"), PEERS (subset of
# "wget scrapy spider crawlee httrack"), SCENARIOS (subset of "main latency
# memory rate broad redis warc content render"), SKIP_INSTALL=1, SKIP_BUILD=1, TRAWL_BIN (a trawl binary
# to measure instead of building this tree's), BENCH_OUT, RESULTS.
# Broad crawl: BROAD_HOSTS (10000; --quick 1000), BROAD_CONCS ("64 256"),
# BROAD_PEERS (of the installed ones: "wget spider scrapy"), BROAD_LOW_NOFILE
# (1024, --quick 256: one more trawl run at -j 64 under `ulimit -n` that; empty = none),
# BROAD_KEEPALIVE (nginx keepalive_timeout, 60s), BROAD_TMO (600 s a run),
# BROAD_SLOW_CAP (Scrapy's cap, 60 s), FD_SAMPLE_MS (25).
# Shared crawl on Redis (SCENARIOS redis): SHARED_HOSTS (64 host names on the
# latency site), SHARED_CONC (-j of each worker, 64), SHARED_PAGES (pages per
# unit of -j per worker: 150, about 15 s a run; --quick 40), SHARED_REPS (3;
# --quick 1).
# Rate fidelity: RATES ("10 100 1000"), RATE_SECS (30 a run, at most 8,000
# requests; --quick 10), RATE_REPS (3; --quick 1).
#
# Writes bench/RESULTS.md; raw figures go to bench/out/ (the run's TSV/JSON).
# Needs root (apt-get, ip netns).  Never sends traffic anywhere but 127.0.0.0/8
# and its own network namespace.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$BENCH")
CACHE=$BENCH/.cache
OUT=${BENCH_OUT:-$BENCH/out}
RESULTS=${RESULTS:-$BENCH/RESULTS.md}
SHM=/dev/shm/trawl-bench            # tmpfs: sites, nginx runtime, every tool's scratch output
RUN=$SHM/run
SCRATCH=$SHM/scratch
SITES_DIR=$SHM/sites
NS=trawlbench                       # network namespace of the latency scenario
NS_ADDR=10.231.0.2                  # inside $NS (veth tbv1); host side is 10.231.0.1 (tbv0)

QUICK=0
for a in "$@"; do
    case $a in
        --quick) QUICK=1 ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "unknown argument: $a" >&2; exit 2 ;;
    esac
done

if [[ $QUICK == 1 ]]; then
    # Scrapy needs ~25 s of CPU per python3-doc crawl, so quick mode keeps one concurrency
    : "${REPS:=3}" "${CONCS:=16}" "${SITES:=python}" "${PEERS:=wget scrapy}"
    : "${SCENARIOS:=main latency memory rate broad redis warc content render}"
    : "${RATE_SECS:=10}" "${RATE_REPS:=1}"; WRK_SECS=3; LAT_CONCS="64"; LAT_PEERS=""
    # 1,000 hosts fit under `ulimit -n 1024`: the low-limit run uses 256 here (BENCH-NOTES)
    : "${BROAD_HOSTS:=1000}" "${BROAD_CONCS:=64}" "${BROAD_PEERS:=wget}" "${BROAD_LOW_NOFILE=256}"
else
    : "${REPS:=3}" "${CONCS:=16 64}" "${SITES:=python rust syn10k syn100k}"
    : "${PEERS:=wget scrapy spider crawlee httrack}"
    : "${SCENARIOS:=main latency memory rate broad redis warc content render}"
    : "${RATE_SECS:=30}" "${RATE_REPS:=3}"; WRK_SECS=3; LAT_CONCS="16 64 256"; LAT_PEERS="scrapy spider crawlee"
    : "${BROAD_HOSTS:=10000}" "${BROAD_CONCS:=64 256}" "${BROAD_PEERS:=wget spider scrapy}"
fi
# Scrapy and Crawlee manage 15-50 pages/s here: on python3-doc they run every rep
# at the last concurrency (SLOW_CONCS); on the large sites once (rep 1), capped
# at SLOW_CAP seconds and reported as partial, so the full run stays under 20 min
: "${SLOW_CONCS:=${CONCS##* }}" "${SLOW_CAP:=30}"
: "${SHARED_HOSTS:=64}" "${SHARED_CONC:=64}" "${SHARED_PAGES:=$([[ $QUICK == 1 ]] && echo 40 || echo 150)}" "${SHARED_REPS:=$([[ $QUICK == 1 ]] && echo 1 || echo 3)}"
REDIS_PORT=8096
: "${RATES:=10 100 1000}"
: "${BROAD_LOW_NOFILE=1024}" "${BROAD_KEEPALIVE:=60s}" "${BROAD_TMO:=600}" "${BROAD_SLOW_CAP:=60}" "${FD_SAMPLE_MS:=25}"
BROAD_PORT=8087
MODE=$([[ $QUICK == 1 ]] && echo quick || echo full)

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

mkdir -p "$CACHE" "$OUT" "$RUN/tmp" "$SCRATCH" "$SITES_DIR"
T0=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- installs
# Each peer's install status goes to $OUT/peers.tsv (name, ok|FAILED, detail);
# a peer that will not install is reported in RESULTS.md with its error.
: > "$OUT/peers.tsv"
peer_status() { printf '%s\t%s\t%s\n' "$1" "$2" "$(echo "$3" | tr '\t\n' '  ' | cut -c1-300)" >> "$OUT/peers.tsv"; }

apt_ok=1
apt_install() {   # idempotent: only the packages not installed yet
    local missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [[ ${#missing[@]} == 0 ]] && return 0
    log "apt-get install ${missing[*]}"
    if [[ ! -e $CACHE/.apt-updated ]]; then
        timeout 300 apt-get update -qq && touch "$CACHE/.apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "${missing[@]}" >>"$CACHE/apt.log" 2>&1
}

if [[ ${SKIP_INSTALL:-0} != 1 ]]; then
    base_pkgs=(nginx-light libnginx-mod-http-echo wrk time wget python3-doc python3-venv iproute2 util-linux coreutils)
    [[ " $SITES " == *" rust "* ]] && base_pkgs+=(rust-doc)
    [[ " $PEERS " == *" httrack "* ]] && base_pkgs+=(httrack)
    apt_install "${base_pkgs[@]}" || { apt_ok=0; log "apt-get failed; see $CACHE/apt.log"; }
fi
for t in nginx wrk taskset timeout python3; do have "$t" || { echo "missing $t" >&2; exit 1; }; done
[[ -x /usr/bin/time ]] || { echo "missing /usr/bin/time (package time)" >&2; exit 1; }

install_peer() {  # $1 = peer; sets up its command, records status
    local err
    case $1 in
        wget) if have wget; then peer_status wget ok "$(wget --version | head -1)"; else peer_status wget FAILED "wget not installed (apt)"; fi ;;
        httrack) if have httrack; then peer_status httrack ok "$(httrack --version 2>&1 | head -1)"; else peer_status httrack FAILED "$(tail -3 "$CACHE/apt.log" 2>/dev/null)"; fi ;;
        scrapy)
            if [[ ! -x $CACHE/venv/bin/scrapy ]]; then
                log "pip install scrapy (venv in $CACHE/venv)"
                { python3 -m venv "$CACHE/venv" && timeout 600 "$CACHE/venv/bin/pip" install -q scrapy; } >"$CACHE/pip.log" 2>&1 || true
            fi
            if [[ -x $CACHE/venv/bin/scrapy ]]; then peer_status scrapy ok "$("$CACHE/venv/bin/scrapy" version 2>/dev/null)"
            else peer_status scrapy FAILED "$(tail -3 "$CACHE/pip.log")"; fi ;;
        spider)
            # cargo install is slow (minutes): done once, cached in bench/.cache/cargo
            SPIDER=$CACHE/cargo/bin/spider
            if [[ ! -x $SPIDER ]] && have spider; then SPIDER=$(command -v spider); fi
            if [[ ! -x $SPIDER ]]; then
                log "cargo install spider_cli (slow, once)"
                timeout 1800 nice cargo install spider_cli --locked --root "$CACHE/cargo" >"$CACHE/spider_install.log" 2>&1 || true
            fi
            if [[ -x $SPIDER ]]; then peer_status spider ok "$("$SPIDER" --version 2>&1 | head -1)"
            else peer_status spider FAILED "$(grep -m3 -i error "$CACHE/spider_install.log" || tail -3 "$CACHE/spider_install.log")"; fi ;;
        crawlee)
            # the `crawlee` meta-package pulls in browser crawlers whose dependency
            # tree 404s on this registry (cssomnom); CheerioCrawler is @crawlee/cheerio
            if [[ ! -d $CACHE/node/node_modules/@crawlee/cheerio ]]; then
                log "npm install @crawlee/cheerio"
                mkdir -p "$CACHE/node"
                echo '{"name":"bench-peers","private":true,"type":"module"}' > "$CACHE/node/package.json"
                (cd "$CACHE/node" && timeout 600 npm install --no-audit --no-fund @crawlee/cheerio@3) >"$CACHE/npm.log" 2>&1 || true
            fi
            if [[ -d $CACHE/node/node_modules/@crawlee/cheerio ]] && have node; then
                cp "$BENCH/peers/crawlee_cheerio.mjs" "$CACHE/node/"
                peer_status crawlee ok "@crawlee/cheerio $(node -p "require('$CACHE/node/node_modules/@crawlee/cheerio/package.json').version"), node $(node --version)"
            else peer_status crawlee FAILED "$(grep -m3 'npm error' "$CACHE/npm.log" || echo 'node/npm missing')"; fi ;;
    esac
}
ALL_PEERS=$PEERS
if [[ " $SCENARIOS " == *" broad "* ]]; then
    for p in $BROAD_PEERS; do [[ " $ALL_PEERS " == *" $p "* ]] || ALL_PEERS+=" $p"; done
fi
for p in $ALL_PEERS; do install_peer "$p"; done
INSTALLED=$(awk -F'\t' '$2=="ok"{printf "%s ", $1}' "$OUT/peers.tsv")
OK_PEERS=""; BROAD_OK=""     # the main/latency scenarios' peers, the broad scenario's
for p in $INSTALLED; do
    [[ " $PEERS " == *" $p "* ]] && OK_PEERS+="$p "
    [[ " $BROAD_PEERS " == *" $p "* ]] && BROAD_OK+="$p "
done
log "peers installed: ${INSTALLED:-none}"

# ---------------------------------------------------------------- trawl build
TRAWL=${TRAWL_BIN:-$REPO/target/release/trawl}
TB=$(date +%s)
if [[ ${SKIP_BUILD:-0} != 1 && -z ${TRAWL_BIN:-} ]]; then
    log "cargo build --release"
    (cd "$REPO" && timeout 1800 cargo build --release --locked -q)
fi
BUILD_SECS=$(( $(date +%s) - TB ))
[[ -x $TRAWL ]] || { echo "no $TRAWL" >&2; exit 1; }
if [[ -n ${TRAWL_BIN:-} ]]; then
    TRAWL_VERSION="$("$TRAWL" --version 2>/dev/null || echo trawl) (TRAWL_BIN=$TRAWL, $(date -r "$TRAWL" '+built %Y-%m-%d %H:%M'))"
else
    TRAWL_VERSION="$("$TRAWL" --version 2>/dev/null || echo trawl) ($(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$REPO" && git diff --quiet HEAD -- src Cargo.toml 2>/dev/null || echo '+uncommitted'))"
fi

# ---------------------------------------------------------------- sites
# name -> port, docroot, true page list ($SITES_DIR/NAME.paths)
declare -A PORT=([python]=8081 [rust]=8082 [syn10k]=8083 [syn100k]=8084)
declare -A ROOT=([python]=/usr/share/doc/python3/html [rust]=/usr/share/doc/rust-doc/html
                 [syn10k]=$SITES_DIR/syn10k [syn100k]=$SITES_DIR/syn100k)
declare -A NPAGES=([syn10k]=10000 [syn100k]=100000)
declare -A TMO=([python]=120 [rust]=600 [syn10k]=600 [syn100k]=900)   # per-run bound, seconds
SYN_SMALL=$SITES_DIR/syn10k   # quick mode uses a 2,000-page cut
[[ $QUICK == 1 ]] && SYN_SMALL=$SITES_DIR/syn2k

gen() {  # gen NAME N PORT  (seeded; skipped when already complete)
    log "generating $1 ($2 pages) if needed"
    GEN_BASE=${3:+http://127.0.0.1:$3} python3 "$BENCH/gen_site.py" site "$SITES_DIR/$1" "$2" --seed 42
}
for s in $SITES; do
    case $s in syn10k|syn100k) gen "$s" "${NPAGES[$s]}" "${PORT[$s]}" ;; esac
done
if [[ " $SCENARIOS " == *" rate "* ]]; then   # the rate server's own 10,000 pages, in both modes
    gen rate10k 10000 8085
fi
if [[ " $SCENARIOS " == *" render "* && ! -s $SITES_DIR/mixed.paths ]]; then   # static pages and a few shells
    python3 "$BENCH/gen_render.py" "$SITES_DIR/mixed"
fi
for s in $SITES; do   # the true page count, from the files (cached per docroot)
    if [[ ! -s $SITES_DIR/$s.paths ]]; then
        log "computing the true page set of $s"
        python3 "$BENCH/truecount.py" "${ROOT[$s]}" "$SITES_DIR/$s.paths" "${PORT[$s]}" >/dev/null
    fi
    log "$s: $(wc -l < "$SITES_DIR/$s.paths") true pages"
done

# ---------------------------------------------------------------- nginx
MODPATH=$(ls /usr/share/nginx/modules/ngx_http_echo_module.so /usr/lib/nginx/modules/ngx_http_echo_module.so 2>/dev/null | head -1 || true)
LOADMOD=${MODPATH:+load_module $MODPATH;}
mkdir -p "$SITES_DIR/frontier"
render() {  # render TEMPLATE OUT [extra sed args]
    local tpl=$1 out=$2; shift 2
    sed -e "s|@RUN@|$RUN|g" -e "s|@PY@|${ROOT[python]}|g" -e "s|@RUST@|${ROOT[rust]}|g" \
        -e "s|@SYN1@|$SYN_SMALL|g" -e "s|@RATE@|$SITES_DIR/rate10k|g" -e "s|@SYN2@|$SITES_DIR/syn100k|g" -e "s|@FRONTIER@|$SITES_DIR/frontier|g" \
        -e "s|@MIXED@|$SITES_DIR/mixed|g" -e "s|@LOADMOD@|$LOADMOD|g" "$@" "$tpl" > "$out"
}
stop_nginx() {
    local pidf
    for pidf in "$RUN/nginx.pid" "$RUN/nginx-lat.pid" "$RUN/nginx-broad.pid"; do
        if [[ -s $pidf ]]; then
            kill -QUIT "$(cat "$pidf")" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$(cat "$pidf" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
            rm -f "$pidf"
        fi
    done
}
cleanup() {
    stop_nginx
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    ip netns del "$NS" 2>/dev/null || true
    ip link del tbv0 2>/dev/null || true
}
trap cleanup EXIT
stop_nginx   # a leftover from an interrupted run
render "$BENCH/nginx.conf.in" "$RUN/nginx.conf"
: > "$RUN/nginx-error.log"
taskset -c 0 nginx -q -c "$RUN/nginx.conf" -p "$RUN" -g "user root;"
sleep 0.3
curl_ok() { python3 - "$1" <<'EOF'
import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=5).status == 200 else 1)
EOF
}
for s in $SITES; do curl_ok "http://127.0.0.1:${PORT[$s]}/" || { echo "nginx does not serve $s" >&2; exit 1; }; done
# serious nginx errors (a 404's "No such file or directory" is not one)
errlines() { grep -E '\[(error|crit|alert|emerg)\]' "${1:-$RUN/nginx-error.log}" 2>/dev/null | grep -vc 'No such file or directory' || true; }

# ---------------------------------------------------------------- measuring one run
# Every crawler: pinned to core 1 (nginx has core 0), bounded by timeout,
# measured by /usr/bin/time -v (user+sys CPU, peak RSS) and a wall clock.
RES=$OUT/main.tsv
printf 'tool\tsite\tconc\trep\tfound\ttrue\twall_s\tuser_s\tsys_s\tmaxrss_kb\trc\tnginx_errors\n' > "$RES"

measure() {  # measure DIR TIMEOUT CMD...   -> sets M_WALL M_USER M_SYS M_RSS M_RC
    # With FD_OUT=FILE: also the max open fds of the tool's process tree, sampled
    # from /proc/PID/fd every FD_SAMPLE_MS ms by broad.py (pinned to nginx's core;
    # started first, so that it samples from the tool's first milliseconds)
    local d=$1 tmo=$2; shift 2
    local t0 t1 pid spid
    set +e
    if [[ -n ${FD_OUT:-} ]]; then
        rm -f "$FD_OUT" "$FD_OUT.ready" "$FD_OUT.pid"
        taskset -c 0 python3 "$BENCH/broad.py" sample "$FD_OUT.pid" "$FD_SAMPLE_MS" "$FD_OUT" </dev/null &
        spid=$!
        for _ in $(seq 1000); do [[ -e $FD_OUT.ready ]] && break; sleep 0.01; done
        t0=$(date +%s.%N)
        taskset -c 1 /usr/bin/time -v -o "$d/time.txt" timeout -k 5 "$tmo" "$@" >"$d/stdout" 2>"$d/stderr" </dev/null &
        pid=$!
        echo "$pid" > "$FD_OUT.pid.tmp" && mv "$FD_OUT.pid.tmp" "$FD_OUT.pid"
        wait "$pid"
        M_RC=$?
        t1=$(date +%s.%N)
        wait "$spid"
    else
        t0=$(date +%s.%N)
        taskset -c 1 /usr/bin/time -v -o "$d/time.txt" timeout -k 5 "$tmo" "$@" >"$d/stdout" 2>"$d/stderr" </dev/null
        M_RC=$?
        t1=$(date +%s.%N)
    fi
    set -e
    M_WALL=$(awk -v a="$t0" -v b="$t1" "BEGIN{printf \"%.3f\", b - a}")
    M_USER=$(awk -F': ' '/User time/{print $2}' "$d/time.txt")
    M_SYS=$(awk -F': ' '/System time/{print $2}' "$d/time.txt")
    M_RSS=$(awk -F': ' '/Maximum resident set size/{print $2}' "$d/time.txt")
    # `time` reports "Command exited with non-zero status N" and the status of timeout
    [[ -n $M_USER ]] || { M_USER=0; M_SYS=0; M_RSS=0; }
}

run_tool() {  # run_tool TOOL SITE CONC REP
    local tool=$1 site=$2 c=$3 rep=$4
    local url="http://127.0.0.1:${PORT[$site]}/" tmo=${TMO[$site]}
    local d=$SCRATCH/$tool-$site-$c-$rep kind out
    rm -rf "$d"; mkdir -p "$d"
    local e0; e0=$(errlines)
    case $tool in
        trawl)
            kind=trawl; out=$d/out.jsonl
            measure "$d" "$tmo" "$TRAWL" crawl --depth 1000 -j "$c" --per-host "$c" --robots ignore \
                --progress never -q -o "$out" --stats "$d/stats.json" "$url" ;;
        wget)
            kind=wget; out=$d/wget.log
            measure "$d" "$tmo" wget --recursive --level=inf -e robots=off --no-verbose -o "$out" \
                --delete-after -P "$d/dl" --no-host-directories \
                -R 'png,jpg,jpeg,gif,svg,ico,css,js,woff,woff2,ttf,txt,gz,zip,bz2,xz,pdf,epub' "$url" ;;
        httrack)
            # httrack sleeps between polls (1-4 pages/s here): its runs are capped
            # at HTTRACK_CAP seconds and reported as partial
            kind=httrack; out=$d/ht/hts-cache/new.txt; tmo=${HTTRACK_CAP:-30}
            measure "$d" "$tmo" httrack "$url" -O "$d/ht" -q -r1000 -c"$c" -%c1000 -A1000000000 \
                -s0 -R0 -T30 -I0 -p1 -N0 '-*.png' '-*.jpg' '-*.gif' '-*.svg' '-*.css' '-*.js' '-*.woff2' '-*.txt' ;;
        scrapy)
            kind=lines; out=$d/urls.txt
            [[ $site == python ]] || tmo=$SLOW_CAP
            measure "$d" "$tmo" "$CACHE/venv/bin/scrapy" runspider "$BENCH/peers/scrapy_spider.py" \
                -a start="$url" -a out="$out" -s CONCURRENT_REQUESTS="$c" \
                -s CONCURRENT_REQUESTS_PER_DOMAIN="$c" -s CONCURRENT_REQUESTS_PER_IP=0 ;;
        spider)
            # no concurrency flag; measured as BENCH-NOTES says, in its best configuration
            kind=lines; out=$d/stdout
            LINKS_VISITED_MEMORY_LIMIT=100000000 TMPDIR=$d measure "$d" "$tmo" "$SPIDER" --url "$url" -d 1000 crawl --output-links ;;
        crawlee)
            kind=lines; out=$d/urls.txt
            [[ $site == python ]] || tmo=$SLOW_CAP
            CRAWLEE_PERSIST_STORAGE=false CRAWLEE_STORAGE_DIR=$d/storage \
                measure "$d" "$tmo" node "$CACHE/node/crawlee_cheerio.mjs" "$url" "$c" "$out" ;;
    esac
    local found ntrue e1
    found=$(python3 "$BENCH/count_found.py" "$kind" "$out" "$SITES_DIR/$site.paths")
    ntrue=$(wc -l < "$SITES_DIR/$site.paths")
    e1=$(errlines)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%.3f\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$site" "$c" "$rep" "$found" "$ntrue" \
        "$M_WALL" "$M_USER" "$M_SYS" "$M_RSS" "$M_RC" "$((e1 - e0))" >> "$RES"
    log "$(printf '%-8s %-8s c=%-3s rep %s: %6s/%-6s pages %7.2fs rc=%s' "$tool" "$site" "$c" "$rep" "$found" "$ntrue" "$M_WALL" "$M_RC")"
    # keep the scratch small: tmpfs is RAM
    rm -rf "$d/dl" "$d/ht" "$d/storage"
    [[ $tool == spider ]] && rm -rf "$d"/spider* 2>/dev/null || true
    return 0
}

run_wrk() {  # run_wrk SITE CONC REP
    local site=$1 c=$2 rep=$3 o
    o=$(WRK_PATHS=$SITES_DIR/$site.paths taskset -c 1 timeout 60 wrk -t1 -c"$c" -d"${WRK_SECS}s" \
        -s "$BENCH/wrk_paths.lua" "http://127.0.0.1:${PORT[$site]}/" 2>&1) || true
    local rps non2xx
    rps=$(echo "$o" | awk '/Requests\/sec/{print $2}')
    non2xx=$(echo "$o" | awk '/Non-2xx/{print $NF}')
    printf 'wrk\t%s\t%s\t%s\t%s\t%s\t%s\t0\t0\t0\t0\t%s\n' "$site" "$c" "$rep" "${rps:-0}" \
        "$(wc -l < "$SITES_DIR/$site.paths")" "$WRK_SECS" "${non2xx:-0}" >> "$RES"
    log "wrk      $site c=$c rep $rep: ${rps:-?} req/s (non-2xx: ${non2xx:-0})"
}

# ---------------------------------------------------------------- main scenario
if [[ " $SCENARIOS " == *" main "* ]]; then
    log "main scenario: sites [$SITES], concurrency [$CONCS], $REPS interleaved runs, peers [$OK_PEERS]"
    for rep in $(seq "$REPS"); do
        for site in $SITES; do
            for c in $CONCS; do
                tools="trawl"
                for p in $OK_PEERS; do
                    case $p in
                        # no concurrency setting: run once per rep, paired with trawl at
                        # the highest concurrency (-j 64, where the targets are set)
                        wget|spider) [[ $c == "${CONCS##* }" ]] && tools+=" $p" ;;
                        # httrack (~1 page/s here): once, at the first concurrency, on the small real site
                        httrack) [[ $c == "${CONCS%% *}" && $site == python && $rep == 1 ]] && tools+=" $p" ;;
                        scrapy|crawlee) [[ " $SLOW_CONCS " == *" $c "* && ( $site == python || $rep == 1 ) ]] && tools+=" $p" ;;
                        *) tools+=" $p" ;;
                    esac
                done
                # rotate the order each rep so no tool always runs first
                set -- $tools; n=$#; k=$(( (rep - 1) % n ))
                order="${*:k+1} ${*:1:k}"
                for t in $order; do run_tool "$t" "$site" "$c" "$rep"; done
                run_wrk "$site" "$c" "$rep"
            done
        done
    done
fi

# ---------------------------------------------------------------- latency scenario
LAT=$OUT/latency.tsv
printf 'tool\tconc\thosts\tfound\twall_s\trc\n' > "$LAT"
# The latency site: nginx in a network namespace of its own ($NS, reached over a
# veth pair), every response held back 100 ms.  lat_up SCENARIO starts it (or
# writes $OUT/SCENARIO.skipped and fails); lat_down SCENARIO stops it.
lat_up() {
    if [[ -z $LOADMOD ]]; then
        log "$1 scenario skipped: no ngx_http_echo_module (libnginx-mod-http-echo)"
        echo "skipped: libnginx-mod-http-echo missing" > "$OUT/$1.skipped"
        return 1
    elif ! ip netns add "$NS" 2>"$OUT/$1.skipped"; then
        log "$1 scenario skipped: ip netns add failed"
        return 1
    fi
    rm -f "$OUT/$1.skipped"
    gen lat 2000 ""   # no absolute links: the site is served under many host names
    python3 "$BENCH/truecount.py" "$SITES_DIR/lat" "$SITES_DIR/lat.paths" >/dev/null
    ip link add tbv0 type veth peer name tbv1
    ip link set tbv1 netns "$NS"
    ip addr add 10.231.0.1/30 dev tbv0; ip link set tbv0 up
    ip netns exec "$NS" ip addr add "$NS_ADDR/30" dev tbv1
    ip netns exec "$NS" ip link set tbv1 up
    ip netns exec "$NS" ip link set lo up
    render "$BENCH/nginx-latency.conf.in" "$RUN/nginx-lat.conf" -e "s|@ADDR@|$NS_ADDR|g" -e "s|@SITE@|$SITES_DIR/lat|g"
    : > "$RUN/nginx-lat-error.log"
    ip netns exec "$NS" taskset -c 0 nginx -q -c "$RUN/nginx-lat.conf" -p "$RUN" -g "user root;"
    sleep 0.3
    python3 - "$NS_ADDR" <<'EOF'
import sys, time, urllib.request
t = time.time(); urllib.request.urlopen(f"http://{sys.argv[1]}:8090/", timeout=5).read()
print(f"latency site answers in {1000*(time.time()-t):.0f} ms", file=sys.stderr)
EOF
}
lat_down() {  # keeps nginx's serious errors in $OUT/SCENARIO-nginx-errors.txt
    grep -E '\[(error|crit|alert|emerg)\]' "$RUN/nginx-lat-error.log" > "$OUT/$1-nginx-errors.txt" || true
    kill -QUIT "$(cat "$RUN/nginx-lat.pid" 2>/dev/null)" 2>/dev/null || true; sleep 0.5; rm -f "$RUN/nginx-lat.pid"
    ip netns del "$NS" 2>/dev/null || true
    ip link del tbv0 2>/dev/null || true
}
if [[ " $SCENARIOS " == *" latency "* ]]; then
    if lat_up latency; then
        NHOSTS=20
        resolve=(); seeds=()
        for i in $(seq -w 1 $NHOSTS); do resolve+=(--resolve "h$i.bench:$NS_ADDR"); seeds+=("http://h$i.bench:8090/"); done
        for c in $LAT_CONCS; do
            ph=$(( c / 16 > 4 ? c / 16 : 4 ))
            d=$SCRATCH/lat-trawl-$c; rm -rf "$d"; mkdir -p "$d"
            # 20 virtual hosts, --per-host $ph: per-host limits do not cap -j;
            # 50 x C pages: ~5 s at the bound, whatever C (the 20 roots' ramp stays small)
            measure "$d" 120 "$TRAWL" crawl --depth 1000 -j "$c" --per-host "$ph" --robots ignore \
                --max-pages $((c * 50)) --progress never -q -o "$d/out.jsonl" --stats "$d/stats.json" \
                "${resolve[@]}" "${seeds[@]}"
            found=$(python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get('status')==200))" "$d/out.jsonl")
            printf 'trawl\t%s\t%s\t%s\t%.3f\t%s\n' "$c" "$NHOSTS" "$found" "$M_WALL" "$M_RC" >> "$LAT"
            log "latency trawl c=$c: $found pages in ${M_WALL}s"
        done
        # peers: one host, whole site, at -j 64 (spider_cli: its own ~30)
        for p in $LAT_PEERS; do
            [[ " $OK_PEERS " == *" $p "* ]] || continue
            for c in $([[ $p == spider ]] && echo 30 || echo 64); do
                d=$SCRATCH/lat-$p-$c; rm -rf "$d"; mkdir -p "$d"
                url="http://$NS_ADDR:8090/"
                case $p in
                    scrapy) measure "$d" 120 "$CACHE/venv/bin/scrapy" runspider "$BENCH/peers/scrapy_spider.py" \
                                -a start="$url" -a out="$d/urls.txt" -s CONCURRENT_REQUESTS="$c" \
                                -s CONCURRENT_REQUESTS_PER_DOMAIN="$c" -s CONCURRENT_REQUESTS_PER_IP=0 ; f=$d/urls.txt ;;
                    spider) LINKS_VISITED_MEMORY_LIMIT=100000000 TMPDIR=$d measure "$d" 120 "$SPIDER" --url "$url" -d 1000 crawl --output-links; f=$d/stdout ;;
                    crawlee) CRAWLEE_PERSIST_STORAGE=false CRAWLEE_STORAGE_DIR=$d/storage \
                                measure "$d" 120 node "$CACHE/node/crawlee_cheerio.mjs" "$url" "$c" "$d/urls.txt"; f=$d/urls.txt ;;
                esac
                found=$(python3 "$BENCH/count_found.py" lines "$f" "$SITES_DIR/lat.paths")
                printf '%s\t%s\t1\t%s\t%.3f\t%s\n' "$p" "$c" "$found" "$M_WALL" "$M_RC" >> "$LAT"
                log "latency $p c=$c: $found pages in ${M_WALL}s"
                rm -rf "$d"/spider* "$d/storage" 2>/dev/null || true
            done
        done
        lat_down latency
    fi
fi

# ---------------------------------------------------------------- memory scenario
MEM=$OUT/memory.tsv
printf 'variant\tfetched\tdiscovered\tpending\twall_s\tmaxrss_kb\trc\n' > "$MEM"
if [[ " $SCENARIOS " == *" memory "* ]]; then
    # root -> 100 list pages -> 10,000 distinct URLs each = 1,000,000 URLs in the frontier
    [[ -s $SITES_DIR/frontier/l/99.html ]] || python3 "$BENCH/gen_site.py" frontier "$SITES_DIR/frontier" 100 10000
    for variant in memory state; do
        d=$SCRATCH/mem-$variant; rm -rf "$d"; mkdir -p "$d"
        extra=(); [[ $variant == state ]] && extra=(--state "$d/state.db")
        measure "$d" 600 "$TRAWL" crawl --depth 2 -j 16 --per-host 16 --robots ignore --max-pages 120 \
            --progress never -q -o "$d/out.jsonl" --stats "$d/stats.json" "${extra[@]}" "http://127.0.0.1:8086/"
        read -r fetched discovered < <(python3 - "$d/out.jsonl" <<'EOF'
import json, sys
n, links = 0, set()
for line in open(sys.argv[1]):
    r = json.loads(line); n += 1; links.update(r.get("links") or [])
print(n, len(links))
EOF
)
        printf '%s\t%s\t%s\t%s\t%.3f\t%s\t%s\n' "$variant" "$fetched" "$discovered" "$((discovered - fetched))" \
            "$M_WALL" "$M_RSS" "$M_RC" >> "$MEM"
        log "memory ($variant): $fetched fetched, $discovered URLs discovered, peak RSS ${M_RSS} KB, ${M_WALL}s"
        rm -rf "$d"
    done
fi

# ---------------------------------------------------------------- rate fidelity
# One host (the 10,000-page synthetic site, logged by its own nginx server)
# crawled at each --rate in RATES, for RATE_SECS or until about 80% of the
# site is fetched; request arrival times from nginx's access log.
RATEF=$OUT/rate.jsonl
rm -f "$RATEF" "$OUT/rate.json"
if [[ " $SCENARIOS " == *" rate "* ]]; then
    for R in $RATES; do for rep in $(seq "$RATE_REPS"); do
        secs=$(awk -v s="$RATE_SECS" -v r="$R" 'BEGIN{t = int(8000 / r); if (t < 2) t = 2; print (t < s ? t : s)}')
        : > "$RUN/rate-access.log"
        d=$SCRATCH/rate; rm -rf "$d"; mkdir -p "$d"
        measure "$d" $((secs + 30)) "$TRAWL" crawl --depth 1000 --rate "$R" --per-host 4 --robots ignore \
            --max-time "${secs}s" --progress never -q -o /dev/null --stats "$d/stats.json" "http://127.0.0.1:8085/"
        sleep 0.5
        python3 - "$RUN/rate-access.log" "$secs" "$M_RC" "$R" >> "$RATEF" <<'EOF'
import json, sys
# $msec is when the response ended; minus $request_time = when the request arrived
# (both to the millisecond, from nginx's time cached per turn of its loop)
t = sorted(float(l.split()[0]) - float(l.split()[1]) for l in open(sys.argv[1]) if l.strip())
gaps = [b - a for a, b in zip(t, t[1:])]
span = t[-1] - t[0] if len(t) > 1 else 0
# A request sent late shortens the gap after it though both were released on
# time; so also: how far any request came ahead of the schedule (one every 1/R)
# of the least late of the 50 before it (what the integration test checks).
period = 1 / float(sys.argv[4])
late = [x - t[0] - i * period for i, x in enumerate(t)]
ahead = max((min(late[max(0, i - 50):i]) - late[i] for i in range(1, len(t))), default=0)
print(json.dumps({"target": float(sys.argv[4]), "requests": len(t), "span_s": round(span, 3),
                  "secs": int(sys.argv[2]), "rc": int(sys.argv[3]),
                  "rate": round((len(t) - 1) / span, 3) if span else None,
                  "min_gap_ms": round(1000 * min(gaps), 1) if gaps else None,
                  "median_gap_ms": round(1000 * sorted(gaps)[len(gaps) // 2], 1) if gaps else None,
                  "max_gap_ms": round(1000 * max(gaps), 1) if gaps else None,
                  "ahead_ms": round(1000 * max(ahead, 0), 1)}))
EOF
        log "rate $R ($rep): $(tail -1 "$RATEF")"
        rm -rf "$d"
    done; done
fi

# ---------------------------------------------------------------- broad crawl
# BROAD_HOSTS host names (hI.test) in front of one nginx port: every host serves
# the same 5-page site and a robots.txt (broad.py).  trawl maps the names to
# 127.0.0.1 with `resolve = [...]` in a config file and runs with its defaults
# (robots obeyed, --per-host 4, --depth 3); wget and Scrapy reach the names
# through nginx as their HTTP proxy.  Per run: pages answered 200, error records
# by kind, wall, peak RSS, and the max open fds of the tool (broad.py sample).
BROAD=$OUT/broad.tsv
rm -f "$OUT/broad.json"
printf 'tool\tconc\thosts\tnofile\tok\texpected\trecords\terrors\twall_s\tuser_s\tsys_s\tmaxrss_kb\tmax_fds\tfd_samples\tnofile_seen\trc\tnginx_errors\tnote\n' > "$BROAD"
broad_row() {  # broad_row TOOL CONC NOFILE COUNT_JSON FD_JSON NGINX_ERRORS NOTE
    python3 - "$@" "$BROAD_HOSTS" "$M_WALL" "$M_USER" "$M_SYS" "$M_RSS" "$M_RC" >> "$BROAD" <<'PY'
import json, os, sys
tool, conc, nofile, cnt, fds, nerr, note, hosts, wall, user, sys_, rss, rc = sys.argv[1:]
c = json.loads(cnt) if cnt else {}
fd = json.load(open(fds)) if fds and os.path.exists(fds) else {}
errs = (",".join(f"{k}:{v}" for k, v in c.get("errors", {}).items()) or "0") if c else ""
print("\t".join(str(x) for x in [tool, conc, hosts, nofile, c.get("ok", ""), c.get("expected", ""), c.get("records", ""),
      errs, wall, user, sys_, rss, fd.get("max_fds", ""), fd.get("samples", ""), fd.get("nofile_seen") or "", rc, nerr, note]))
PY
}
run_broad() {  # run_broad TOOL CONC [NOFILE]   (NOFILE: `ulimit -n` for the tool only)
    local tool=$1 c=$2 lim=${3:-} d e0 kind out tmo=$BROAD_TMO note="" nofile
    d=$SCRATCH/broad-$tool-$c${lim:+-n$lim}; rm -rf "$d"; mkdir -p "$d"
    local wrap=(); [[ -n $lim ]] && wrap=(bash -c 'ulimit -n "$0" && exec "$@"' "$lim")
    nofile=${lim:+$lim/$lim}; nofile=${nofile:-$(ulimit -Sn)/$(ulimit -Hn)}
    e0=$(errlines "$RUN/nginx-broad-error.log")
    local proxy=http://127.0.0.1:$BROAD_PORT/
    case $tool in
        trawl)
            kind=trawl; out=$d/out.jsonl
            FD_OUT=$d/fds.json measure "$d" "$tmo" "${wrap[@]}" "$TRAWL" crawl --seeds "$BROAD_DIR/seeds.txt" \
                --config "$BROAD_DIR/hosts.toml" -j "$c" --progress never -q -o "$out" --stats "$d/stats.json" ;;
        wget)
            # serial; no -H: links are followed on the host of the page they are on only.
            # Through the proxy wget has one server, so it keeps one connection for all hosts
            kind=wget; out=$d/wget.log; note="serial, via nginx as HTTP proxy"
            FD_OUT=$d/fds.json measure "$d" "$tmo" "${wrap[@]}" wget --recursive --level=3 -i "$BROAD_DIR/seeds.txt" \
                -e use_proxy=on -e http_proxy="$proxy" --no-verbose -o "$out" --delete-after -P "$d/dl" ;;
        scrapy)
            kind=scrapy; out=$d/lines.txt; tmo=$BROAD_SLOW_CAP; note="via nginx as HTTP proxy; cap ${tmo}s"
            http_proxy=$proxy FD_OUT=$d/fds.json measure "$d" "$tmo" "${wrap[@]}" "$CACHE/venv/bin/scrapy" runspider \
                "$BENCH/peers/scrapy_broad.py" -a seeds="$BROAD_DIR/seeds.txt" -a out="$out" -s CONCURRENT_REQUESTS="$c" ;;
    esac
    [[ $M_RC == 124 || $M_RC == 137 ]] && note+="${note:+; }hit the ${tmo}s timeout (partial)"
    local cnt; cnt=$(python3 "$BENCH/broad.py" count "$kind" "$out" "$BROAD_HOSTS" 2>/dev/null || echo '{}')
    broad_row "$tool" "$c" "$nofile" "$cnt" "$d/fds.json" "$(( $(errlines "$RUN/nginx-broad-error.log") - e0 ))" "$note"
    log "broad $(printf '%-6s -j %-3s ulimit -n %-11s' "$tool" "$c" "$nofile"): $(tail -1 "$BROAD" | cut -f5,6,8,9,13 | tr '\t' ' ') (ok expected errors wall max_fds), rc=$M_RC"
    rm -rf "$d/dl"
    sleep 1   # let the previous run's sockets close before the next one starts
}
if [[ " $SCENARIOS " == *" broad "* ]]; then
    BROAD_DIR=$SITES_DIR/broad-$BROAD_HOSTS
    python3 "$BENCH/broad.py" site "$SITES_DIR/broad-site"
    python3 "$BENCH/broad.py" hosts "$BROAD_HOSTS" "$BROAD_PORT" "$BROAD_DIR"
    # nginx alone gets the most open files this shell may have (the hard limit);
    # the tools keep the shell's soft limit, recorded per run
    NGX_NOFILE=$(ulimit -Hn); [[ $NGX_NOFILE == unlimited || $NGX_NOFILE -gt 200000 ]] && NGX_NOFILE=200000
    render "$BENCH/nginx-broad.conf.in" "$RUN/nginx-broad.conf" -e "s|@NOFILE@|$NGX_NOFILE|" \
        -e "s|@WCONN@|$(( NGX_NOFILE > 2048 ? NGX_NOFILE - 1000 : NGX_NOFILE / 2 ))|" -e "s|@KEEPALIVE@|$BROAD_KEEPALIVE|" \
        -e "s|@PORT@|$BROAD_PORT|" -e "s|@SITE@|$SITES_DIR/broad-site|"
    : > "$RUN/nginx-broad-error.log"
    printf '{"hosts": %s, "keepalive": "%s", "nginx_nofile": %s, "worker_connections": %s, "shell_nofile": "%s", "fd_sample_ms": %s, "low_nofile": "%s"}\n' \
        "$BROAD_HOSTS" "$BROAD_KEEPALIVE" "$NGX_NOFILE" "$(( NGX_NOFILE > 2048 ? NGX_NOFILE - 1000 : NGX_NOFILE / 2 ))" \
        "$(ulimit -Sn)/$(ulimit -Hn)" "$FD_SAMPLE_MS" "$BROAD_LOW_NOFILE" > "$OUT/broad.json"
    (ulimit -n "$NGX_NOFILE"; taskset -c 0 nginx -q -c "$RUN/nginx-broad.conf" -p "$RUN" -g "user root;")
    sleep 0.3
    curl_ok "http://127.0.0.1:$BROAD_PORT/" || { echo "broad nginx does not answer" >&2; exit 1; }
    # the peers' route: an absolute-form request for hI.test through nginx as a proxy
    python3 - "$BROAD_PORT" <<'PY' || { echo "broad nginx does not serve absolute-form requests" >&2; exit 1; }
import sys, urllib.request
p = urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{sys.argv[1]}"})
r = urllib.request.build_opener(p).open(f"http://h1.test:{sys.argv[1]}/robots.txt", timeout=5)
sys.exit(0 if r.status == 200 and b"Disallow" in r.read() else 1)
PY
    log "broad crawl: $BROAD_HOSTS hosts x 5 pages, trawl -j [$BROAD_CONCS]${BROAD_LOW_NOFILE:+ and -j 64 under ulimit -n $BROAD_LOW_NOFILE}, peers [${BROAD_OK:-none}]"
    for c in $BROAD_CONCS; do run_broad trawl "$c"; done
    [[ -n $BROAD_LOW_NOFILE ]] && run_broad trawl 64 "$BROAD_LOW_NOFILE"
    for p in $BROAD_PEERS; do
        if [[ " $BROAD_OK " != *" $p "* ]]; then
            M_WALL=""; M_USER=""; M_SYS=""; M_RSS=""; M_RC=""
            broad_row "$p" "" "" "" "" "" "not installed (see Peers)"
            continue
        fi
        case $p in
            wget) run_broad wget 1 ;;
            scrapy) run_broad scrapy "${BROAD_CONCS%% *}" ;;
            spider)
                # spider_cli crawls one site per process: `--url` takes one URL, there is
                # no seed list or stdin; `-E/--external-domains` only lets links from that
                # site reach other domains.  One host it does crawl through `-p/--proxy-url`.
                M_WALL=""; M_USER=""; M_SYS=""; M_RSS=""; M_RC=""
                broad_row spider "" "" "" "" "" "cannot: spider_cli takes one --url per run (no seed list, no stdin); -E/--external-domains only widens the link scope of that one site, and these sites do not link to each other. One host it crawls fine through -p http://127.0.0.1:$BROAD_PORT (nginx as proxy: 5/5 pages), but $BROAD_HOSTS sites would be $BROAD_HOSTS processes, not one crawl"
                log "broad spider: cannot crawl a seed list (one --url per process)" ;;
            *) log "broad: no broad-crawl command for peer $p" ;;
        esac
    done
    grep -E '\[(error|crit|alert|emerg)\]' "$RUN/nginx-broad-error.log" > "$OUT/broad-nginx-errors.txt" || true
    kill -QUIT "$(cat "$RUN/nginx-broad.pid" 2>/dev/null)" 2>/dev/null || true; sleep 0.5; rm -f "$RUN/nginx-broad.pid"
fi

# ---------------------------------------------------------------- WARC archives
# The cost of --warc: each site of SITES among python and syn10k crawled whole
# at -j 64 by trawl without an archive, with FILE.warc.gz and with FILE.warc,
# and by wget --warc-file (gzip, its only form) beside wget without it; REPS
# interleaved rounds. Pages from each tool's own output, the archive's size,
# and every trawl archive checked by warcio (valid/invalid in the table).
WARCT=$OUT/warc.tsv
printf 'tool\tvariant\tsite\trep\tfound\twall_s\tuser_s\tsys_s\tmaxrss_kb\tarchive_bytes\tvalid\trc\n' > "$WARCT"
if [[ " $SCENARIOS " == *" warc "* ]]; then
    WARCIO_PY=$CACHE/warcio-venv/bin/python
    if [[ ! -x $WARCIO_PY ]]; then
        { python3 -m venv "$CACHE/warcio-venv" && timeout 300 "$CACHE/warcio-venv/bin/pip" install -q 'warcio==1.8.1'; } >"$CACHE/warcio.log" 2>&1 || true
    fi
    warc_row() {  # warc_row TOOL VARIANT SITE REP KIND OUT ARCHIVE
        local found bytes=0 valid=-
        found=$(python3 "$BENCH/count_found.py" "$5" "$6" "$SITES_DIR/$3.paths")
        if [[ -n $7 && -e $7 ]]; then
            bytes=$(stat -c %s "$7")
            if [[ $1 == trawl && -x $WARCIO_PY ]]; then
                if "$WARCIO_PY" -m warcio.cli check "$7" >/dev/null 2>&1; then valid=yes; else valid=NO; fi
            fi
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%.3f\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$found" "$M_WALL" "$M_USER" \
            "$M_SYS" "$M_RSS" "$bytes" "$valid" "$M_RC" >> "$WARCT"
        log "warc $(printf '%-6s %-8s %-7s rep %s: %6s pages %7.2fs %s bytes %s' "$1" "$2" "$3" "$4" "$found" "$M_WALL" "$bytes" "$valid")"
    }
    for rep in $(seq "$REPS"); do
        for site in $SITES; do
            [[ $site == python || $site == syn10k ]] || continue
            url="http://127.0.0.1:${PORT[$site]}/"
            for v in none gz plain; do
                d=$SCRATCH/warc-trawl-$v; rm -rf "$d"; mkdir -p "$d"
                a=(); f=""
                [[ $v == gz ]] && { f=$d/a.warc.gz; a=(--warc "$f"); }
                [[ $v == plain ]] && { f=$d/a.warc; a=(--warc "$f"); }
                measure "$d" "${TMO[$site]}" "$TRAWL" crawl --depth 1000 -j 64 --per-host 64 --robots ignore \
                    --progress never -q -o "$d/out.jsonl" "${a[@]}" "$url"
                warc_row trawl "$v" "$site" "$rep" trawl "$d/out.jsonl" "$f"
                rm -rf "$d"
            done
            if [[ " $OK_PEERS " == *" wget "* ]]; then
                for v in none gz; do
                    d=$SCRATCH/warc-wget-$v; rm -rf "$d"; mkdir -p "$d"
                    a=(); f=""
                    [[ $v == gz ]] && { a=(--warc-file="$d/a"); f=$d/a.warc.gz; }
                    measure "$d" "${TMO[$site]}" wget --recursive --level=inf -e robots=off --no-verbose -o "$d/wget.log" \
                        --delete-after -P "$d/dl" --no-host-directories "${a[@]}" \
                        -R 'png,jpg,jpeg,gif,svg,ico,css,js,woff,woff2,ttf,txt,gz,zip,bz2,xz,pdf,epub' "$url"
                    warc_row wget "$v" "$site" "$rep" wget "$d/wget.log" "$f"
                    rm -rf "$d"
                done
            fi
        done
    done
fi

# ---------------------------------------------------------------- content
# The cost of --markdown: each site of SITES among python and syn10k crawled
# whole at -j 64 by trawl without content, with --markdown, and with
# --markdown --text; REPS interleaved rounds. Pages from trawl's output;
# records holding Markdown counted. With spider in PEERS, spider_cli too:
# `spider --return-format markdown scrape` over the same site at its own
# concurrency (no option sets it), pages counted from its output's "url"s,
# records with a non-empty "content" as with Markdown.
CONT=$OUT/content.tsv
printf 'variant\tsite\trep\tfound\twith_markdown\twall_s\tuser_s\tsys_s\tmaxrss_kb\trc\n' > "$CONT"
if [[ " $SCENARIOS " == *" content "* ]]; then
    for rep in $(seq "$REPS"); do
        for site in $SITES; do
            [[ $site == python || $site == syn10k ]] || continue
            url="http://127.0.0.1:${PORT[$site]}/"
            for v in none markdown both; do
                d=$SCRATCH/content-$v; rm -rf "$d"; mkdir -p "$d"
                a=()
                [[ $v == markdown ]] && a=(--markdown)
                [[ $v == both ]] && a=(--markdown --text)
                measure "$d" "${TMO[$site]}" "$TRAWL" crawl --depth 1000 -j 64 --per-host 64 --robots ignore \
                    --progress never -q -o "$d/out.jsonl" "${a[@]}" "$url"
                found=$(python3 "$BENCH/count_found.py" trawl "$d/out.jsonl" "$SITES_DIR/$site.paths")
                md=$(grep -c '"markdown":"' "$d/out.jsonl" || true)
                printf '%s\t%s\t%s\t%s\t%s\t%.3f\t%s\t%s\t%s\t%s\n' "$v" "$site" "$rep" "$found" "$md" "$M_WALL" \
                    "$M_USER" "$M_SYS" "$M_RSS" "$M_RC" >> "$CONT"
                log "content $(printf '%-8s %-7s rep %s: %6s pages (%s with markdown) %7.2fs' "$v" "$site" "$rep" "$found" "$md" "$M_WALL")"
                rm -rf "$d"
            done
            if [[ " $PEERS " == *" spider "* && -x ${SPIDER:-} ]]; then
                d=$SCRATCH/content-spider; rm -rf "$d"; mkdir -p "$d"
                LINKS_VISITED_MEMORY_LIMIT=100000000 TMPDIR=$d measure "$d" "${TMO[$site]}" "$SPIDER" --url "$url" \
                    -d 1000 --return-format markdown scrape
                sed -nE 's/^  "url": "(.*)",?$/\1/p' "$d/stdout" > "$d/urls"
                found=$(python3 "$BENCH/count_found.py" lines "$d/urls" "$SITES_DIR/$site.paths")
                md=$(grep -cE '^  "content": ".' "$d/stdout" || true)
                printf '%s\t%s\t%s\t%s\t%s\t%.3f\t%s\t%s\t%s\t%s\n' spider-md "$site" "$rep" "$found" "$md" "$M_WALL" \
                    "$M_USER" "$M_SYS" "$M_RSS" "$M_RC" >> "$CONT"
                log "content $(printf '%-8s %-7s rep %s: %6s pages (%s with markdown) %7.2fs' spider-md "$site" "$rep" "$found" "$md" "$M_WALL")"
                rm -rf "$d"
            fi
        done
    done
fi

# ---------------------------------------------------------------- render
# The cost of --render: python3-doc (when in SITES) and the mixed site
# (gen_render.py: 501 static pages, 10 shells whose scripts link 20 more)
# crawled whole at -j 64 with --render never, auto and always (the browser
# at its default 4 pages at once); REPS interleaved rounds. Memory is the
# peak of trawl and its browser's processes together (broad.py's sampler,
# RSS and PSS summed over the process tree every 100 ms). CPU is what
# /usr/bin/time counts: trawl's, and the browser's main process's (which
# trawl waits for); the browser's helpers are reaped by the browser, so
# their CPU is in it too. Pages rendered counted from the records.
REND=$OUT/render.tsv
printf 'variant\tsite\trep\tfound\ttrue\trendered\twall_s\tuser_s\tsys_s\tmaxrss_kb\ttree_rss_kb\ttree_pss_kb\trc\n' > "$REND"
if [[ " $SCENARIOS " == *" render "* ]]; then
    [[ ${SKIP_INSTALL:-0} == 1 ]] || have chromium || apt_install chromium || log "apt-get install chromium failed"
    if have chromium; then
        render_sites=mixed
        [[ " $SITES " == *" python "* ]] && render_sites="python mixed"
        for rep in $(seq "$REPS"); do
            for site in $render_sites; do
                port=${PORT[$site]:-8088}
                for v in never auto always; do
                    d=$SCRATCH/render-$v; rm -rf "$d"; mkdir -p "$d"
                    TMPDIR=$d FD_OUT=$d/tree.json SAMPLE_MEMORY=1 FD_SAMPLE_MS=100 measure "$d" 900 "$TRAWL" crawl \
                        --depth 1000 -j 64 --per-host 64 --robots ignore --progress never -q -o "$d/out.jsonl" \
                        --render "$v" "http://127.0.0.1:$port/"
                    found=$(python3 "$BENCH/count_found.py" trawl "$d/out.jsonl" "$SITES_DIR/$site.paths")
                    ntrue=$(wc -l < "$SITES_DIR/$site.paths")
                    rendered=$(grep -c '"rendered":true' "$d/out.jsonl" || true)
                    read -r trss tpss < <(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j.get("max_rss_kb",0), j.get("max_pss_kb",0))' "$d/tree.json" 2>/dev/null || echo "0 0")
                    printf '%s\t%s\t%s\t%s\t%s\t%s\t%.3f\t%s\t%s\t%s\t%s\t%s\t%s\n' "$v" "$site" "$rep" "$found" "$ntrue" \
                        "$rendered" "$M_WALL" "$M_USER" "$M_SYS" "$M_RSS" "$trss" "$tpss" "$M_RC" >> "$REND"
                    log "render $(printf '%-6s %-7s rep %s: %5s/%-5s pages (%s rendered) %7.2fs tree PSS %s kB' "$v" "$site" "$rep" "$found" "$ntrue" "$rendered" "$M_WALL" "$tpss")"
                    rm -rf "$d"
                done
            done
        done
    else
        echo "no chromium (apt-get install chromium)" > "$OUT/render.skipped"
    fi
fi

# ---------------------------------------------------------------- shared crawl on Redis
# A Redis of its own (127.0.0.1:$REDIS_PORT, no persistence, core 0 with nginx;
# every worker on core 1), flushed before each run (shared.py).
#  1. latency-bound: the 100 ms site under SHARED_HOSTS host names; one worker
#     in memory, then 1, 2, 3 workers on Redis, each at -j SHARED_CONC with
#     --max-pages SHARED_PAGES x C x workers (SHARED_PAGES/10 s at the bound);
#  2. CPU-bound: the small synthetic site at -j 64, one worker, in memory and
#     on Redis: the CPU that Redis costs per page (trawl's and the server's);
#  3. Redis memory per URL: the 1M-URL frontier site, --max-pages 101, then
#     MEMORY USAGE of every key of the crawl.
SHR=$OUT/shared.jsonl
rm -f "$SHR" "$OUT/shared.skipped"
if [[ " $SCENARIOS " == *" redis "* ]]; then
    [[ ${SKIP_INSTALL:-0} == 1 ]] || have redis-server || apt_install redis-server || true
    if ! have redis-server || ! have redis-cli; then
        log "redis scenario skipped: no redis-server"
        echo "skipped: redis-server missing (apt-get install redis-server)" > "$OUT/shared.skipped"
    else
        mkdir -p "$RUN/redis"
        redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        taskset -c 0 redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
            --dir "$RUN/redis" --daemonize yes --pidfile "$RUN/redis.pid" --logfile "$RUN/redis.log"
        for _ in $(seq 100); do [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && break; sleep 0.05; done
        log "redis scenario: $(redis-server --version | cut -d' ' -f1-3) on 127.0.0.1:$REDIS_PORT"
        shared() { python3 "$BENCH/shared.py" run "$SHR" "$@"; }
        if lat_up shared; then
            resolve=(); seeds=()
            for i in $(seq -w 1 "$SHARED_HOSTS"); do resolve+=(--resolve "s$i.bench:$NS_ADDR"); seeds+=("http://s$i.bench:8090/"); done
            for rep in $(seq "$SHARED_REPS"); do
                for v in "memory 1" "redis 1" "redis 2" "redis 3"; do
                    set -- $v; port=0; [[ $1 == redis ]] && port=$REDIS_PORT
                    shared latency "$2" "$port" "$SCRATCH/shared" -- "$TRAWL" crawl --depth 1000 -j "$SHARED_CONC" \
                        --per-host 4 --robots ignore --max-pages $((SHARED_CONC * SHARED_PAGES * $2)) --progress never \
                        "${resolve[@]}" "${seeds[@]}"
                done
            done
            lat_down shared
        fi
        if [[ $QUICK == 1 ]]; then gen syn2k 2000 8085; cpu_url=http://127.0.0.1:8085/; else gen syn10k 10000 8083; cpu_url=http://127.0.0.1:8083/; fi
        for rep in $(seq "$SHARED_REPS"); do
            for port in 0 "$REDIS_PORT"; do
                shared cpu 1 "$port" "$SCRATCH/shared" -- "$TRAWL" crawl --depth 1000 -j 64 --per-host 64 \
                    --robots ignore --progress never "$cpu_url"
            done
        done
        [[ -s $SITES_DIR/frontier/l/99.html ]] || python3 "$BENCH/gen_site.py" frontier "$SITES_DIR/frontier" 100 10000
        shared frontier 1 "$REDIS_PORT" "$SCRATCH/shared" -- "$TRAWL" crawl --depth 2 -j 16 --per-host 16 \
            --robots ignore --max-pages 101 --progress never http://127.0.0.1:8086/
        python3 "$BENCH/shared.py" memory "$SHR" frontier "$REDIS_PORT"
        rm -rf "$SCRATCH/shared"
        redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    fi
fi

# ---------------------------------------------------------------- report
cp "$RUN/nginx-error.log" "$OUT/nginx-error.log" 2>/dev/null || true
ELAPSED=$(( $(date +%s) - T0 ))
python3 "$BENCH/report.py" --out "$OUT" --mode "$MODE" --elapsed "$ELAPSED" --trawl "$TRAWL_VERSION" \
    --reps "$REPS" --sites "$SITES" --build "$BUILD_SECS" --broad-hosts "$BROAD_HOSTS" --load "$LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)" > "$RESULTS"
log "done in ${ELAPSED}s (of which installs+build $((TB - T0 + BUILD_SECS))s); wrote $RESULTS"
