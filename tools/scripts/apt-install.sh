#!/usr/bin/env bash
# apt_install PACKAGE...: installs Debian packages, with sudo when not root, quietly; then stops
# the system services they start (alertgate runs its own servers). Sourced by ensure-deps.sh and
# start.sh. Returns non-zero, having said which command to run, when it cannot install.
apt_install() {
  local sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "cannot install $* without root or sudo: run 'apt-get install -y $*' as root" >&2
      return 1
    fi
    sudo_cmd=(sudo)
  fi
  echo "installing $* (apt)"
  if ! "${sudo_cmd[@]}" apt-get update -qq ||
    ! DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    echo "could not install $*: run 'sudo apt-get install -y $*'" >&2
    return 1
  fi
  local service
  for service in redis-server prometheus-alertmanager prometheus etcd; do
    "${sudo_cmd[@]}" systemctl disable --now "$service" >/dev/null 2>&1 || true
  done
}
