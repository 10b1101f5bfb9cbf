#!/bin/sh
# udhcpc's hook in the test guest: the lease's address on the interface, nothing more (no default
# route: each NIC is a link of its own to dom0).
case "$1" in
  deconfig) ip -4 addr flush dev "$interface" ;;
  bound|renew) ip -4 addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface" ;;
esac
exit 0
