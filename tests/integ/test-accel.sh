#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The guests' accelerator (scripts/accel.sh): KVM only with hardware
# virtualization behind /dev/kvm, TCG otherwise, XVIO_ACCEL to override. The
# machine is faked: a cpuinfo file, a /sys/module directory and a /dev/kvm
# stand-in, given through XVIO_CPUINFO, XVIO_SYSMODULE and XVIO_KVM_DEV.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=integ/accel
. "$ROOT/tests/lib/suite.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT


A="$ROOT/scripts/accel.sh"
printf 'processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae hypervisor lahf_lm\n' >"$TMP/cpu-plain"
printf 'processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae vmx ept lahf_lm\n' >"$TMP/cpu-vmx"
printf 'processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae svm npt lahf_lm\n' >"$TMP/cpu-svm"
mkdir -p "$TMP/mod-pvm/kvm" "$TMP/mod-pvm/kvm_pvm" "$TMP/mod-intel/kvm" "$TMP/mod-intel/kvm_intel" \
	"$TMP/mod-amd/kvm" "$TMP/mod-amd/kvm_amd"
: >"$TMP/kvm" # a /dev/kvm that opens

machine() { # CPUINFO MODDIR DEV -- command...
	local c=$1 m=$2 d=$3
	shift 3
	XVIO_CPUINFO="$TMP/$c" XVIO_SYSMODULE="$TMP/$m" XVIO_KVM_DEV="$d" "$@"
}

# The machines this project runs on: a nested kvm_pvm /dev/kvm, no vmx/svm.
expect pvm_dev_without_flags_is_tcg 0 "^tcg: TCG: no vmx or svm flag .*exists, but without hardware virtualization" \
	machine cpu-plain mod-pvm "$TMP/kvm" env -u XVIO_ACCEL bash "$A"
expect flags_without_module_is_tcg 0 "^tcg: TCG: the CPU has vmx, but neither kvm_intel nor kvm_amd is loaded" \
	machine cpu-vmx mod-pvm "$TMP/kvm" env -u XVIO_ACCEL bash "$A"
expect no_dev_is_tcg 0 "^tcg: TCG: vmx and kvm_intel are there, but $TMP/none cannot be opened" \
	machine cpu-vmx mod-intel "$TMP/none" env -u XVIO_ACCEL bash "$A"
expect intel_is_kvm 0 "^kvm: KVM: the CPU has vmx, kvm_intel is loaded" \
	machine cpu-vmx mod-intel "$TMP/kvm" env -u XVIO_ACCEL bash "$A"
expect amd_is_kvm 0 "^kvm: KVM: the CPU has svm, kvm_amd is loaded" \
	machine cpu-svm mod-amd "$TMP/kvm" env -u XVIO_ACCEL bash "$A"

# The override, and what it refuses.
expect override_tcg 0 "^tcg: XVIO_ACCEL=tcg$" machine cpu-vmx mod-intel "$TMP/kvm" env XVIO_ACCEL=tcg bash "$A"
expect override_kvm 0 "^kvm: XVIO_ACCEL=kvm$" machine cpu-plain mod-pvm "$TMP/kvm" env XVIO_ACCEL=kvm bash "$A"
expect override_kvm_without_dev 2 "XVIO_ACCEL=kvm, but $TMP/none cannot be opened" \
	machine cpu-vmx mod-intel "$TMP/none" env XVIO_ACCEL=kvm bash "$A"
expect override_bogus 2 "^accel: XVIO_ACCEL='bogus' is not an accelerator: use kvm or tcg" \
	machine cpu-vmx mod-intel "$TMP/kvm" env XVIO_ACCEL=bogus bash "$A"
expect override_uppercase 2 "XVIO_ACCEL='KVM' is not an accelerator" \
	machine cpu-vmx mod-intel "$TMP/kvm" env XVIO_ACCEL=KVM bash "$A"

# guest_start refuses a bad override before it starts anything.
guest_start_bogus() {
	GUEST_DIR="$TMP/g"
	mkdir -p "$GUEST_DIR"
	. "$ROOT/scripts/guest.sh"
	XVIO_ACCEL=bogus guest_start vm0 "$TMP/none.sock" 52:54:00:00:00:01 198.18.99.10/24
	local rc=$?
	[ -e "$GUEST_DIR/vm0.qemu.log" ] && echo "QEMU was started"
	return "$rc"
}
expect guest_start_bogus 2 "^guest vm0 not started: XVIO_ACCEL='bogus' is not an accelerator" guest_start_bogus

note "this machine: $(env -u XVIO_CPUINFO -u XVIO_SYSMODULE -u XVIO_KVM_DEV bash "$A" 2>&1)"
exit 0
