#!/bin/bash
# mgn-wave: on a Linux source server, prove the private path to MGN and S3, then (Mode=install)
# download the AWS Replication Agent installer through the S3 interface endpoint, check its
# SHA-512 and run it. SSM Run Command runs this as root (document step InstallOnLinux).
#
# Parameters arrive ONLY as environment variables SSM_<Name>: every document parameter has
# interpolationType ENV_VAR (SSM Agent 3.3.2746.0 and later). The document never uses textual
# substitution, so no value is ever part of this script's text, and every value is checked
# again here against the same allow-list as in Python and in the document before it is used.
#
# The last line of standard output is always `MGN_WAVE_RESULT {json}` (see parse_result in
# functions/mgn_wave/agent_install/node_result.py). SSM keeps only the first 24,000 characters of the
# output, so this script prints little: the installer's own output goes to a file and only its
# last lines are shown, with the credentials removed.
#
# Exit status: 0 for PROBE_OK and INSTALLED, 1 otherwise.

# Never trace: the credentials pass through variables below.
{ set +x; } 2>/dev/null
set -Eeuo pipefail
# bash 4.4+; Amazon Linux 2 and RHEL/CentOS 7 have bash 4.2, where it does not exist. For the same
# reason arrays that may be empty are expanded as ${a[@]+"${a[@]}"} (4.2 calls them unbound).
shopt -s inherit_errexit 2>/dev/null || true
umask 077
# Byte-wise character classes: [a-z] must never match a letter of another script.
export LC_ALL=C

readonly RESULT_MARKER="MGN_WAVE_RESULT"
readonly INSTALLER_NAME="aws-replication-installer-init"
readonly TCP_TIMEOUT_SECONDS=5
readonly OUTPUT_TAIL_LINES=20
readonly MAX_ECHO_CHARS=200
readonly MAX_VALUE_CHARS=8192
readonly MAX_FINDINGS=16
readonly HOSTS_BEGIN="# BEGIN mgn-wave"
readonly HOSTS_END="# END mgn-wave"
readonly HOSTS_FILE_PATTERN='^/[A-Za-z0-9._/-]+$'

# Allow-lists: verbatim copies of functions/mgn_wave/agent_install/parameters.py (a static test holds
# them equal). Only syntax that POSIX ERE, Python, Go and .NET read alike. Lists have item patterns.
readonly IPV4_PATTERN='^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$'
readonly MODE_PATTERN='^(probe|install)$'
readonly REGION_PATTERN='^[a-z]{2,4}(-[a-z]+){1,2}-[0-9]{1,2}$'
readonly S3_ENDPOINT_PATTERN='^vpce-[0-9a-f]{8,17}-[a-z0-9]{8}\.s3\.[a-z]{2,4}(-[a-z]+){1,2}-[0-9]{1,2}\.vpce\.amazonaws\.com(\.cn)?$'
readonly S3_ENDPOINT_FORM_PATTERN='^(installer-bucket|bucket|regional)$'
readonly MGN_ENDPOINT_PATTERN='^(vpce-[0-9a-f]{8,17}-[a-z0-9]{8}\.mgn\.[a-z]{2,4}(-[a-z]+){1,2}-[0-9]{1,2}\.vpce\.amazonaws\.com(\.cn)?)?$'
readonly HOSTS_ENTRY_PATTERN='^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3} ([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.){1,6}amazonaws\.com(\.cn)?$'
readonly NODE_ID_PATTERN='^(i-([0-9a-f]{8}|[0-9a-f]{17})|mi-[0-9a-f]{17})$'
readonly USER_PROVIDED_ID_PATTERN='^((i-([0-9a-f]{8}|[0-9a-f]{17})|mi-[0-9a-f]{17}))?$'
readonly WAVE_TAG_PATTERN='^[A-Za-z0-9][A-Za-z0-9_.:/+@-]{0,127}=[A-Za-z0-9_.:/+@-]{0,255}$'
readonly PROBE_HOST_PATTERN='^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?){1,7}$'
readonly EXPECTED_CIDR_PATTERN='^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}/([0-9]|[12][0-9]|3[0-2])$'
readonly MIN_FREE_DISK_MIB_PATTERN='^(0|[1-9][0-9]{0,6})$'
readonly ACCESS_KEY_ID_PATTERN='^(ASIA[A-Z0-9]{16})?$'
readonly SECRET_ACCESS_KEY_PATTERN='^([A-Za-z0-9/+]{40})?$'
readonly SESSION_TOKEN_PATTERN='^([A-Za-z0-9/+=]{16,})?$'

# --- state ---------------------------------------------------------------------------------------
mode=""
region=""
s3_endpoint=""
s3_endpoint_form=""
mgn_endpoint=""
user_provided_id=""
min_free_disk_mib=0
# Credentials live in unexported shell variables only: children (curl, getent, ...) never see them.
access_key_id=""
secret_access_key=""
session_token=""
hosts_entry_list=()
wave_tag_list=()
probe_host_list=()
expected_cidr_list=()
# The names the probe, the downloads and the installer use; what resolve_ipv4 found.
installer_host="" hashes_host="" installer_s3_endpoint="" mgn_host=""
resolved=()
finding_codes=()
finding_details=()
workdir=""
result_emitted=0
unexpected_status="INSTALL_FAILED"
failed_line=""

# --- output --------------------------------------------------------------------------------------

log() {
  printf '%s\n' "$*"
}

add_finding() {
  finding_codes+=("$1")
  finding_details+=("$2")
}

# Appends $1, then $2 as a JSON string, to the variable json of emit_result: no subshell a field.
append_json() {
  local text=$2
  text=${text//\\/\\\\}
  text=${text//\"/\\\"}
  text=${text//[^[:print:]]/ }
  json+="$1\"${text}\""
}

emit_result() {
  local status=$1 reason=$2 server_id=${3:-} json="" comma="" index count
  if (( result_emitted )); then
    return 0
  fi
  result_emitted=1
  append_json '{"v":1,"status":' "$status"
  if [[ -n $server_id ]]; then
    append_json ',"sourceServerId":' "$server_id"
  fi
  json+=",\"findings\":["
  count=${#finding_codes[@]}
  if (( count > MAX_FINDINGS )); then
    count=$MAX_FINDINGS
  fi
  for (( index = 0; index < count; index++ )); do
    append_json "${comma}{\"code\":" "${finding_codes[index]}"
    comma=","
    append_json ',"detail":' "${finding_details[index]:0:160}"
    json+="}"
  done
  append_json '],"reason":' "${reason:0:300}"
  json+="}"
  printf '%s %s\n' "$RESULT_MARKER" "$json"
}

# The last line, then the exit status the invocation reports.
finish() {
  local status=$1 reason=$2 server_id=${3:-}
  emit_result "$status" "$reason" "$server_id"
  case $status in
    PROBE_OK | INSTALLED) exit 0 ;;
    *) exit 1 ;;
  esac
}

# A line of someone else's output, made safe to show: credentials removed, non-printable
# characters replaced, cut short, into the variable named $1; shown prefixed by "| " so that it can
# never pass for the result line.
scrub_line() {
  local scrubbed=$2 secret
  for secret in "$access_key_id" "$secret_access_key" "$session_token"; do
    if [[ -n $secret ]]; then
      scrubbed=${scrubbed//"$secret"/[REDACTED]}
    fi
  done
  scrubbed=${scrubbed//[^[:print:]]/?}
  printf -v "$1" '%s' "${scrubbed:0:MAX_ECHO_CHARS}"
}

# shellcheck disable=SC2329  # invoked by the EXIT trap
on_exit() {
  local code=$?
  set +e
  if [[ -n $workdir && -d $workdir ]]; then
    rm -rf -- "$workdir"
  fi
  if (( ! result_emitted )); then
    emit_result "$unexpected_status" "the script stopped unexpectedly (exit ${code}${failed_line:+ at line ${failed_line}})"
    if (( code == 0 )); then
      code=1
    fi
  fi
  exit "$code"
}

trap on_exit EXIT
trap 'failed_line=$LINENO' ERR
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- parameters ----------------------------------------------------------------------------------

# Check one value against its allow-list; the value itself is never shown. A list (separator, most
# items, optional|required) goes item by item, as cheaper (ListForm in
# functions/mgn_wave/agent_install/parameters.py; `read -a` drops a last empty item). Any other
# value is one item: no allow-list admits a newline.
allow_listed() {
  local name=$1 value=$2 pattern=$3 separator=${4:-$'\n'} left=${5:-1} rest=$2 item
  if [[ -z $value && ${6:-} == optional ]]; then
    return 0
  fi
  while (( ${#value} <= MAX_VALUE_CHARS && left-- > 0 )); do
    item=${rest%%"$separator"*}
    if [[ ! $item =~ $pattern ]]; then
      break
    elif [[ $item == "$rest" ]]; then
      return 0
    fi
    rest=${rest#*"$separator"}
  done
  add_finding PARAMETER_REJECTED "${name} does not match its allow-list (value not shown)"
  return 1
}

read_parameters() {
  local ok=1 hosts_entries wave_tags probe_hosts expected_cidrs min_free
  if [[ -z ${SSM_Mode+set} ]]; then
    add_finding SOURCE_SSM_AGENT_TOO_OLD "SSM_Mode is not set: the SSM Agent predates 3.3.2746.0 (no ENV_VAR parameters)"
    return 1
  fi
  mode=${SSM_Mode}
  region=${SSM_Region-}
  s3_endpoint=${SSM_S3Endpoint-}
  s3_endpoint_form=${SSM_S3EndpointForm-installer-bucket}
  mgn_endpoint=${SSM_MgnEndpoint-}
  hosts_entries=${SSM_HostsEntries-}
  user_provided_id=${SSM_UserProvidedId-}
  wave_tags=${SSM_WaveTags-}
  probe_hosts=${SSM_ProbeHosts-}
  expected_cidrs=${SSM_ExpectedCidrs-}
  min_free=${SSM_MinFreeDiskMiB-}
  access_key_id=${SSM_AccessKeyId-}
  secret_access_key=${SSM_SecretAccessKey-}
  session_token=${SSM_SessionToken-}
  # Out of the environment, so that no child process inherits the credentials.
  unset SSM_AccessKeyId SSM_SecretAccessKey SSM_SessionToken

  allow_listed Mode "$mode" "$MODE_PATTERN" || ok=0
  allow_listed Region "$region" "$REGION_PATTERN" || ok=0
  allow_listed S3Endpoint "$s3_endpoint" "$S3_ENDPOINT_PATTERN" || ok=0
  allow_listed S3EndpointForm "$s3_endpoint_form" "$S3_ENDPOINT_FORM_PATTERN" || ok=0
  allow_listed MgnEndpoint "$mgn_endpoint" "$MGN_ENDPOINT_PATTERN" || ok=0
  allow_listed HostsEntries "$hosts_entries" "$HOSTS_ENTRY_PATTERN" ',' 8 optional || ok=0
  allow_listed UserProvidedId "$user_provided_id" "$USER_PROVIDED_ID_PATTERN" || ok=0
  allow_listed WaveTags "$wave_tags" "$WAVE_TAG_PATTERN" ' ' 10 optional || ok=0
  allow_listed ProbeHosts "$probe_hosts" "$PROBE_HOST_PATTERN" ',' 8 optional || ok=0
  allow_listed ExpectedCidrs "$expected_cidrs" "$EXPECTED_CIDR_PATTERN" ',' 8 required || ok=0
  allow_listed MinFreeDiskMiB "$min_free" "$MIN_FREE_DISK_MIB_PATTERN" || ok=0
  allow_listed AccessKeyId "$access_key_id" "$ACCESS_KEY_ID_PATTERN" || ok=0
  allow_listed SecretAccessKey "$secret_access_key" "$SECRET_ACCESS_KEY_PATTERN" || ok=0
  allow_listed SessionToken "$session_token" "$SESSION_TOKEN_PATTERN" || ok=0
  if (( ! ok )); then
    return 1
  fi
  if [[ $mode == "probe" ]]; then
    unexpected_status="PROBE_FAILED"
  elif [[ -z $access_key_id || -z $secret_access_key || -z $session_token ]]; then
    add_finding PARAMETER_REJECTED "install mode needs AccessKeyId, SecretAccessKey and SessionToken"
    return 1
  fi
  # Empty: this node's own ID, which the SSM Agent gives every command it runs.
  if [[ -z $user_provided_id ]]; then
    user_provided_id=${AWS_SSM_INSTANCE_ID-}
    if [[ $mode == "install" && ! $user_provided_id =~ $NODE_ID_PATTERN ]]; then
      add_finding PARAMETER_REJECTED "UserProvidedId is empty and AWS_SSM_INSTANCE_ID is not a node ID"
      return 1
    fi
  fi

  # Split only values that passed their allow-list: no glob or quote character can be in them.
  min_free_disk_mib=$(( 10#$min_free ))
  IFS=',' read -r -a hosts_entry_list <<< "$hosts_entries"
  IFS=' ' read -r -a wave_tag_list <<< "$wave_tags"
  IFS=',' read -r -a probe_host_list <<< "$probe_hosts"
  IFS=',' read -r -a expected_cidr_list <<< "$expected_cidrs"
  installer_host="aws-application-migration-service-${region}.bucket.${s3_endpoint}"
  hashes_host="aws-application-migration-service-hashes-${region}.bucket.${s3_endpoint}"
  # The installer's --s3-endpoint, in the form S3EndpointForm names (installer_s3_endpoint in
  # functions/mgn_wave/agent_install/parameters.py). The probe resolves this very name.
  case $s3_endpoint_form in
    bucket) installer_s3_endpoint="bucket.${s3_endpoint}" ;;
    regional) installer_s3_endpoint=$s3_endpoint ;;
    *) installer_s3_endpoint=$installer_host ;;
  esac
  mgn_host=${mgn_endpoint:-mgn.${region}.amazonaws.com}
  consistent_parameters
}

# The rules that span parameters, as the Lambda checks them (InstallParameters._consistent): the
# document run by hand from the console reaches only this script, and SSM's allowedPattern sees one
# value at a time. ExpectedCidrs are RFC 1918 networks written canonically; every pin lies inside
# them (so never loopback or link-local); each name is pinned once.
consistent_parameters() {
  local ok=1 cidr entry name seen=" "
  for cidr in "${expected_cidr_list[@]}"; do
    if ! canonical_cidr "$cidr"; then
      add_finding PARAMETER_REJECTED "ExpectedCidrs: ${cidr} is not a network address (host bits set)"
      ok=0
    elif ! private_cidr "$cidr"; then
      add_finding PARAMETER_REJECTED "ExpectedCidrs: ${cidr} is not inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
      ok=0
    fi
  done
  for entry in ${hosts_entry_list[@]+"${hosts_entry_list[@]}"}; do
    name=${entry#* }
    if ! inside_expected_cidrs "${entry%% *}"; then
      add_finding PARAMETER_REJECTED "HostsEntries: ${name} must point inside ExpectedCidrs, not at ${entry%% *}"
      ok=0
    fi
    if [[ $seen == *" ${name} "* ]]; then
      add_finding PARAMETER_REJECTED "HostsEntries: must name each host once (${name} is pinned twice)"
      ok=0
    fi
    seen+="${name} "
  done
  (( ok ))
}

# The helpers below set the variable named $1 (printf -v, arrays): $(...) forks a subshell a call.
ipv4_number() {
  local a b c d
  IFS=. read -r a b c d <<< "$2"
  printf -v "$1" '%s' $(( (a << 24) | (b << 16) | (c << 8) | d ))
}

cidr_mask() {
  printf -v "$1" '%s' $(( $2 == 0 ? 0 : (0xFFFFFFFF << (32 - $2)) & 0xFFFFFFFF ))
}

canonical_cidr() {
  local network mask
  ipv4_number network "${1%/*}"
  cidr_mask mask "${1#*/}"
  (( (network & mask) == network ))
}

# Inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (functions/mgn_wave/agent_install/parameters.py
# PRIVATE_NETWORKS).
private_cidr() {
  local network bits range mask range_network
  ipv4_number network "${1%/*}"
  bits=${1#*/}
  for range in 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16; do
    cidr_mask mask "${range#*/}"
    ipv4_number range_network "${range%/*}"
    if (( bits >= ${range#*/} )) && (( (network & mask) == range_network )); then
      return 0
    fi
  done
  return 1
}

inside_expected_cidrs() {
  local address network mask cidr
  ipv4_number address "$1"
  for cidr in "${expected_cidr_list[@]}"; do
    ipv4_number network "${cidr%/*}"
    cidr_mask mask "${cidr#*/}"
    if (( (address & mask) == (network & mask) )); then
      return 0
    fi
  done
  return 1
}

# --- the probe -----------------------------------------------------------------------------------

# The IPv4 addresses a name resolves to, once each, in resolved. A name pinned by HostsEntries
# resolves to its pin, as it will once the hosts block is written, so the probe changes nothing;
# verify_pins asks getent alone (pins=ignored).
resolve_ipv4() {
  local name=$1 pins=${2:-} entry answer address
  resolved=()
  for entry in ${hosts_entry_list[@]+"${hosts_entry_list[@]}"}; do
    if [[ -z $pins && ${entry#* } == "$name" ]]; then
      resolved=("${entry%% *}")
      return 0
    fi
  done
  answer=$(getent ahostsv4 "$name" 2>/dev/null) || return 0
  while read -r address _; do
    if [[ " ${resolved[*]-} " != *" ${address} "* && $address =~ $IPV4_PATTERN ]]; then
      resolved+=("$address")
    fi
  done <<< "$answer"
}

# TCP 443 reachable? bash's /dev/tcp under `timeout`. The emulated fleet puts a command
# mgn-wave-tcp-probe on PATH to answer from its network model; real nodes have none.
tcp_443_open() {
  if command -v mgn-wave-tcp-probe >/dev/null 2>&1; then
    mgn-wave-tcp-probe "$1" 443 >/dev/null 2>&1
    return
  fi
  # shellcheck disable=SC2016  # $1 and $2 expand in the child bash, which gets them as arguments
  timeout "$TCP_TIMEOUT_SECONDS" bash -c 'exec 3<>"/dev/tcp/$1/$2"' tcp-probe "$1" 443 >/dev/null 2>&1
}

probe_tools() {
  local tool
  for tool in curl sha512sum getent timeout awk sort df; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      add_finding SOURCE_TOOL_MISSING "${tool} is not installed"
    fi
  done
}

probe_root() {
  if [[ $(id -u) != "0" ]]; then
    add_finding SOURCE_NOT_ROOT "the installer must run as root; this runs as uid $(id -u)"
  fi
}

# /, /var/lib and TMPDIR's file systems, each once, from one df: per path a line whose 4th field is
# the free KiB and 6th the mount point.
probe_disk() {
  local listing free_kib mount seen=" "
  listing=$(df -Pk -- / /var/lib "${TMPDIR:-/tmp}" 2>/dev/null) || true
  while read -r _ _ _ free_kib _ mount _; do
    # Not a count (the header): skipped, never evaluated by (( )).
    if [[ -z $free_kib || $free_kib == *[!0-9]* || $seen == *" ${mount} "* ]]; then
      continue
    fi
    seen+="${mount} "
    if (( free_kib / 1024 < min_free_disk_mib )); then
      add_finding SOURCE_DISK_LOW "${mount} has $(( free_kib / 1024 )) MiB free; ${min_free_disk_mib} MiB needed"
    fi
  done <<< "$listing"
}

probe_network() {
  local host address outside blocked
  local -a hosts=(${probe_host_list[@]+"${probe_host_list[@]}"} "$installer_host" "$hashes_host" "$installer_s3_endpoint" "$mgn_host")
  local -A probed=()
  for host in "${hosts[@]}"; do
    if [[ -n ${probed[$host]:-} ]]; then
      continue
    fi
    probed[$host]=1
    resolve_ipv4 "$host"
    if (( ${#resolved[@]} == 0 )); then
      add_finding SOURCE_DNS_UNRESOLVED "${host} has no IPv4 address"
      continue
    fi
    outside=""
    blocked=""
    for address in "${resolved[@]}"; do
      if ! inside_expected_cidrs "$address"; then
        outside+=" ${address}"
      elif ! tcp_443_open "$address"; then
        blocked+=" ${address}"
      fi
    done
    if [[ -n $outside ]]; then
      add_finding SOURCE_DNS_NOT_PRIVATE "${host} resolves to${outside}, outside ${expected_cidr_list[*]}"
    fi
    if [[ -n $blocked ]]; then
      add_finding SOURCE_443_BLOCKED "${host}: no TCP 443 connection to${blocked} within ${TCP_TIMEOUT_SECONDS} s"
    fi
  done
}

run_probe() {
  probe_tools
  probe_root
  probe_disk
  probe_network
  if (( ${#finding_codes[@]} )); then
    log "probe: ${#finding_codes[@]} problem(s): ${finding_codes[*]}"
    return 1
  fi
  log "probe: DNS answers inside ${expected_cidr_list[*]}, TCP 443 open, disk and root OK"
  return 0
}

# --- hosts entries -------------------------------------------------------------------------------

# The file's text without our block(s), and with every other line that names a pinned host
# disarmed: the name is taken off that line, which is kept above as a comment, so that the pin
# is the only answer whichever line a resolver would read first. Exit 3 (the line number on
# stderr): a BEGIN marker without its END or the reverse (a hand edit, an interrupted write),
# where no one can tell which lines are ours.
hosts_without_block() {
  awk -v begin="$HOSTS_BEGIN" -v end="$HOSTS_END" -v names="$1" '
    BEGIN { count = split(names, list, " "); for (i = 1; i <= count; i++) pinned[list[i]] = 1 }
    $0 == begin { if (inside) { bad = NR; exit 3 } inside = 1; opened = NR; next }
    $0 == end { if (!inside) { bad = NR; exit 3 } inside = 0; next }
    inside { next }
    /^[ \t]*#/ { print; next }
    {
      code = $0
      sub(/#.*/, "", code)
      fields = split(code, field, " ")
      kept = field[1]
      hit = 0
      for (i = 2; i <= fields; i++) {
        if (field[i] in pinned) { hit = 1 } else { kept = kept " " field[i] }
      }
      if (!hit) { print; next }
      print "# mgn-wave disarmed: " $0
      if (kept != field[1]) { print kept }
    }
    END {
      if (!bad && inside) { bad = opened }
      if (bad) { print bad > "/dev/stderr"; exit 3 }
    }'
}

# Each pinned name must now resolve to its pin and nothing else: the probe judged the pins, and
# this checks that they are what the resolver answers. Otherwise the file is put back as it was.
verify_pins() {
  local hosts_file=$1 backup=$2 entry name answer wrong=0
  for entry in "${hosts_entry_list[@]}"; do
    name=${entry#* }
    resolve_ipv4 "$name" ignored
    answer=${resolved[*]-}
    if [[ $answer != "${entry%% *}" ]]; then
      add_finding SOURCE_DNS_NOT_PRIVATE "${name} resolves to ${answer:-nothing} despite the pin ${entry%% *} in ${hosts_file}"
      wrong=1
    fi
  done
  if (( wrong )); then
    if [[ -n $backup ]]; then
      cat -- "$backup" > "$hosts_file"
    fi
    finish PROBE_FAILED "the hosts entries do not decide what the pinned names resolve to (check the hosts line of /etc/nsswitch.conf)${backup:+; ${hosts_file} was put back as it was}"
  fi
}

# One marked block, replaced in place: running twice writes it once. Every change first keeps a
# dated backup of the file as it was.
apply_hosts_entries() {
  local hosts_file=${MGN_WAVE_HOSTS_FILE:-/etc/hosts} current kept block entry names="" backup="" line
  if (( ${#hosts_entry_list[@]} == 0 )); then
    return 0
  fi
  if [[ ! $hosts_file =~ $HOSTS_FILE_PATTERN ]]; then
    finish INSTALL_FAILED "the hosts file path is not a plain absolute path"
  fi
  current=""
  if [[ -f $hosts_file ]]; then
    current=$(< "$hosts_file")
  fi
  for entry in "${hosts_entry_list[@]}"; do
    names+="${entry#* } "
  done
  if ! kept=$(hosts_without_block "$names" <<< "$current" 2>"${workdir}/hosts.err"); then
    line=$(head -c 16 -- "${workdir}/hosts.err" | tr -cd '0-9')
    finish INSTALL_FAILED "${hosts_file} line ${line:-?} has a '${HOSTS_BEGIN}' or '${HOSTS_END}' marker without its pair; nothing was changed: fix or remove the marker by hand"
  fi
  block=$HOSTS_BEGIN
  for entry in "${hosts_entry_list[@]}"; do
    block+=$'\n'"${entry}"
  done
  block+=$'\n'"${HOSTS_END}"
  if [[ -n $kept ]]; then
    block="${kept}"$'\n'"${block}"
  fi
  if [[ $block == "$current" ]]; then
    log "hosts: the mgn-wave block in ${hosts_file} is already current"
    verify_pins "$hosts_file" ""
    return 0
  fi
  if [[ -f $hosts_file ]]; then
    backup="${hosts_file}.mgn-wave.$(date -u +%Y%m%dT%H%M%SZ).bak"
    if [[ -e $backup ]]; then
      backup="${backup%.bak}-$$.bak"
    fi
    if ! cp -p -- "$hosts_file" "$backup"; then
      finish INSTALL_FAILED "could not back up ${hosts_file}; nothing was changed"
    fi
  fi
  # Rewritten in place (not replaced) so that the file keeps its owner, mode and labels.
  printf '%s\n' "$block" > "$hosts_file"
  log "hosts: wrote ${#hosts_entry_list[@]} entr(y/ies) to ${hosts_file}${backup:+ (backup ${backup})}"
  verify_pins "$hosts_file" "$backup"
}

# --- download, verify, install -------------------------------------------------------------------

# TLS verification stays on: no --insecure, HTTPS only (also after redirects), TLS 1.2 or later.
# `-q` must be the first argument: it makes curl skip ~/.curlrc, where an `insecure` (or a proxy,
# or a `cacert`) would otherwise silently change what the next arguments promise. The SHA-512
# comes from another bucket through the same endpoint: it guards against a corrupt or swapped
# object, and both downloads rest on the certificate check that no configuration file can turn off.
fetch() {
  local url=$1 destination=$2
  curl -q --fail --silent --show-error --proto '=https' --proto-redir '=https' --tlsv1.2 \
    --connect-timeout 10 --max-time 600 --retry 3 --retry-delay 2 \
    --output "$destination" "$url" 2>>"${workdir}/curl.log"
}

last_curl_error() {
  local line=""
  if [[ -s ${workdir}/curl.log ]]; then
    line=$(tail -n 1 -- "${workdir}/curl.log")
  fi
  line=${line//[^[:print:]]/?}
  printf '%s' "${line:0:MAX_ECHO_CHARS}"
}

download_and_verify() {
  local installer=$1 hash_file="${workdir}/${INSTALLER_NAME}.sha512" expected="" actual
  if ! fetch "https://${installer_host}/latest/linux/${INSTALLER_NAME}" "$installer"; then
    finish DOWNLOAD_FAILED "could not download the installer from ${installer_host}: $(last_curl_error)"
  fi
  if ! fetch "https://${hashes_host}/latest/linux/${INSTALLER_NAME}.sha512" "$hash_file"; then
    rm -f -- "$installer"
    finish DOWNLOAD_FAILED "could not download the installer's SHA-512 from ${hashes_host}: $(last_curl_error)"
  fi
  # The first field of the first line (within 1,024 bytes), carriage returns removed, lower case.
  read -r -n 1024 expected _ < "$hash_file" || true
  expected=${expected//$'\r'/}
  expected=${expected,,}
  if [[ ! $expected =~ ^[0-9a-f]{128}$ ]]; then
    rm -f -- "$installer"
    finish DOWNLOAD_FAILED "the published SHA-512 is not 128 hex digits"
  fi
  actual=$(sha512sum -- "$installer")
  actual=${actual%% *}
  if [[ $actual != "$expected" ]]; then
    rm -f -- "$installer"
    finish CHECKSUM_MISMATCH "the installer's SHA-512 differs from the published one; it was deleted and not run"
  fi
  log "download: ${INSTALLER_NAME} matches its published SHA-512"
}

run_installer() {
  local installer=$1 install_log="${workdir}/installer.log" rc line last_line="" shown rest start
  local server_id="" last_error=""
  local -a lines=() arguments=(
    --region "$region"
    --aws-access-key-id "$access_key_id"
    --aws-secret-access-key "$secret_access_key"
    --aws-session-token "$session_token"
    --no-prompt
    --s3-endpoint "$installer_s3_endpoint"
    --user-provided-id "$user_provided_id"
  )
  if [[ -n $mgn_endpoint ]]; then
    arguments+=(--endpoint "$mgn_endpoint")
  fi
  if (( ${#wave_tag_list[@]} )); then
    arguments+=(--tags "${wave_tag_list[@]}")
  fi
  chmod 0700 -- "$installer"
  log "install: running ${INSTALLER_NAME} (region ${region}, s3 endpoint ${installer_s3_endpoint}${mgn_endpoint:+, endpoint ${mgn_endpoint}})"
  # The flags are the only way the installer documents for credentials (docs/mgn-facts.md 3.2); they are
  # visible in this node's process list while it runs.
  rc=0
  (cd -- "$workdir" && "$installer" "${arguments[@]}") >"$install_log" 2>&1 </dev/null || rc=$?
  unset arguments

  # In bash, not tail|grep: the last source server ID on a line that names one (match after match
  # as `grep -o`), the last line naming an error or failure (else the last line) as `grep -i`.
  mapfile -t lines < "$install_log"
  for line in ${lines[@]+"${lines[@]}"}; do
    rest=$line
    while [[ $line == *"source server ID"* && $rest =~ s-[0-9a-zA-Z]{17} ]]; do
      server_id=${BASH_REMATCH[0]}
      rest=${rest#*"$server_id"}
    done
    if [[ ${line,,} == *error* || ${line,,} == *fail* ]]; then
      last_error=$line
    fi
    last_line=$line
  done
  log "install: installer exited ${rc}; its last ${OUTPUT_TAIL_LINES} lines:"
  start=$(( ${#lines[@]} > OUTPUT_TAIL_LINES ? ${#lines[@]} - OUTPUT_TAIL_LINES : 0 ))
  for line in ${lines[@]+"${lines[@]:start}"}; do
    scrub_line shown "$line"
    printf '| %s\n' "$shown"
  done

  if (( rc == 0 )) && [[ -n $server_id ]]; then
    finish INSTALLED "the AWS Replication Agent is installed" "$server_id"
  fi
  scrub_line shown "${last_error:-$last_line}"
  finish INSTALL_FAILED "the installer exited ${rc} without a source server ID: ${shown}"
}

# --- main ----------------------------------------------------------------------------------------

main() {
  local installer
  if ! read_parameters; then
    finish PARAMETERS_REJECTED "a parameter failed this node's allow-list; nothing was run"
  fi
  if ! run_probe; then
    finish PROBE_FAILED "the private path is not ready: ${finding_codes[*]}"
  fi
  if [[ $mode == "probe" ]]; then
    finish PROBE_OK "DNS, TCP 443, disk and root are ready for the install"
  fi
  workdir=$(mktemp -d "${TMPDIR:-/tmp}/mgn-wave.XXXXXXXX")
  apply_hosts_entries
  installer="${workdir}/${INSTALLER_NAME}"
  download_and_verify "$installer"
  run_installer "$installer"
}

main "$@"
