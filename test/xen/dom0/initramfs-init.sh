#!/bin/busybox sh
# The dom0's first stage: Debian's generic kernel has virtio and ext4 as modules, so this loads
# them (list in load order, written by test/xen/bedBuild.ts), mounts the root image and hands over.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do insmod "/modules/$m" || echo "xenbed initramfs: insmod $m failed"; done
n=0
while [ ! -b /dev/vda ] && [ $n -lt 40 ]; do sleep 0.25; n=$((n + 1)); done
if ! mount -t ext4 /dev/vda /newroot; then
  echo "xenbed initramfs: cannot mount /dev/vda"
  poweroff -f
fi
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/xenbed-init
