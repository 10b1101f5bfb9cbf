#!/bin/bash
# The host's hands in dom0. Each request is one line, `<id> <seconds> <base64 of a bash script>`;
# the script runs under `timeout`, its output goes back on the port, closed by the line
# `@@end <id> <exit code> <milliseconds>`. The line `quit` ends the loop.
# A request still running 20 s after its bound (so `timeout -k 5` could not end it: a process in
# uninterruptible sleep) leaves the blocked tasks' stacks and a process list on dom0's console,
# which is the bed's serial.log.
# An empty line is the host's nudge while it waits (Dom0Agent's KICK_MS): it only wakes the bed.
exec 3<>"$1"
exec <&3 >&3 2>&3
echo "@@ready"
while IFS=' ' read -r id secs script; do
  [ -z "$id" ] && continue
  [ "$id" = quit ] && break
  t0=$(date +%s%N)
  printf '%s' "$script" | base64 -d >/tmp/request-"$id".sh
  (
    sleep $((secs + 20)) || exit
    {
      echo "xenbed dom0: request $id still runs $((secs + 20)) s after it began; blocked tasks and processes:"
      echo w >/proc/sysrq-trigger
      dmesg | tail -n 400
      ps -eo pid,ppid,stat,wchan:32,etime,args
    } >/dev/hvc0 2>&1
  ) >/dev/null 2>&1 &
  stuck=$!
  timeout -k 5 "$secs" bash /tmp/request-"$id".sh </dev/null
  rc=$?
  pkill -P "$stuck" sleep
  wait "$stuck"
  echo
  echo "@@end $id $rc $((($(date +%s%N) - t0) / 1000000))"
done
