#!/bin/bash
# The host's hands in dom0. Each request is one line, `<id> <seconds> <base64 of a bash script>`;
# the script runs under `timeout`, its output goes back on the port, closed by the line
# `@@end <id> <exit code> <milliseconds>`. The line `quit` ends the loop.
exec 3<>"$1"
exec <&3 >&3 2>&3
echo "@@ready"
while IFS=' ' read -r id secs script; do
  [ "$id" = quit ] && break
  t0=$(date +%s%N)
  printf '%s' "$script" | base64 -d >/tmp/request-"$id".sh
  timeout -k 5 "$secs" bash /tmp/request-"$id".sh </dev/null
  rc=$?
  echo
  echo "@@end $id $rc $((($(date +%s%N) - t0) / 1000000))"
done
