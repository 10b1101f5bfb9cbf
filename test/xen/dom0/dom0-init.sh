#!/bin/bash
# PID 1 of the test bed's dom0 (minbase Debian has no init system). Starts what a Xen host needs
# for xl (xenstored, xen-init-dom0, xenconsoled), mounts the host's staging folder (9p, read-only),
# then serves the host's requests on a virtio port until told to stop, and powers off.
# The root is QEMU's snapshot of the cached image: every write here vanishes at power-off.
# Xen's tools are under /usr/lib/xen-<release>/bin; each bed has one release.
xenbin=$(ls -d /usr/lib/xen-[0-9]*/bin | head -1)
export PATH=$xenbin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C
exec </dev/null >/dev/hvc0 2>&1
say() { echo "xenbed dom0 [$(cut -d' ' -f1 /proc/uptime)]: $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
# devtmpfs has none of these; Xen's hotplug scripts (locking.sh) loop forever without /dev/stdin.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -o remount,rw /
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /run/lock /run/xen /run/xenstored /run/xen-hotplug /var/log/xen /var/lib/xen
hostname dom0
ip link set lo up

for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkback xen-netback tun bridge loop \
         virtio_console virtio_net 9pnet_virtio 9p; do
  modprobe "$m" || say "modprobe $m failed"
done
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /run/xenstored.pid || say "xenstored failed"
xen-init-dom0 || say "xen-init-dom0 failed"
xenconsoled --pid-file /run/xenconsoled.pid || say "xenconsoled failed"
say "toolstack up: $(xl info | grep -E '^xen_version' | tr -s ' ')"

mkdir -p /mnt/bed
mount -t 9p -o trans=virtio,version=9p2000.L,ro xenbed /mnt/bed || say "cannot mount the staging share"

# The bed has stalled for minutes under TCG: no timer fired in any domain until the host wrote to
# the agent's port. The host now nudges it (Dom0Agent's KICK_MS, BedMonitor's heartbeat); a stall
# that still happens is said here. Builtins only (read -t on a FIFO nobody writes), so watching costs no fork.
watch_stalls() {
  local before now gap
  mkfifo /run/stall-watch && exec 9<>/run/stall-watch || return
  read -r before _ </proc/uptime
  while :; do
    read -r -t 2 -u 9 _
    read -r now _ </proc/uptime
    gap=$((${now/./} - ${before/./}))
    [ "$gap" -gt 1000 ] && say "stalled: a 2 s wait took $((gap / 100)) s"
    before=$now
  done
}
watch_stalls &

port=
for p in /sys/class/virtio-ports/*; do
  [ "$(cat "$p/name" 2>/dev/null)" = org.stubdom.xenbed ] && port=/dev/$(basename "$p")
done
if [ -n "$port" ]; then
  say "serving the host on $port"
  /sbin/xenbed-agent "$port"
else
  say "no virtio port named org.stubdom.xenbed"
fi
say "powering off"
sync
busybox poweroff -f
