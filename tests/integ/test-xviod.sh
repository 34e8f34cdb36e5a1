#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# xviod as an operator meets it, without guests: bad flags get a clear
# error; xvioctl shows ports and MACs (text and JSON); a vhost-user peer
# sending malformed messages is disconnected with a log line while the
# daemon keeps serving; a socket the XSKMAP refuses (fault injection, on a
# veth: needs root) stops it cleanly; SIGTERM shuts down cleanly and removes
# its sockets.
set -u
O=$(cd "${1:?build dir}" && pwd)
SUITE=integ/xviod
. "$(dirname "$0")/../lib/suite.sh"
TMP=$(mktemp -d)
. "$(dirname "$0")/../lib/xviod.sh"
PEER="$O/tests/tools/vu-peer"
trap 'set +u; xviod_stop; topo_cleanup; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM


# No ports at start: a service whose ports all come with xvioctl port add.
if xviod_start; then
	expect no_ports 0 "^PORT +NAME" "$XC" --ctl "$CTL" ports
	expect no_ports_logged 0 "no ports yet: add guest ports with .xvioctl port add" cat "$XVIOD_LOG"
	xviod_stop
else
	fail no_ports "xviod did not start without ports: $(tail -3 "$XVIOD_LOG")"
fi
expect bad_mac 2 "bad MAC '02:zz:00:00:00:01'" "$X" --ctl "$CTL" --vhost "$TMP/a.sock,mac=02:zz:00:00:00:01"
expect group_mac 2 "bad MAC '01:00:5e:00:00:01'" "$X" --ctl "$CTL" --vhost "$TMP/a.sock,mac=01:00:5e:00:00:01"
expect bad_queues 2 "queues=9 \(1..8\)" "$X" --ctl "$CTL" --vhost "$TMP/a.sock,queues=9"
expect bad_option 2 "unknown option 'colour=red'" "$X" --ctl "$CTL" --vhost "$TMP/a.sock,colour=red"
expect bad_poll 2 "--poll fast: expected busy, adaptive or interrupt" "$X" --ctl "$CTL" --poll fast --vhost "$TMP/a.sock"
expect bad_cores 2 "--cores x: expected a list of CPU numbers" "$X" --ctl "$CTL" --cores x --vhost "$TMP/a.sock"
expect bad_max_mtu 2 "--max-mtu 67: expected 68..65535" "$X" --ctl "$CTL" --max-mtu 67 --vhost "$TMP/a.sock"
# A socket that cannot listen (its directory is missing) stops xviod with
# an error, and exit status 1 (it was 0).
expect listen_fails 1 "a.sock: cannot listen on .*/nodir/a.sock: No such file or directory" \
	"$X" --ctl "$CTL" --vhost "$TMP/nodir/a.sock"
expect ctl_no_daemon 1 "cannot reach xviod at $CTL" "$XC" --ctl "$CTL" ports
expect bad_socket_mode 2 "--socket-mode 0666: the owner must read and write, the group both or neither, other users nothing" \
	"$X" --ctl "$CTL" --socket-mode 0666 --vhost "$TMP/a.sock"
expect bad_socket_group 2 "--socket-group no-such-group-xv: no such group" \
	"$X" --ctl "$CTL" --socket-group no-such-group-xv --vhost "$TMP/a.sock"
expect bad_metrics 2 "--metrics 9500: expected ADDR:PORT, e.g. 127.0.0.1:9500" "$X" --ctl "$CTL" --metrics 9500 --vhost "$TMP/a.sock"
expect bad_metrics_addr 1 "--metrics: 'localhost' is not an IPv4 or IPv6 address" "$X" --ctl "$CTL" --metrics localhost:9500 --vhost "$TMP/a.sock"
# --metrics answers GET and HEAD of /metrics (HEAD without a body), 404
# elsewhere, 405 with Allow for other methods
mport=$(free_port)
if xviod_start --metrics "127.0.0.1:$mport" --vhost "$TMP/m0.sock"; then
	expect metrics_http 0 "^200 200 0 404 405 GET, HEAD$" python3 -c '
import http.client, sys
def ask(method, path):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
    c.request(method, path)
    r = c.getresponse()
    return r, r.read()
g, gb = ask("GET", "/metrics")
h, hb = ask("HEAD", "/metrics")
n, _ = ask("GET", "/nope")
p, _ = ask("POST", "/metrics")
ok = b"xvio_port_from_guest_total" in gb
print(g.status if ok else "no-samples", h.status, len(hb), n.status, p.status, p.getheader("Allow"))
' "$mport"
	xviod_stop
else
	fail metrics_http "xviod did not start with --metrics"
fi
expect dup_port_names 2 "two ports named x.sock" "$X" --ctl "$CTL" --vhost "$TMP/d1/x.sock" --vhost "$TMP/d2/x.sock"
expect bad_port_name 2 "the socket's name 'a b.sock' may not hold spaces" "$X" --ctl "$CTL" --vhost "$TMP/a b.sock"
expect bad_max_macs 2 "max_macs=x \\(0..8192; 0: no limit\\)" "$X" --ctl "$CTL" --vhost "$TMP/a.sock,max_macs=x"
# --config: an INI file gives what the command line gives; the command line
# adds to it; errors name the file and line.
cat >"$TMP/x.conf" <<CONF
# xviod.conf for the test
[xviod]
poll = interrupt
max-mtu = 9000
[vhost vm0]
path = $TMP/c0.sock
mac = 02:00:00:00:00:31
[vhost vm1]
path = $TMP/c1.sock
queues = 2
CONF
printf '[vhost a]\npath = %s\ncolour = red\n' "$TMP/a.sock" >"$TMP/bad-key.conf"
printf '[vhost a]\nmac = 02:00:00:00:00:01\n' >"$TMP/no-path.conf"
printf '[vhost a]\npath = %s\nmac = 02:zz:00:00:00:01\n' "$TMP/a.sock" >"$TMP/bad-mac.conf"
printf 'poll = busy\n' >"$TMP/no-section.conf"
printf '[xviod]\nverbose = yes\n' >"$TMP/bad-verbose.conf"
expect config_bad_verbose 2 "bad-verbose.conf:2: verbose = yes: expected 0..3" "$X" --ctl "$CTL" --config "$TMP/bad-verbose.conf"
expect config_bad_key 2 "bad-key.conf:3: unknown key 'colour' in this section \\(path, mac, client, queues, src_check, max_macs\\)" \
	"$X" --ctl "$CTL" --config "$TMP/bad-key.conf"
expect config_no_path 2 "no-path.conf: \\[vhost a\\] needs path = SOCKET" "$X" --ctl "$CTL" --config "$TMP/no-path.conf"
expect config_bad_value 2 "bad MAC '02:zz:00:00:00:01'.*that option came from $TMP/bad-mac.conf" \
	bash -c '"$@" 2>&1 | tr "\n" " "; exit ${PIPESTATUS[0]}' - "$X" --ctl "$CTL" --config "$TMP/bad-mac.conf"
expect config_no_section 2 "no-section.conf:1: poll = busy: outside any section" "$X" --ctl "$CTL" --config "$TMP/no-section.conf"
expect config_missing 2 "--config $TMP/nope.conf: cannot read it" "$X" --ctl "$CTL" --config "$TMP/nope.conf"
if xviod_start --config "$TMP/x.conf" --vhost "$TMP/c2.sock" --max-mtu 4000; then
	expect config_ports 0 " 1 +c0.sock +server +waiting +02:00:00:00:00:31 +0/1 .* 2 +c1.sock +server +waiting +- +0/2 .* 3 +c2.sock" \
		bash -c '"$@" | tr "\n" " "' - "$XC" --ctl "$CTL" ports
	# poll from the file; max-mtu from the command line, over the file's 9000
	expect config_options 0 '"poll_mode":"interrupt".*"max_mtu":4000' "$XC" --ctl "$CTL" --json ports
	xviod_stop
else
	fail config_ports "xviod did not start from $TMP/x.conf"
fi
# --state: static MACs added at runtime survive a restart; a corrupt file,
# an unknown version or a port that is gone stops xviod, nothing applied.
if xviod_start --state "$TMP/state.ini" --vhost "$TMP/s0.sock" --vhost "$TMP/s1.sock"; then
	"$XC" --ctl "$CTL" mac add 02:00:00:00:00:0b s1.sock >/dev/null
	expect state_written 0 "^mac = 02:00:00:00:00:0b s1.sock$" cat "$TMP/state.ini"
	xviod_stop
	xviod_start --state "$TMP/state.ini" --vhost "$TMP/s0.sock" --vhost "$TMP/s1.sock" ||
		fail state_restored "xviod did not start again"
	expect state_restored 0 "02:00:00:00:00:0b +2 +s1.sock +static" "$XC" --ctl "$CTL" macs
	"$XC" --ctl "$CTL" mac del 02:00:00:00:00:0b >/dev/null
	expect state_del_written 0 "^version = 2$" bash -c '! grep -q 02:00:00:00:00:0b "$1" && cat "$1"' - "$TMP/state.ini"
	xviod_stop
else
	fail state_written "xviod did not start with --state"
fi
# xvioctl port add/del: ports at runtime, kept by --state with their numbers
# (flows name ports by number) and the MACs added on them; bad requests get
# one line each and change nothing.
if xviod_start --state "$TMP/pst.ini" --vhost "$TMP/p0.sock,mac=02:00:00:00:00:40"; then
	expect port_add 0 "^added port 2 \\(p1.sock\\)$" "$XC" --ctl "$CTL" port add "$TMP/p1.sock,mac=02:00:00:00:00:41,queues=2"
	expect port_add_listening 0 "p1.sock" bash -c 'test -S "$1" && echo "$1"' - "$TMP/p1.sock"
	expect port_add_state 0 "^port = 2 $TMP/p1.sock,mac=02:00:00:00:00:41,queues=2$" cat "$TMP/pst.ini"
	"$XC" --ctl "$CTL" mac add 02:00:00:00:00:4b p1.sock >/dev/null
	expect port_add_bad_spec 1 "^error: port add $TMP/p2.sock: unknown option 'speed=9'" \
		"$XC" --ctl "$CTL" port add "$TMP/p2.sock,speed=9"
	expect port_add_dup_path 1 "^error: $TMP/p1.sock: port 2 already has that socket" \
		"$XC" --ctl "$CTL" port add "$TMP/p1.sock"
	expect port_add_dup_name 1 "^error: $TMP/d1/p1.sock: port 2 is already named p1.sock" \
		"$XC" --ctl "$CTL" port add "$TMP/d1/p1.sock"
	# the same mac= twice: a guest migrating between two ports on this host
	expect port_add_same_mac 0 "^added port 3 \\(p3.sock\\)$" \
		"$XC" --ctl "$CTL" port add "$TMP/p3.sock,mac=02:00:00:00:00:40"
	"$XC" --ctl "$CTL" port del p3.sock >/dev/null
	expect port_add_no_dir 1 "^error: .*cannot listen on $TMP/nodir/p4.sock: No such file or directory" \
		"$XC" --ctl "$CTL" port add "$TMP/nodir/p4.sock"
	mkdir -p "$TMP/pww" && chmod 0777 "$TMP/pww"
	expect port_add_world_writable 1 "^error: .*its directory $TMP/pww is writable by every user" \
		"$XC" --ctl "$CTL" port add "$TMP/pww/p5.sock"
	expect port_del_missing 1 "^error: no port '9'" "$XC" --ctl "$CTL" port del 9
	expect port_add_in_use 1 "^error: $CTL: a program is listening on that socket already" \
		"$XC" --ctl "$CTL" port add "$CTL"
	expect port_add_static_mac 1 "^error: $TMP/p7.sock: its mac= is a static MAC of port 2 already" \
		"$XC" --ctl "$CTL" port add "$TMP/p7.sock,mac=02:00:00:00:00:4b"
	expect mac_add_taken 1 "^error: 02:00:00:00:00:4b is a static MAC of port 2 already" \
		"$XC" --ctl "$CTL" mac add 02:00:00:00:00:4b p0.sock
	expect port_bad_unchanged 0 "^1 +p0.sock .*2 +p1.sock +server +waiting +02:00:00:00:00:41 +0/2 +- +- *$" \
		bash -c '"$@" | tail -n +2 | tr "\n" " "' - "$XC" --ctl "$CTL" ports
	xviod_stop
	# after a restart: the port with its number, its static MAC
	if xviod_start --state "$TMP/pst.ini" --vhost "$TMP/p0.sock,mac=02:00:00:00:00:40"; then
		expect port_state_restored 0 "^2 +p1.sock +server +waiting +02:00:00:00:00:41 +0/2" "$XC" --ctl "$CTL" ports
		expect port_state_mac_restored 0 "02:00:00:00:00:4b +2 +p1.sock +static" "$XC" --ctl "$CTL" macs
		# removed by its path: socket file, MACs and state entries go
		expect port_del 0 "^removed port 2 \\(p1.sock\\)$" "$XC" --ctl "$CTL" port del "$TMP/p1.sock"
		expect port_del_clean 0 "^clean$" bash -c '! test -e "$1" && ! "$2" --ctl "$3" macs | grep -q "p1.sock" &&
			! grep -q "p1.sock" "$4" && echo clean' - "$TMP/p1.sock" "$XC" "$CTL" "$TMP/pst.ini"
		# the freed number is the next one given
		expect port_id_reused 0 "^added port 2 \\(p6.sock\\)$" "$XC" --ctl "$CTL" port add "$TMP/p6.sock"
		expect port_del_configured 0 "^removed port 1 \\(p0.sock\\); it is a --vhost port" "$XC" --ctl "$CTL" port del p0.sock
		# added again at runtime: a number of its own (1 stays the --vhost
		# port's), and the next start with the same options starts
		expect port_readd_configured 0 "^added port 3 \\(p0.sock\\)$" "$XC" --ctl "$CTL" port add "$TMP/p0.sock,mac=02:00:00:00:00:40"
		xviod_stop
		if xviod_start --state "$TMP/pst.ini" --vhost "$TMP/p0.sock,mac=02:00:00:00:00:40"; then
			expect port_readd_restart 0 "^1 +p0.sock .*2 +p6.sock" bash -c '"$@" | tail -n +2 | tr "\n" " "' - "$XC" --ctl "$CTL" ports
			expect port_readd_warned 0 "port 3 $TMP/p0.sock is a --vhost port now \\(port 1\\); the saved one is left out" cat "$XVIOD_LOG"
		else
			fail port_readd_restart "xviod did not start: $(tail -3 "$XVIOD_LOG")"
		fi
		xviod_stop
	else
		fail port_state_restored "xviod did not start again: $(tail -3 "$XVIOD_LOG")"
	fi
else
	fail port_add "xviod did not start"
fi
# a state file whose port clashes with the command line's: refused, nothing applied
printf '[xvio-state]\nversion = 2\n[ports]\nport = 1 %s\n' "$TMP/q9.sock" >"$TMP/st-clash.ini"
expect state_port_clash 1 "st-clash.ini:4: $TMP/q9.sock: port id 1 is taken .*nothing was applied" \
	timeout 10 "$X" --ctl "$CTL" --state "$TMP/st-clash.ini" --vhost "$TMP/s0.sock"
printf 'garbage line\n' >"$TMP/st-corrupt.ini"
printf '[xvio-state]\nversion = 9\n' >"$TMP/st-version.ini"
printf '[xvio-state]\nversion = 1\n[macs]\nmac = 02:00:00:00:00:0c gone.sock\n' >"$TMP/st-gone.ini"
expect state_corrupt 1 "st-corrupt.ini:1: .*nothing was applied" \
	timeout 10 "$X" --ctl "$CTL" --state "$TMP/st-corrupt.ini" --vhost "$TMP/s0.sock"
expect state_version 1 "st-version.ini: version 9, this xviod reads versions 1 and 2; nothing was applied" \
	timeout 10 "$X" --ctl "$CTL" --state "$TMP/st-version.ini" --vhost "$TMP/s0.sock"
expect state_port_gone 1 "st-gone.ini:4: no port named 'gone.sock'; nothing was applied" \
	timeout 10 "$X" --ctl "$CTL" --state "$TMP/st-gone.ini" --vhost "$TMP/s0.sock"
# A socket directory every user can write (they could swap the socket): refused.
mkdir -p "$TMP/ww" && chmod 1777 "$TMP/ww"
expect world_writable_dir 1 "its directory $TMP/ww is writable by every user" \
	timeout 10 "$X" --ctl "$CTL" --vhost "$TMP/ww/a.sock"
expect world_writable_ctl_dir 1 "its directory $TMP/ww is writable by every user" \
	timeout 10 "$X" --ctl "$TMP/ww/ctl.sock" --vhost "$TMP/a.sock"
# ... and one another user owns
mkdir -p "$TMP/nb" && chown 65534 "$TMP/nb"
expect foreign_owned_dir 1 "its directory $TMP/nb belongs to uid 65534" \
	timeout 10 "$X" --ctl "$CTL" --vhost "$TMP/nb/a.sock"
# --socket-group and --socket-mode reach the vhost-user sockets, --ctl-group
# the control socket.
grp=$(getent group nogroup >/dev/null && echo nogroup || id -gn)
xviod_start --socket-group "$grp" --vhost "$TMP/g.sock" || fail socket_group "xviod did not start"
expect socket_group 0 "^600 root 660 $grp$" bash -c 'echo $(stat -c "%a %G" "$@")' - "$CTL" "$TMP/g.sock"
xviod_stop
# the control socket gets a group only with --ctl-group (QEMU's group would
# otherwise get xvioctl, flows included)
xviod_start --ctl-group "$grp" --vhost "$TMP/g.sock" || fail ctl_group "xviod did not start"
expect ctl_group 0 "^660 $grp 600 root$" bash -c 'echo $(stat -c "%a %G" "$@")' - "$CTL" "$TMP/g.sock"
xviod_stop
# QEMU as an unprivileged user: with --socket-group, a frontend running as
# nobody in that group connects to the server socket and is served; one
# outside the group is refused by the socket's mode.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && getent group nogroup >/dev/null; then
	ngid=$(getent group nogroup | cut -d: -f3)
	# 0711: the socket's own mode, not the directory's, must be what refuses
	mkdir -p "$TMP/qs" && chmod 0711 "$TMP/qs" && chmod 711 "$TMP"
	if xviod_start --socket-group nogroup --vhost "$TMP/qs/vm.sock"; then
		expect unprivileged_frontend 0 "^reply$" setpriv --reuid=65534 --regid="$ngid" \
			--clear-groups "$PEER" "$TMP/qs/vm.sock" good --expect reply
		expect unprivileged_other_group_refused 2 "Permission denied" setpriv --reuid=65534 \
			--regid=65533 --clear-groups "$PEER" "$TMP/qs/vm.sock" good --expect reply
		xviod_stop
	else
		fail unprivileged_frontend "xviod did not start"
	fi
	# --ctl-group lets its members use xvioctl: by primary group, and by a
	# supplementary one (SO_PEERGROUPS); others stay refused
	if xviod_start --ctl-group nogroup --vhost "$TMP/qs/vm.sock"; then
		expect ctl_group_member 0 "vm.sock" setpriv --reuid=65534 --regid="$ngid" --clear-groups \
			"$XC" --ctl "$CTL" ports
		expect ctl_group_supplementary 0 "vm.sock" setpriv --reuid=65534 --regid=65533 \
			--groups="$ngid" "$XC" --ctl "$CTL" ports
		expect ctl_group_other_refused 1 "Permission denied" setpriv --reuid=65534 --regid=65533 \
			--clear-groups "$XC" --ctl "$CTL" ports
		xviod_stop
	else
		fail ctl_group_member "xviod did not start"
	fi
	chmod 700 "$TMP"
else
	prereq_missing unprivileged_frontend "needs root, setpriv and the nogroup group"
fi
# As client, a frontend whose listen backlog is full and that never accepts
# holds nothing up: xvioctl is answered, the port keeps "connecting".
python3 -c '
import socket, sys, time
l = socket.socket(socket.AF_UNIX); l.bind(sys.argv[1]); l.listen(0)
held = []
for i in range(4):
    c = socket.socket(socket.AF_UNIX); c.setblocking(False)
    try: c.connect(sys.argv[1])
    except OSError: pass
    held.append(c)
print("ready", flush=True)
time.sleep(60)
' "$TMP/full.sock" >"$TMP/full.out" &
full=$!
topo_track_pid "$full"
wait_for 5 grep -q ready "$TMP/full.out"
xviod_start --vhost "$TMP/full.sock,client" --vhost "$TMP/ok.sock" || fail client_backlog_full "xviod did not start"
expect client_backlog_full 0 "full.sock +client +connecting" timeout 3 "$XC" --ctl "$CTL" ports
xviod_stop
kill "$full" 2>/dev/null; wait "$full" 2>/dev/null
expect ctl_bad_command 2 "unknown command 'frobnicate'" "$XC" --ctl "$CTL" frobnicate

xviod_start --max-mtu 4000 --vhost "$TMP/vm0.sock,mac=02:00:00:00:00:01" \
	--vhost "$TMP/vm1.sock,queues=2" --vhost "$TMP/gone.sock,client" || { fail start xviod; exit 0; }
expect second_daemon 1 "another xviod is running on $CTL" "$X" --ctl "$CTL" --vhost "$TMP/other.sock"
expect ports_text 0 "^1 +vm0.sock +server +waiting +02:00:00:00:00:01" "$XC" --ctl "$CTL" ports
expect ports_client 0 "gone.sock +client +connecting" "$XC" --ctl "$CTL" ports
expect ports_json 0 '"name":"vm1.sock","path":"[^"]*vm1.sock","mode":"server","state":"waiting","mac":"","queue_pairs":2' \
	"$XC" --ctl "$CTL" --json ports
expect offered_features 0 '"features_offered_names":"CSUM GUEST_CSUM MTU GUEST_TSO4 GUEST_TSO6 GUEST_ECN HOST_TSO4 HOST_TSO6 HOST_ECN MRG_RXBUF STATUS CTRL_VQ GUEST_ANNOUNCE MQ LOG_ALL INDIRECT_DESC EVENT_IDX PROTOCOL_FEATURES VERSION_1 RING_PACKED"' \
	"$XC" --ctl "$CTL" --json ports
# No frontend has set an MTU yet; the limit is --max-mtu's.
expect ports_mtu 0 '"name":"vm0.sock".*"mtu":0,"max_mtu":4000' "$XC" --ctl "$CTL" --json ports
expect macs_static 0 "02:00:00:00:00:01 +1 +vm0.sock +static" "$XC" --ctl "$CTL" macs
# Static MACs at runtime: added, listed, removed, with clear errors.
expect mac_add 0 "added 02:00:00:00:00:09 on port 2 \\(vm1.sock\\)" "$XC" --ctl "$CTL" mac add 02:00:00:00:00:09 vm1.sock
expect mac_add_listed 0 "02:00:00:00:00:09 +2 +vm1.sock +static" "$XC" --ctl "$CTL" macs
expect mac_add_by_id 0 "added 02:00:00:00:00:0a on port 1 \\(vm0.sock\\)" "$XC" --ctl "$CTL" mac add 02:00:00:00:00:0a 1
expect mac_del 0 "removed 02:00:00:00:00:09" "$XC" --ctl "$CTL" mac del 02:00:00:00:00:09
expect mac_del_again 1 "error: 02:00:00:00:00:09 was not added with mac add" "$XC" --ctl "$CTL" mac del 02:00:00:00:00:09
expect mac_del_configured 1 "a --vhost mac= is configuration" "$XC" --ctl "$CTL" mac del 02:00:00:00:00:01
expect mac_add_bad_port 1 "error: no port 'nope'" "$XC" --ctl "$CTL" mac add 02:00:00:00:00:09 nope
expect mac_add_group 1 "error: '01:00:5e:00:00:01' is not a unicast MAC address" "$XC" --ctl "$CTL" mac add 01:00:5e:00:00:01 1
expect mac_usage 1 "error: usage: mac add MAC PORT \\| mac del MAC" "$XC" --ctl "$CTL" mac add 02:00:00:00:00:09
"$XC" --ctl "$CTL" mac del 02:00:00:00:00:0a >/dev/null
expect stats_json 0 '"ports":\[\{"port":1,"name":"vm0.sock","from_guest":0' "$XC" --ctl "$CTL" --json stats
expect client_waiting_logged 0 "gone.sock: waiting for the frontend at" cat "$TMP/xviod.log"

# Half a header is not an error while more may come (a message can arrive in
# pieces); the peer that then leaves mid-message is logged.
expect peer_truncated 0 "^silent$" "$PEER" "$TMP/vm0.sock" truncated --expect silent
for m in oversize unknown bad-index bad-size fds; do
	expect "peer_$m" 0 "^closed$" "$PEER" "$TMP/vm0.sock" "$m" --expect closed
	kill -0 "$XPID" 2>/dev/null || { fail "peer_$m" "xviod died"; break; }
done
expect log_truncated 0 "vm0.sock: the frontend closed the connection in the middle of a message \\(7 bytes" cat "$TMP/xviod.log"
expect log_oversize 0 "vm0.sock: request 2 \(SET_FEATURES\) with a 1048576-byte payload" cat "$TMP/xviod.log"
expect log_unknown 0 "vm0.sock: request 99 \(UNKNOWN\) is not supported; closing connection" cat "$TMP/xviod.log"
expect log_bad_index 0 "vm0.sock: SET_VRING_NUM: ring index 200 \(device has 3 rings\)" cat "$TMP/xviod.log"
expect log_bad_size 0 "vm0.sock: SET_FEATURES: payload of 4 bytes \(want 8\)" cat "$TMP/xviod.log"
expect log_fds 0 "vm0.sock: SET_FEATURES: 2 unexpected file descriptors" cat "$TMP/xviod.log"
expect served_after_abuse 0 "^reply$" "$PEER" "$TMP/vm0.sock" good --expect reply
# A polling guest's receive-ring refills need no kick: xviod says so once the
# rings are ready (the guest saves a syscall per refill).
expect rx_ring_quiet 0 "^quiet$" "$PEER" "$TMP/vm0.sock" rxquiet --expect quiet
expect other_port_served 0 "^reply$" "$PEER" "$TMP/vm1.sock" good --expect reply

# Sockets are owner-only unless told otherwise (umask 077 from bind on).
expect socket_modes 0 "^600 600 600$" bash -c 'echo $(stat -c %a "$@")' - "$CTL" "$TMP/vm0.sock" "$TMP/vm1.sock"
# A client trickling its request a byte every 0.3 s is cut off after 1 s;
# xvioctl, asking once the trickle has begun, is answered meanwhile (the
# control thread used to wait up to a second per byte).
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
for i, c in enumerate(b"ports json          \n"):
    try: s.send(bytes([c]))
    except OSError: break
    if i == 0: print("trickling", flush=True)
    time.sleep(0.3)
' "$CTL" >"$TMP/trickle.out" 2>&1 &
trickler=$!
topo_track_pid "$trickler"
wait_for 5 grep -q trickling "$TMP/trickle.out"
expect ctl_trickle_no_stall 0 "vm0.sock" timeout 3 "$XC" --ctl "$CTL" ports
wait "$trickler"
# The credential check behind the file mode: with the socket opened to all
# by hand (an operator's mistake), another user is still refused.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 666 "$CTL"
	chmod 711 "$TMP" # mktemp's 0700 would stop the other user at the directory
	expect ctl_peer_refused 1 "permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$XC" --ctl "$CTL" ports
	expect log_peer_refused 0 "control socket: refused a request from uid 65534" cat "$TMP/xviod.log"
	chmod 700 "$TMP"
	chmod 600 "$CTL"
else
	prereq_missing ctl_peer_refused "needs root and setpriv (util-linux) to run xvioctl as another user"
fi

# The XSKMAP refuses a socket (fault injection: a healthy kernel never does):
# xviod says which socket, exits 1, and leaves no program or pin on the NIC.
# It used to print an uninitialised buffer there.
xskmap_refused() {
	local h=${TOPO_ID}h ns=${TOPO_ID}-wire p=${TOPO_ID}p out rc
	topo_pair "$h" "$ns" "$p" "" "" || { fail xskmap_refused "topology"; return; }
	out=$(LD_PRELOAD="$O/tests/tools/fail-xskmap.so" XVIO_FAIL_XSKMAP=1 timeout 20 \
		"$X" --ctl "$TMP/x.sock" --nic "$h" --vhost "$TMP/x0.sock" 2>&1)
	rc=$?
	if [ "$rc" -ne 1 ]; then
		fail xskmap_refused "exit $rc, want 1: $out"
	elif ! echo "$out" | grep -q "error: $h q0: cannot put the socket of port 0 into the XSKMAP: Operation not permitted"; then
		fail xskmap_refused "no line naming the socket: $out"
	elif ip -d link show "$h" | grep -q 'prog/xdp' || [ -e "/sys/fs/bpf/xvio/$h" ]; then
		fail xskmap_refused "program or pins left on $h"
	else
		pass xskmap_refused
	fi
}
if [ "$(id -u)" -eq 0 ]; then
	topo_init xx
	trap 'set +u; xviod_stop; topo_cleanup; rm -rf "$TMP"' EXIT
	xskmap_refused
else
	prereq_missing xskmap_refused "needs root (a veth and an XDP program)"
fi

kill -TERM "$XPID"
if ! wait_for 5 bash -c "! kill -0 $XPID"; then
	fail sigterm "still running 5 s after SIGTERM"
else
	wait "$XPID"
	rc=$?
	XPID=""
	if [ "$rc" -ne 0 ]; then
		fail sigterm "exit status $rc"
	elif [ -e "$CTL" ] || [ -e "$TMP/vm0.sock" ] || [ -e "$TMP/vm1.sock" ]; then
		fail sigterm "sockets left behind: $(ls "$TMP")"
	elif ! grep -q "caught SIGTERM; shutting down" "$TMP/xviod.log"; then
		fail sigterm "no shutdown line in the log"
	else
		pass sigterm
	fi
fi
exit 0
