#!/bin/sh
# block-writer DISK FIRST_MIB BLOCKS: writes BLOCKS numbered 1 MiB blocks to DISK from FIRST_MIB on,
# each one a line "block 00000000N" repeated, direct and synced, so that dom0 can read from the
# backing file how far the guest got while QEMU was killed under it, and whether any block is torn.
# It runs in the background, so it reports to /dev/kmsg at a level `quiet` still prints: the kernel
# writes its console (ttyS1) polled, which goes on when a process's own tty writes cannot.
disk=$1 first=$2 blocks=$3
say() { echo "<2>guest: $*" > /dev/kmsg; }
i=0
while [ "$i" -lt "$blocks" ]; do
  yes "$(printf 'block %09d' "$i")" | head -c 1048576 > /tmp/blk
  dd if=/tmp/blk of="$disk" bs=1M seek=$((first + i)) count=1 oflag=direct conv=fsync 2> /dev/null || say "write $i failed"
  i=$((i + 1))
done
say "writer done"
