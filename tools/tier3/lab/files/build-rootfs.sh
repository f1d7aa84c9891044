#!/bin/sh
# tier3 lab image: debootstrap a Debian root file system and apply the container fixes.
# Usage: build-rootfs.sh SUITE DIR MIRROR SECURITY_MIRROR PACKAGES(comma separated) FILES_DIR
# Called by tier3.lab.image; part of the image recipe (its hash names the image tag).
set -eu
suite=$1 dir=$2 mirror=$3 security=$4 packages=$5 files=$6

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
# the mail stack is in the image so converges stay fast, but no unit of it starts until its role
# configures and enables it (a DNS host must not run an unconfigured Postfix or Dovecot)
for unit in postfix dovecot haproxy keepalived opendkim; do
  chroot "$dir" systemctl disable --quiet "$unit.service"
done
# smaller image: no downloaded packages
rm -f "$dir"/var/cache/apt/archives/*.deb
