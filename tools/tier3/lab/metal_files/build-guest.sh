#!/bin/sh
# tier3 metal lab: debootstrap the guest's root file system, make it bootable by QEMU's -kernel, and
# write it as an ext4 image labelled root.
# Usage: build-guest.sh SUITE DIR MIRROR SECURITY_MIRROR PACKAGES FILES_DIR IMAGE SIZE_GB KERNEL INITRD
#   (PACKAGES comma separated). Called by tier3.lab.guest_image; part of the guest recipe (its hash
#   names the image).
set -eu
suite=$1 dir=$2 mirror=$3 security=$4 packages=$5 files=$6 image=$7 size=$8 kernel=$9
shift 9
initrd=$1

debootstrap --variant=minbase --include="$packages" "$suite" "$dir" "$mirror"

# each VM gets its own machine id at boot (systemd fills an empty file)
: > "$dir/etc/machine-id"
rm -f "$dir/var/lib/dbus/machine-id"
# the root file system by label: the root disk is one of several virtio disks
printf 'LABEL=root / ext4 defaults,errors=remount-ro 0 1\n' > "$dir/etc/fstab"
# no shared SSH host keys: each VM gets its own from the lab (fw_cfg, tier3-metal-firstboot)
rm -f "$dir"/etc/ssh/ssh_host_*
install -D -m 0644 "$files/tier3-lab.conf" "$dir/etc/ssh/sshd_config.d/tier3-lab.conf"
install -D -m 0755 "$files/tier3-metal-firstboot" "$dir/usr/local/sbin/tier3-metal-firstboot"
install -D -m 0644 "$files/tier3-metal-firstboot.service" "$dir/etc/systemd/system/tier3-metal-firstboot.service"
# the management NIC (QEMU user networking, DHCP); the data NICs are the bonding role's
install -D -m 0644 "$files/10-tier3-mgmt.network" "$dir/etc/systemd/network/10-tier3-mgmt.network"
printf 'nameserver 10.0.2.3\n' > "$dir/etc/resolv.conf"
chroot "$dir" systemctl enable systemd-networkd.service tier3-metal-firstboot.service
# the same mirrors as the machine that built the image, security updates included
cat > "$dir/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security $suite-security main
SOURCES
rm -f "$dir"/var/cache/apt/archives/*.deb
# QEMU boots the kernel and initramfs directly (-kernel, -initrd): no boot loader
# shellcheck disable=SC2012  # one kernel in a fresh tree: the newest name is the one
cp "$(ls "$dir"/boot/vmlinuz-* | tail -n 1)" "$kernel"
# shellcheck disable=SC2012
cp "$(ls "$dir"/boot/initrd.img-* | tail -n 1)" "$initrd"
rm -f "$image"
mkfs.ext4 -q -F -L root -d "$dir" "$image" "${size}G"
