#!/usr/bin/env bash
# `manage.py qcluster` as honcho runs it (the worker line of `make run` and `make serve`).
#
# On stop, q2's main process must get SIGTERM before its workers: given to all at once, as
# honcho does, q2 hangs until killed. So the cluster runs in a session of its own, out of
# honcho's reach, and this script stops it: the main process first, then the whole session.
#
# It also ends the session when the main process dies on its own, SIGKILL included: its workers
# would live on, holding honcho's output pipe, and honcho takes a process for ended only once
# that pipe closes. It would neither notice nor ever stop, Ctrl-C or not.
GRACE_TENTHS=30  # SIGTERM to SIGKILL: well within the 5 s honcho gives us before its own SIGKILL

# setsid and setpriv exec: the main process leads the session and its group, and gets SIGTERM
# should this script die first, so it stops rather than running on out of everyone's reach.
setsid setpriv --pdeathsig TERM python manage.py qcluster &
session=$!
# TERM or INT ends `wait` after this trap, which gives the main process 0.3 s to start stopping
# before the rest of the session is told to.
trap 'kill -TERM $session 2>/dev/null; sleep 0.3' TERM INT
wait $session
status=$?

kill -TERM -- -$session 2>/dev/null
# Once the main process has gone, the rest is told again every half second: a worker running
# the dispatcher takes SIGTERM as "wind down", then waits for q2's stop pill, which never comes
# if that SIGTERM also ended q2's sentinel before it handed them out (a busy machine is slow
# to). The main process is not: a second SIGTERM can deadlock its stop.
for tenth in $(seq $GRACE_TENTHS); do
    kill -0 -- -$session 2>/dev/null || exit $status
    kill -0 $session 2>/dev/null || ((tenth % 5)) || kill -TERM -- -$session 2>/dev/null
    sleep 0.1
done
echo "qcluster still running $((GRACE_TENTHS / 10)) s after SIGTERM: sending SIGKILL to"
ps -o pid=,args= -g $session
kill -KILL -- -$session 2>/dev/null
exit $status
