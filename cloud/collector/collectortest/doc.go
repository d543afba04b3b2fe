// Package collectortest runs the real collector in this process for
// tests and the benchmarks: it writes a collector config and its plan
// files to a directory, loads the config as xiuhua-collector would,
// serves the API on a fresh loopback port and runs the collector until it
// is stopped.
//
// The collector's own tests, the end-to-end tests, the fleet test rig and
// the benchmarks' rigs each wrote nearly the same config and started the
// collector by hand; with this package they say only what differs. It is not a _test package because the benchmarks, which
// ship in xiuhua-sim, use it too; for the same reason it does not import
// testing (see TB).
package collectortest
