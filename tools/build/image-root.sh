#!/bin/sh
# Assembles the whole root filesystem of one app's runtime image in <dir>, inside the build stage
# of docker/Dockerfile: Node (stripped), the shared libraries it and jemalloc load, at the paths
# the loader looks them up, jemalloc, a passwd entry for the non-root user, and the app's bundle
# with the packages it loads at run time. No shell and no package manager: nothing else to patch.
# Usage: sh tools/build/image-root.sh <dir> <app>
set -eu
dir=$1
app=$2
[ -f "dist/apps/$app/main.js" ] || { echo "image-root: no dist/apps/$app/main.js; build the apps first" >&2; exit 1; }
node=$(command -v node)
jemalloc=$(find /usr/lib -name libjemalloc.so.2 | head -n 1)
[ -n "$jemalloc" ] || { echo "image-root: libjemalloc.so.2 not found; install libjemalloc2" >&2; exit 1; }
mkdir -p "$dir/usr/local/bin" "$dir/usr/local/lib" "$dir/etc" "$dir/tmp" "$dir/app"
chmod 1777 "$dir/tmp"
# Symbols and debug sections are of no use to a running service: stripped, Node is 109 MB of 127.
strip --strip-all -o "$dir/usr/local/bin/node" "$node"
cp -L "$jemalloc" "$dir/usr/local/lib/libjemalloc.so.2"
# ldd lists a library as "name => path (address)" and the loader as "path (address)".
for lib in $(ldd "$node" "$jemalloc" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(/ { print $1 }' | sort -u); do
  mkdir -p "$dir$(dirname "$lib")"
  cp -L "$lib" "$dir$lib"
done
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnode:x:1000:1000:node:/app:/usr/sbin/nologin\n' > "$dir/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' > "$dir/etc/group"
printf 'hosts: files dns\n' > "$dir/etc/nsswitch.conf"
cp "dist/apps/$app/main.js" "dist/apps/$app/main.js.map" "$dir/app/"
node tools/build/runtime-modules.mjs "$dir/app" >/dev/null
