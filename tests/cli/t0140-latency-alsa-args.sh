#!/bin/bash
# t0140-latency-alsa-args: the audio planes' command line on the host: options that belong to
# another plane, bad periods and streams exit 2; a machine without a sound card, and the null
# PCM that has no clock, exit 3 with a message and no result. (The ALSA plane on real drivers
# is tested in a QEMU guest: tests/kernel/k0060-alsa-guest.sh.)
. "$(dirname "$0")/../test-lib.sh"
LB=${LATENCY_BENCH:-$SRCDIR/latency-bench}

bad_arg() {
	local msg=$1
	shift
	test_must_fail --exit 2 "$LB" --json r.json "$@" >out 2>err &&
	echo "latency-bench: error: $msg" >expect &&
	test_cmp expect err &&
	test_cmp /dev/null out &&
	! test -e r.json
}

# exit 3, exactly this message, nothing on stdout, no result
env_error() {
	local msg=$1
	shift
	test_must_fail --exit 3 timeout 20 "$LB" -q --json r.json "$@" >out 2>err &&
	echo "latency-bench: error: $msg" >expect &&
	test_cmp expect err &&
	test_cmp /dev/null out &&
	! test -e r.json
}

test_expect_success 'audio options on the timer plane, and timer options on audio planes: exit 2' '
	bad_arg "--device, --capture-device, --stream, --periods, --roundtrip, --start-server and --force-quantum are for --plane alsa or jack" --device hw:0 &&
	bad_arg "--device, --capture-device, --stream, --periods, --roundtrip, --start-server and --force-quantum are for --plane alsa or jack" --periods 3 &&
	bad_arg "--device, --capture-device, --stream, --periods, --roundtrip, --start-server and --force-quantum are for --plane alsa or jack" --force-quantum &&
	bad_arg "--interval is for the timer plane: an audio plane'\''s interval is --period at --rate" --plane alsa --interval 1000 &&
	bad_arg "--start-server and --force-quantum are for --plane jack" --plane alsa --start-server dummy &&
	bad_arg "--start-server and --force-quantum are for --plane jack" --plane alsa --force-quantum &&
	bad_arg "--capture-device, --stream and --periods are ALSA settings: the JACK server has its own" --plane jack --periods 3 &&
	bad_arg "invalid --start-server '\''alsa'\'': expected dummy (jackd with its dummy driver) or pipewire (a private headless PipeWire)" --plane jack --start-server alsa &&
	bad_arg "--force-quantum forces the --period (and --rate) asked for: give --period" --plane jack --force-quantum &&
	bad_arg "--force-quantum is for a server that runs already: --start-server starts one at --period" --plane jack --start-server pipewire --force-quantum --period 64
'

test_expect_success 'bad streams, periods, devices and CPUs for the ALSA plane: exit 2' '
	bad_arg "invalid --stream '\''both'\'': expected playback, capture or duplex" --plane alsa --stream both &&
	bad_arg "invalid --periods '\''1'\'': expected from 2 to 32 periods per buffer" --plane alsa --periods 1 &&
	bad_arg "invalid --periods '\''64'\'': expected from 2 to 32 periods per buffer" --plane alsa --periods 64 &&
	bad_arg "invalid --device '\'''\'': empty device name" --plane alsa --device "" &&
	bad_arg "--roundtrip plays and captures: it needs --stream duplex, not capture" --plane alsa --roundtrip --stream capture &&
	if [ "$(nproc)" -ge 2 ]; then
		bad_arg "invalid --cpus '\''0,1'\'': the alsa plane runs one audio thread: give one CPU to pin it to" --plane alsa --cpus 0,1
	fi
'

test_expect_success 'the null PCM has no clock: exit 3, said so, nothing written' '
	env_error "null is the null PCM: it has no clock, so there is no period to measure" --plane alsa --device null -D 1
'

if grep -q "^ *[0-9]" /proc/asound/cards 2>/dev/null; then
	test_skip 'no sound card: the ALSA plane and devices say so and exit 3' 'this machine has a sound card'
else
	test_expect_success 'no sound card: the ALSA plane and devices say so and exit 3' '
		msg="no sound card: the kernel has registered none (/proc/asound/cards is missing); load a driver, or snd-dummy for a card without hardware" &&
		if test -e /proc/asound/cards; then msg=$(echo "$msg" | sed "s/is missing/is empty/"); fi &&
		env_error "$msg" --plane alsa -D 1 &&
		env_error "$msg" --plane alsa --device hw:3,0 --stream duplex -D 1 &&
		test_must_fail --exit 3 "$LB" devices >out 2>err &&
		echo "latency-bench: error: $msg" >expect &&
		test_cmp expect err &&
		test_cmp /dev/null out
	'
fi

test_done
