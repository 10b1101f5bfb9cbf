#!/bin/bash
# guest-sh TTY SECONDS COMMAND: runs COMMAND in the Linux test guest's serial shell (its ttyS0, a pty
# in dom0), prints what it printed and exits with its status; 124 when no answer came in time.
# The shell is interactive (a person types there too), so it echoes the line it reads, wrapped at 80
# columns: the command is framed by markers whose output differs from their echo (`"on"` is `on`
# once run), and only what comes between them is the command's.
tty=$1 secs=$2 cmd=$3
exec 3<>"$tty" || exit 90
stty -F "$tty" raw -echo 115200 || exit 91
tag="$$-$RANDOM"
printf '%s\n' "echo @@\"on\"-$tag; $cmd; echo @@\"off\"-$tag \$?" >&3
end=$((SECONDS + secs))
on=0
while [ "$SECONDS" -lt "$end" ] && IFS= read -r -t $((end - SECONDS)) line <&3; do
  line=${line%$'\r'}
  case "$on:$line" in
    "0:@@on-$tag") on=1 ;;
    "1:@@off-$tag "*) exit "${line#"@@off-$tag "}" ;;
    1:*) printf '%s\n' "$line" ;;
  esac
done
exit 124
