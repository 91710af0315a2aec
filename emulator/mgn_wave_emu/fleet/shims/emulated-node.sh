# shellcheck shell=bash disable=SC2034  # node_uid and node_addresses are for the scripts that source this
# A node of the mgn-wave fleet as its own processes see it: the uid commands run as, what a name
# resolves to, whether a TCP connection gets through. Sourced by the shims and the fake installer.
# curl and the installer resolve and connect inside their own process, as the real ones do through
# libc, so they ask these functions rather than start getent and mgn-wave-tcp-probe: no process per
# question (the fleet runs the install script a thousand times in a 1,000-server wave).

node_state=${MGN_WAVE_SHIM_STATE:?the emulated node exists only in the mgn-wave fleet}

# The uid the SSM Agent runs commands as, into node_uid.
node_read_uid() {
  read -r node_uid < "${node_state}/uid"
}

# NAME's IPv4 addresses into node_addresses, as the resolver answers: the node's hosts file first
# (nsswitch.conf `hosts: files dns`), then the emulated DNS; the other way round when the fleet
# gave the node "dns files". Fails when neither knows the name.
node_resolve() {
  local order="files dns"
  if [[ -f ${node_state}/hosts-lookup ]]; then
    read -r order < "${node_state}/hosts-lookup"
  fi
  if [[ $order == "dns files" ]] && _node_from_dns "$1"; then
    return 0
  fi
  _node_from_files "$1" || _node_from_dns "$1"
}

# dns.tsv: one line per name, "NAME ADDRESS [ADDRESS...]"; "*.SUFFIX" lines answer any name below SUFFIX.
_node_from_dns() {
  local -a fields
  while read -r -a fields; do
    if (( ${#fields[@]} < 2 )); then
      continue
    fi
    if [[ ${fields[0]} == "$1" || ( ${fields[0]} == \*.* && $1 == *."${fields[0]#\*.}" ) ]]; then
      node_addresses=("${fields[@]:1}")
      return 0
    fi
  done < "${node_state}/dns.tsv"
  return 1
}

# The first line of the hosts file that names NAME (comments and what follows `#` ignored).
_node_from_files() {
  local hosts_file=${MGN_WAVE_HOSTS_FILE:?} alias
  local -a fields
  if [[ ! -f $hosts_file ]]; then
    return 1
  fi
  while read -r -a fields; do
    if (( ${#fields[@]} < 2 )) || [[ ${fields[0]} == \#* ]]; then
      continue
    fi
    for alias in "${fields[@]:1}"; do
      if [[ $alias == \#* ]]; then
        break
      fi
      if [[ $alias == "$1" ]]; then
        node_addresses=("${fields[0]}")
        return 0
      fi
    done
  done < "$hosts_file"
  return 1
}

# "ADDRESS PORT" is reachable when the emulated network (security groups, NACLs, routes) lets this
# node connect to it: tcp.tsv holds one such pair a line.
node_connects() {
  local line
  while IFS= read -r line; do
    if [[ $line == "$1 $2" ]]; then
      return 0
    fi
  done < "${node_state}/tcp.tsv"
  return 1
}
