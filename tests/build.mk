# tests/: test binaries (BPF tests, unit tests, integration helpers).
TEST_BINS :=
