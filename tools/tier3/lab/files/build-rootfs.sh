#!/bin/sh
# tier3 lab image: debootstrap a Debian root file system and apply the container fixes.
# Usage: build-rootfs.sh SUITE DIR MIRROR SECURITY_MIRROR PACKAGES FILES_DIR [CACHED_ONLY]
#   (PACKAGES and CACHED_ONLY comma separated; CACHED_ONLY: of PACKAGES, those left uninstalled,
#   their .debs kept in apt's cache)
# Called by tier3.lab.image; part of the image recipe (its hash names the image tag).
set -eu
suite=$1 dir=$2 mirror=$3 security=$4 packages=$5 files=$6 cached=${7:-}

debootstrap --variant=minbase --include="$packages" "$suite" "$dir" "$mirror"

# each container gets its own machine id at boot (systemd fills an empty file)
: > "$dir/etc/machine-id"
rm -f "$dir/var/lib/dbus/machine-id"
# random MACs (MACAddressPolicy=persistent + one machine id = one MAC for every container)
install -D -m 0644 "$files/99-default.link" "$dir/etc/systemd/network/99-default.link"
# the only unit that fails in a container: the root file system is not ours to remount
ln -sf /dev/null "$dir/etc/systemd/system/systemd-remount-fs.service"
# no shared SSH host keys: each container makes its own on first boot
rm -f "$dir"/etc/ssh/ssh_host_*
install -D -m 0644 "$files/tier3-lab-ssh-hostkeys.service" "$dir/etc/systemd/system/tier3-lab-ssh-hostkeys.service"
mkdir -p "$dir/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/tier3-lab-ssh-hostkeys.service \
  "$dir/etc/systemd/system/multi-user.target.wants/tier3-lab-ssh-hostkeys.service"
# the same mirrors as the machine that built the image, security updates included
cat > "$dir/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SOURCES
# the mail stack: downloaded with the rest, then purged, its .debs kept in apt's cache: a first
# converge installs it as on a fresh host (and a DNS host never has it), without the network
if [ -n "$cached" ]; then
  # no service to stop in a chroot: the maintainer scripts' invoke-rc.d is told so (policy-rc.d 101)
  printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
  chmod 0755 "$dir/usr/sbin/policy-rc.d"
  # shellcheck disable=SC2046  # one word per package
  chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $(echo "$cached" | tr ',' ' ')
  rm -f "$dir/usr/sbin/policy-rc.d"
fi
# smaller image: only the .debs of packages that are not installed stay
for deb in "$dir"/var/cache/apt/archives/*.deb; do
  [ -e "$deb" ] || continue
  package=$(dpkg-deb --field "$deb" Package)
  if chroot "$dir" dpkg-query --show --showformat='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed; then
    rm -f "$deb"
  fi
done
