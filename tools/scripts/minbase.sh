# Sourced by the clean-root check and the base image: minbase_tar CODENAME prints the path of
# Debian CODENAME's minbase root as a tarball, built once with debootstrap from the mirror this
# machine's apt already uses (no mirror is written down here) and kept in the cache.
minbase_tar() {
  local codename=$1 cache="${ALERTGATE_CACHE:-$HOME/.cache/alertgate}" mirror build tarball
  tarball="$cache/clean-root/$codename-minbase.tar"
  if [ ! -f "$tarball" ]; then
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
    [ -n "$mirror" ] || { echo "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d" >&2; return 1; }
    echo "building the $codename minbase root once (debootstrap)" >&2
    build=$(mktemp -d /var/tmp/alertgate-debootstrap.XXXXXX)
    if ! debootstrap --variant=minbase "$codename" "$build" "$mirror" >/dev/null; then
      rm -rf "$build"
      return 1
    fi
    mkdir -p "$(dirname "$tarball")"
    tar -C "$build" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$build"
  fi
  echo "$tarball"
}
