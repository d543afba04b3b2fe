// Package mosquitto runs a private Mosquitto broker as a child process, on
// a loopback address of its own with a configuration written for it: for
// tests that need a real broker they can stop, crash and start again, and
// for the simulator's fault injection (simulator/fault). It never uses the
// machine's Mosquitto on port 1883.
//
// Start returns errors; StartTest is the same for a test, which it fails
// when the broker does not start (mosquitto not installed included: a
// missing broker is a broken machine, not a reason to skip).
package mosquitto
