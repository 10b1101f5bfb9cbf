#!/bin/sh
# The bench's baseline PID 1: a busybox-sh init that does the stubdom's job the way Qubes'
# qemu-stubdom-linux init does it (the steps as described in shared/research/anchors-stubdom.md
# 1.2-1.5), written for this bench, for the dev flavour (dev-mode VM, no Xen). What differs from
# Qubes and why:
# - the kernel modules are loaded here (Debian's cloud kernel has them as modules; Qubes builds
#   them in), from the same list our init reads, with busybox insmod;
# - the XenStore channel is dev mode's virtio port, found by name in sysfs; Xen's own client
#   (xenstore-read/-list/-exists) reaches it through XENSTORED_PATH;
# - no audio, USB, qrexec or direct kernel boot (the demo guest has none), and no `add-fd` for the
#   save console (Qubes' helper is not in Debian);
# - QEMU is Debian's qemu-system-x86_64 (TCG), its output goes to hvc0;
# - / stays writable: the demo guest's disk is a file in the rootfs (Qubes remounts / read-only;
#   its guests' disks are block devices).
# Its first line on the console is the bench's anchor; the two lines around the module loop time it.
echo "baseline-init: starting"
mount -t devtmpfs -o mode=0755 devtmpfs /dev
mount -t sysfs sysfs /sys
mount -t proc proc /proc
mkdir -p /dev/shm
mount -t tmpfs -o size=1m,nodev,noexec tmpfs /tmp
mount -t tmpfs -o size=1m tmpfs /dev/shm
echo 1 > /proc/sys/vm/overcommit_memory

echo "baseline-init: loading modules"
while read -r module params; do
	case "$module" in "" | "#"*) continue ;; esac
	insmod "$module" $params
done < /etc/stubdom/modules
echo "baseline-init: modules loaded"
limit=/sys/module/xen_gntalloc/parameters/limit
[ -w $limit ] && printf "%d\n" "$((1 << 30))" > $limit

if [ ! -e /dev/xen/xenbus ]; then
	for port in /sys/class/virtio-ports/*; do
		[ -r "$port/name" ] || continue
		read -r name < "$port/name"
		[ "$name" = org.xen.xenstore ] && export XENSTORED_PATH="/dev/${port##*/}"
	done
fi

target=$(xenstore-read target)
vm_path=$(xenstore-read "/local/domain/$target/vm")
# One argument per line (a shell cannot carry NULs); `sort` orders 001..999.
dm_args=$(xenstore-read $(xenstore-list -p "$vm_path/image/dm-argv" | sort))

if [ -e /sys/class/net/eth0 ]; then
	ip link set eth0 address fe:ff:ff:ff:ff:fe
	ip addr flush dev eth0
	ip link set eth0 up
	brctl addbr br0
	brctl addif br0 eth0
	ip link set br0 up
else
	echo "No network interface named eth0."
fi

target=$(xenstore-read target)
device_model="device-model/$target"

qemu_ifup() {
	ip link set "$1" down
	ip link set "$1" address fe:ff:ff:ff:ff:fd
	ip addr flush dev "$1"
	brctl addif br0 "$1"
	ip link set "$1" up
}

mkdir -p /tmp/qmp
mkfifo /tmp/qmp/qemu.in /tmp/qmp/qemu.out
echo '{"execute": "qmp_capabilities"}' > /tmp/qmp/qemu.in &
(
	while read -r line; do
		echo "$line" >&2
		case "$line" in
		*'"event": "DEVICE_DELETED", "data": {"device": "nic0",'*)
			echo vif-0 > /sys/bus/xen/drivers/vif/unbind
			xenstore-rm device/vif/0
			;;
		esac
	done < /tmp/qmp/qemu.out
) 2>/dev/hvc0 &

ifname=
IFS='
'
for arg in $dm_args; do
	case "$arg" in
	*ifname=*) ifname=${arg#*ifname=}; ifname=${ifname%%,*} ;;
	esac
done
unset IFS
if [ -n "$ifname" ] && [ -e /sys/class/net/br0 ]; then
	(
		until ip link show "$ifname" > /dev/null 2>&1; do sleep 0.1; done
		qemu_ifup "$ifname"
	) &
fi

# The kernel log holds addresses that undo KASLR: drain it before QEMU runs.
echo "Clearing kmsg buffer..." > /dev/kmsg
while read -r line; do
	case "$line" in *"Clearing kmsg buffer..."*) break ;; esac
done < /proc/kmsg

if xenstore-exists device/console/2; then
	case "$dm_args" in *'$STUBDOM_RESTORE_INCOMING_ARG'*)
		dm_args=$(echo "$dm_args" | sed 's/\$STUBDOM_RESTORE_INCOMING_ARG/fd:3/') ;;
	esac
	exec 3< /dev/hvc2
	stty raw -echo -echoctl <&3
fi
if xenstore-exists device/console/1; then
	exec 4> /dev/hvc1
	stty -F /dev/hvc1 raw
fi

IFS='
'
set -f
/usr/bin/qemu-system-x86_64 \
	-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny \
	-chardev pipe,path=/tmp/qmp/qemu,id=m -mon chardev=m,mode=control \
	-chardev socket,server=on,wait=off,path=/tmp/qemu.qmp,id=m2 -mon chardev=m2,mode=control \
	$dm_args > /dev/hvc0 2>&1 &
qemu_pid=$!
unset IFS
set +f
exec 3<&- 4>&-

until [ -e /tmp/qemu.qmp ]; do sleep 0.1; done
/usr/lib/xen-4.17/bin/vchan-socket-proxy --mode=server 0 "$device_model/qmp-vchan" /tmp/qemu.qmp > /dev/hvc0 2>&1 &

# Whoever holds the console gets a root shell, as in Qubes.
while :; do
	echo "==== Press enter for shell ====" > /dev/hvc0
	read -r _ < /dev/hvc0
	PS1='baseline# ' setsid sh -i < /dev/hvc0 > /dev/hvc0 2>&1
done
