#!/bin/sh
# netdump node capture: the node-level part of a netdump bundle (docs/bundle-format.md,
# nodes/<node>/...), taken with the standard tools of the host and nothing else.
#
#   sh node-capture.sh --out DIR [--node NAME] [--timeout SECONDS] [--host-root DIR]
#   sh node-capture.sh --tar [...]   > capture.tar   (the same files as a tar on stdout)
#   sh node-capture.sh --list                         (what it runs, and where each output goes)
#
# Every command runs on its own, with a timeout, its stdin closed, its stdout stored verbatim
# as one file and its stderr kept apart. A missing tool, a failure or a timeout is recorded
# and the capture goes on. capture-log/records.tsv holds one line per command (netdump turns
# them into manifest.json items); capture-log/stderr/<seq>.txt holds each non-empty stderr.
# Progress goes to stderr as `node-capture: <status> <path> ...` lines.
#
# It only reads: no rule, route, sysctl or module is changed. ipvsadm runs only when IPVS is
# already loaded, because on a node without it ipvsadm loads the ip_vs kernel module.
#
# POSIX sh (dash, busybox ash); the tools it needs besides the captured ones: mkdir, cat, rm,
# grep, sed, uname (and tar with --tar). Exit status: 0 done (whatever the commands did), 2 usage,
# 130 interrupted (what was captured is still written).

set -u

NODE=''
OUT=''
TAR=0
LIST=0
TIMEOUT=30
HOST_ROOT=''

# The capture specification: id, tool, flags, path under nodes/<node>/, command.
# Flags (comma-separated, '-' for none):
#   both-backends     run only when iptables-legacy-save and iptables-nft-save both exist
#   keep-if-rules     keep the output only when it holds a rule (an `-A` line) or a DROP policy
#   ipvs-loaded       run only when IPVS is loaded (/proc/net/ip_vs exists)
#   docker            run only when the docker command exists
#   list-args         `A $(B)`: run B, then A with its output; no output from B gives `[]`
#   stderr-in-output  append stderr to the output (sysctl's `cannot stat` lines mark absent keys)
#   file              read one file of the host
#   each-file         read each regular file of a host folder, into <path><file name>
# collector/collection-specs.ts holds the same table; a test keeps the two equal.
SPECS='iptables-save	iptables-save	-	iptables-save.txt	iptables-save
ip6tables-save	ip6tables-save	-	ip6tables-save.txt	ip6tables-save
iptables-legacy-save	iptables-legacy-save	both-backends,keep-if-rules	iptables-legacy-save.txt	iptables-legacy-save
iptables-nft-save	iptables-nft-save	both-backends	iptables-nft-save.txt	iptables-nft-save
nft-ruleset	nft	-	nft-ruleset.txt	nft list ruleset
ipset-save	ipset	-	ipset-save.txt	ipset save
ipvsadm	ipvsadm	ipvs-loaded	ipvsadm.txt	ipvsadm -Ln
ip-addr	ip	-	ip-addr.txt	ip -d addr show
ip-link	ip	-	ip-link.txt	ip -d -s link show
ip-route	ip	-	ip-route.txt	ip route show table all
ip-rule	ip	-	ip-rule.txt	ip rule show
sysctl	sysctl	stderr-in-output	sysctl.txt	sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter net.ipv4.conf.default.rp_filter net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max net.ipv4.ip_local_port_range net.ipv4.tcp_retries2 net.core.somaxconn
conntrack-stats	conntrack	-	conntrack-stats.txt	conntrack -S
conntrack-count	conntrack	-	conntrack-count.txt	conntrack -C
netstat-s	netstat	-	netstat-s.txt	netstat -s
resolv-conf	cat	file	resolv.conf	cat /etc/resolv.conf
cni	cat	each-file	cni/	cat /etc/cni/net.d/*
docker-networks	docker	docker,list-args	docker/networks.json	docker network inspect $(docker network ls -q)
docker-containers	docker	docker,list-args	docker/containers.json	docker inspect $(docker ps -q)'

TAB='	'
NL='
'

log() { printf 'node-capture: %s\n' "$*" >&2; }
usage_error() {
  log "$1"
  log 'usage: node-capture.sh (--out DIR | --tar | --list) [--node NAME] [--timeout SECONDS] [--host-root DIR]'
  exit 2
}

while [ $# -gt 0 ]; do
  case $1 in
    --out) [ $# -ge 2 ] || usage_error '--out needs a folder'; OUT=$2; shift 2 ;;
    --node) [ $# -ge 2 ] || usage_error '--node needs a name'; NODE=$2; shift 2 ;;
    --timeout) [ $# -ge 2 ] || usage_error '--timeout needs seconds'; TIMEOUT=$2; shift 2 ;;
    --host-root) [ $# -ge 2 ] || usage_error '--host-root needs a folder'; HOST_ROOT=${2%/}; shift 2 ;;
    --tar) TAR=1; shift ;;
    --list) LIST=1; shift ;;
    -h|--help)
      sed -n '2,/^$/p' "$0" 2>/dev/null | sed 's/^# \{0,1\}//' >&2
      exit 0 ;;
    *) usage_error "unknown argument: $1" ;;
  esac
done

if [ "$LIST" = 1 ]; then
  printf '%s\n' "$SPECS"
  exit 0
fi

case $TIMEOUT in
  ''|*[!0-9]*|0) usage_error "--timeout needs a whole number of seconds above 0, got: $TIMEOUT" ;;
esac
[ -n "$NODE" ] || NODE=$(uname -n)
case $NODE in
  ''|.|..|*[!A-Za-z0-9._-]*) usage_error "the node name must be a plain name (letters, digits, . _ -), got: $NODE" ;;
esac
if [ "$TAR" = 1 ]; then
  [ -z "$OUT" ] || usage_error 'use either --out or --tar'
  command -v tar >/dev/null 2>&1 || { log 'tar is needed for --tar'; exit 2; }
  # The tar goes to the original stdout (fd 3); anything else that would print goes to stderr.
  exec 3>&1 1>&2
  WORK=$(mktemp -d 2>/dev/null) || { WORK=${TMPDIR:-/tmp}/netdump-capture.$$; mkdir -m 700 "$WORK"; } || exit 2
  trap 'rm -rf "$WORK"' EXIT
else
  [ -n "$OUT" ] || usage_error 'say where to write: --out DIR, or --tar for a tar on stdout'
  WORK=$OUT
  # Files of an earlier capture would mix with this one's.
  [ ! -e "$WORK/nodes/$NODE" ] || usage_error "$WORK/nodes/$NODE exists already: choose another --out folder"
fi

NODE_DIR=$WORK/nodes/$NODE
LOG_DIR=$WORK/capture-log
RECORDS=$LOG_DIR/records.tsv
mkdir -p "$NODE_DIR" "$LOG_DIR/stderr" || exit 2
printf 'seq\tid\tpath\texitCode\tdurationMs\terror\tnote\tcommand\n' >"$RECORDS"

have() { command -v "$1" >/dev/null 2>&1; }

# Milliseconds since boot into NOW_MS, without forking: /proc/uptime has centiseconds.
now_ms() {
  if [ -r /proc/uptime ] && read -r NOW_UP _ </proc/uptime; then
    # "12345.67": the `1` prefix keeps a fraction such as "05" from reading as octal.
    NOW_MS=$(( ${NOW_UP%.*} * 1000 + 1${NOW_UP#*.} * 10 - 1000 ))
  else
    NOW_MS=$(( $(date +%s) * 1000 ))
  fi
}

# How to bound a command's run time: coreutils (and newer busybox) `timeout -k`, plain
# `timeout`, old busybox `timeout -t`, else a watchdog process that sends TERM, then KILL.
if have timeout && timeout -k 1 5 sh -c : >/dev/null 2>&1; then
  TIMEOUT_STYLE=kill
elif have timeout && timeout 5 sh -c : >/dev/null 2>&1; then
  TIMEOUT_STYLE=plain
elif have timeout && timeout -t 5 sh -c : >/dev/null 2>&1; then
  TIMEOUT_STYLE=busybox-t
else
  TIMEOUT_STYLE=watchdog
fi

# Ctrl-C, TERM or a hang-up stop the capture after the current command (which is ended too).
# A signal sent to a child between its fork and its exec is lost, so the flag file is made
# first: every command checks it just before it starts.
INTERRUPTED=0
INTERRUPT_FLAG=$WORK/.interrupted
rm -f "$INTERRUPT_FLAG"
CHILD=''
on_signal() {
  INTERRUPTED=1
  : >"$INTERRUPT_FLAG"
  [ -z "$CHILD" ] || kill -TERM "$CHILD" 2>/dev/null
}
trap on_signal INT TERM HUP

SEQ=0

# record ID PATH EXIT DURATION ERROR NOTE COMMAND: one line of records.tsv.
record() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SEQ" "$1" "$2" "$3" "$4" "$5" "$6" "$7" >>"$RECORDS"
}

# A command that was not run: recorded with its reason, and no output file.
skip_step() { # ID PATH COMMAND REASON
  SEQ=$((SEQ + 1))
  record "$1" "$2" '' '' '' "$4" "$3"
  log "skipped $2 ($4)"
}

# Single-quotes a word for sh -c.
quote() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# Starts `sh -c SCRIPT` in the background under the time limit, stdout to $1, stderr to $2.
# Sets CHILD; the watchdog, when used, writes $3 when it fired. Children do not get fd 3 (the
# tar stream of --tar): a command that outlives the script must not hold the stream open.
start_limited() {
  case $TIMEOUT_STYLE in
    kill) timeout -k 5 "$TIMEOUT" sh -c "$4" >"$1" 2>"$2" </dev/null 3>&- & CHILD=$! ;;
    plain) timeout "$TIMEOUT" sh -c "$4" >"$1" 2>"$2" </dev/null 3>&- & CHILD=$! ;;
    busybox-t) timeout -t "$TIMEOUT" sh -c "$4" >"$1" 2>"$2" </dev/null 3>&- & CHILD=$! ;;
    watchdog)
      sh -c "$4" >"$1" 2>"$2" </dev/null 3>&- &
      CHILD=$!
      (
        # Polls once a second, so it ends soon after the command does.
        waited=0
        while [ "$waited" -lt "$TIMEOUT" ]; do
          sleep 1
          kill -0 "$CHILD" 2>/dev/null || exit 0
          waited=$((waited + 1))
        done
        kill -TERM "$CHILD" 2>/dev/null && : >"$3"
        sleep 2
        kill -KILL "$CHILD" 2>/dev/null
      ) </dev/null >/dev/null 2>&1 3>&- &
      WATCHDOG=$!
      ;;
  esac
}

# run_step ID TOOL FLAGS PATH DISPLAY SCRIPT: runs SCRIPT (sh) into nodes/<node>/PATH.
run_step() {
  step_id=$1 step_tool=$2 step_flags=$3 step_path=$4 step_display=$5 step_script=$6
  SEQ=$((SEQ + 1))
  if ! have "$step_tool"; then
    record "$step_id" "$step_path" 127 0 'command not found' '' "$step_display"
    log "not-found $step_path ($step_tool is not installed)"
    return
  fi
  step_out=$NODE_DIR/$step_path
  step_err=$LOG_DIR/stderr/$SEQ.txt
  step_fired=$LOG_DIR/stderr/$SEQ.timeout
  mkdir -p "${step_out%/*}"
  now_ms; step_start=$NOW_MS
  WATCHDOG=''
  start_limited "$step_out" "$step_err" "$step_fired" "[ ! -e $(quote "$INTERRUPT_FLAG") ] || exit 130; $step_script"
  # A signal that came before CHILD was set found nothing to stop: stop it now.
  [ "$INTERRUPTED" = 0 ] || kill -TERM "$CHILD" 2>/dev/null
  wait "$CHILD" 2>/dev/null; step_rc=$?
  if [ "$INTERRUPTED" = 1 ]; then
    # A signal ends `wait` early; wait again for the child's own status (127: already reaped).
    wait "$CHILD" 2>/dev/null; step_again=$?
    [ "$step_again" = 127 ] || step_rc=$step_again
  fi
  CHILD=''
  [ -z "$WATCHDOG" ] || kill -TERM "$WATCHDOG" 2>/dev/null
  now_ms; step_ms=$((NOW_MS - step_start))

  step_error='' step_note=''
  if [ -e "$step_fired" ]; then
    step_error='timed out'; rm -f "$step_fired"
  elif [ "$TIMEOUT_STYLE" != watchdog ] && [ "$step_rc" = 124 ]; then
    step_error='timed out'
  elif [ "$TIMEOUT_STYLE" != watchdog ] && [ "$step_rc" -gt 128 ] && [ "$step_ms" -ge $((TIMEOUT * 1000 - 100)) ]; then
    step_error='timed out'
  elif [ "$INTERRUPTED" = 1 ] && [ "$step_rc" != 0 ]; then
    step_error='interrupted'
  fi

  case ",$step_flags," in
    *,stderr-in-output,*) [ -s "$step_err" ] && cat "$step_err" >>"$step_out" ;;
  esac
  if [ "$step_rc" = 0 ]; then
    case ",$step_flags," in
      *,keep-if-rules,*)
        if ! grep -q -e '^-A ' -e '^:[^ ]* DROP ' "$step_out"; then
          rm -f "$step_out"
          step_note='holds no rules; output not kept'
        fi ;;
    esac
  elif [ ! -s "$step_out" ]; then
    # A failed command's empty output is no answer: leaving the file would read as "collected, empty".
    rm -f "$step_out"
  else
    step_note='partial output kept'
  fi
  [ -s "$step_err" ] || rm -f "$step_err"

  record "$step_id" "$step_path" "$step_rc" "$step_ms" "$step_error" "$step_note" "$step_display"
  if [ "$step_error" = 'timed out' ]; then
    log "timed-out $step_path ($step_display, exit $step_rc, $step_ms ms)"
  elif [ -n "$step_error" ]; then
    log "$step_error $step_path ($step_display, exit $step_rc, $step_ms ms)"
  elif [ "$step_rc" != 0 ]; then
    log "failed $step_path ($step_display, exit $step_rc, $step_ms ms)"
  else
    log "ok $step_path ($step_ms ms)"
  fi
}

# The path to read for a host path: under --host-root, and a final symlink (such as
# /etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf) followed inside that root.
host_path() {
  hp_path=$1 hp_hops=0
  if [ -n "$HOST_ROOT" ]; then
    while [ -L "$HOST_ROOT$hp_path" ] && [ "$hp_hops" -lt 8 ] && have readlink; do
      hp_target=$(readlink "$HOST_ROOT$hp_path") || break
      case $hp_target in
        /*) hp_path=$hp_target ;;
        *) hp_path=${hp_path%/*}/$hp_target ;;
      esac
      hp_hops=$((hp_hops + 1))
    done
  fi
  HOST_PATH=$HOST_ROOT$hp_path
}

# One line of the specification.
capture() { # ID TOOL FLAGS PATH COMMAND
  id=$1 tool=$2 flags=$3 path=$4 command=$5
  case ",$flags," in
    *,both-backends,*)
      if ! have iptables-legacy-save || ! have iptables-nft-save; then
        skip_step "$id" "$path" "$command" 'only one iptables backend is installed'
        return
      fi ;;
  esac
  case ",$flags," in
    *,ipvs-loaded,*)
      if [ ! -e /proc/net/ip_vs ]; then
        skip_step "$id" "$path" "$command" 'IPVS is not loaded: no /proc/net/ip_vs'
        return
      fi ;;
  esac
  case ",$flags," in
    *,docker,*)
      if ! have docker; then
        skip_step "$id" "$path" "$command" 'docker is not installed'
        return
      fi ;;
  esac
  case ",$flags," in
    *,file,*)
      host_path "${command#cat }"
      run_step "$id" "$tool" "$flags" "$path" "cat $HOST_PATH" "exec cat $(quote "$HOST_PATH")"
      ;;
    *,each-file,*)
      folder=${command#cat }
      folder=${folder%/\*}
      host_path "$folder"
      folder=$HOST_PATH
      if [ ! -d "$folder" ]; then
        skip_step "$id" "$path" "$command" "$folder does not exist"
        return
      fi
      found=0
      for file in "$folder"/*; do
        [ -f "$file" ] || continue
        name=${file##*/}
        case $name in *"$TAB"*|*"$NL"*) log "skipped $folder: a file name holds a tab or newline"; continue ;; esac
        found=1
        run_step "$id" "$tool" "$flags" "$path$name" "cat $file" "exec cat $(quote "$file")"
        [ "$INTERRUPTED" = 0 ] || return
      done
      [ "$found" = 1 ] || skip_step "$id" "$path" "$command" "$folder holds no files"
      ;;
    *,list-args,*)
      outer=${command%% \$(*}
      inner=${command#*\$(}
      inner=${inner%)}
      run_step "$id" "$tool" "$flags" "$path" "$command" \
        "ids=\$($inner) || exit; if [ -z \"\$ids\" ]; then echo '[]'; else exec $outer \$ids; fi"
      ;;
    *)
      run_step "$id" "$tool" "$flags" "$path" "$command" "exec $command"
      ;;
  esac
}

now_ms; CAPTURE_START=$NOW_MS
log "start node=$NODE timeout=${TIMEOUT}s limiter=$TIMEOUT_STYLE steps=$(printf '%s\n' "$SPECS" | grep -c .)"

while IFS=$TAB read -r spec_id spec_tool spec_flags spec_path spec_command; do
  if [ "$INTERRUPTED" = 1 ]; then
    SEQ=$((SEQ + 1))
    record "$spec_id" "$spec_path" '' '' 'interrupted' 'not run' "$spec_command"
    log "interrupted $spec_path (not run)"
    continue
  fi
  capture "$spec_id" "$spec_tool" "$spec_flags" "$spec_path" "$spec_command"
done <<EOF
$SPECS
EOF

now_ms
{
  printf 'node=%s\n' "$NODE"
  printf 'timeoutSeconds=%s\n' "$TIMEOUT"
  printf 'limiter=%s\n' "$TIMEOUT_STYLE"
  printf 'hostRoot=%s\n' "$HOST_ROOT"
  printf 'durationMs=%s\n' "$((NOW_MS - CAPTURE_START))"
  printf 'interrupted=%s\n' "$INTERRUPTED"
} >"$LOG_DIR/capture.txt"
log "end node=$NODE commands=$SEQ interrupted=$INTERRUPTED $((NOW_MS - CAPTURE_START)) ms"

# Nothing is left to stop; a signal now would only cut the tar stream short.
trap '' INT TERM HUP
rm -f "$INTERRUPT_FLAG"
if [ "$TAR" = 1 ]; then
  (cd "$WORK" && tar -cf - nodes capture-log) >&3 || { log 'writing the tar failed'; exit 1; }
fi
[ "$INTERRUPTED" = 0 ] || exit 130
exit 0
