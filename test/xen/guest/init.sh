#!/bin/busybox sh
# PID 1 of the real-Xen tier's Linux guest (test/xen/linuxGuest.ts builds its initramfs). It loads
# the drivers of QEMU's emulated devices (e1000, PIIX IDE, SCSI disks), takes a DHCP lease on each
# NIC, and reports on ttyS1 (a file in dom0, the kernel's console too) in lines `guest: ...`; ttyS0,
# the first serial port and so what `xl console <g>` attaches to (a pty in dom0), runs a shell: the
# test's hands in the guest and what a person types.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /var/run
say() { echo "guest: $*" > /dev/ttyS1; }
# The kernel's clock: the host subtracts it from its own to split a slow boot into before the
# kernel (firmware, iPXE, the download) and after it.
uptime_s() { cut -d' ' -f1 /proc/uptime; }
for m in $(cat /modules/order); do insmod "/modules/$m" || say "insmod $m failed"; done
say "linux $(uname -r) up, $(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo), uptime $(uptime_s) s"

stty -F /dev/ttyS0 115200 raw -echo
( while :; do setsid sh -c 'exec sh </dev/ttyS0 >/dev/ttyS0 2>&1'; done ) &

n=0
for i in eth0 eth1; do
  ip link set "$i" up && n=$((n + 1))
done
for i in eth0 eth1; do
  if udhcpc -i "$i" -q -n -t 30 -T 2 -s /etc/udhcpc.sh >/dev/null 2>&1; then
    say "lease $i $(ip -4 -o addr show dev "$i" | awk '{ print $4 }')"
  else
    say "no lease on $i"
  fi
done
say "ready, uptime $(uptime_s) s"
while :; do sleep 5; say "beat"; done
