#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Which QEMU accelerator a guest gets: KVM only where hardware virtualization
# is there for it, TCG otherwise. Source it and call accel_choose, or run it
# to print the choice:
#
#   accel_choose     sets ACCEL (kvm|tcg) and ACCEL_WHY (one line: why);
#                    returns 2 with the error in ACCEL_WHY when XVIO_ACCEL
#                    holds anything but kvm, tcg or nothing.
#
# A /dev/kvm is not enough: a nested module such as kvm_pvm provides one that
# creates VMs in which a stock guest kernel never boots. KVM is chosen when
#   - the CPU flags have vmx or svm, and
#   - kvm_intel or kvm_amd is loaded, and
#   - /dev/kvm can be opened for reading and writing.
# XVIO_ACCEL=kvm|tcg overrides the choice (kvm still needs /dev/kvm).
# XVIO_CPUINFO, XVIO_SYSMODULE and XVIO_KVM_DEV point the checks elsewhere
# (tests use them: tests/integ/test-accel.sh).

accel_choose() {
	local cpuinfo=${XVIO_CPUINFO:-/proc/cpuinfo} mods=${XVIO_SYSMODULE:-/sys/module}
	local dev=${XVIO_KVM_DEV:-/dev/kvm} flag="" mod="" m

	ACCEL=tcg ACCEL_WHY=""
	case "${XVIO_ACCEL:-}" in
	"") ;;
	tcg)
		ACCEL_WHY="XVIO_ACCEL=tcg"
		return 0
		;;
	kvm)
		if [ ! -r "$dev" ] || [ ! -w "$dev" ]; then
			ACCEL_WHY="XVIO_ACCEL=kvm, but $dev cannot be opened for reading and writing"
			return 2
		fi
		ACCEL=kvm ACCEL_WHY="XVIO_ACCEL=kvm"
		return 0
		;;
	*)
		ACCEL_WHY="XVIO_ACCEL='$XVIO_ACCEL' is not an accelerator: use kvm or tcg, or unset it to choose by what the machine has"
		return 2
		;;
	esac

	if grep -qw vmx "$cpuinfo" 2>/dev/null; then
		flag=vmx
	elif grep -qw svm "$cpuinfo" 2>/dev/null; then
		flag=svm
	fi
	for m in kvm_intel kvm_amd; do
		[ -d "$mods/$m" ] && { mod=$m; break; }
	done
	if [ -z "$flag" ]; then
		ACCEL_WHY="TCG: no vmx or svm flag in $cpuinfo"
		[ -e "$dev" ] && ACCEL_WHY="$ACCEL_WHY ($dev exists, but without hardware virtualization a guest kernel does not boot under it)"
	elif [ -z "$mod" ]; then
		ACCEL_WHY="TCG: the CPU has $flag, but neither kvm_intel nor kvm_amd is loaded"
	elif [ ! -r "$dev" ] || [ ! -w "$dev" ]; then
		ACCEL_WHY="TCG: $flag and $mod are there, but $dev cannot be opened for reading and writing"
	else
		ACCEL=kvm ACCEL_WHY="KVM: the CPU has $flag, $mod is loaded, $dev is usable"
	fi
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	accel_choose
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "accel: $ACCEL_WHY" >&2
		exit "$rc"
	fi
	echo "$ACCEL: $ACCEL_WHY"
fi
