// Package e2e holds end-to-end tests: the real agent, reading emulated
// chips through pseudo-terminals, sending through a real broker (the
// embedded one, or the machine's Mosquitto) to the real collector.
package e2e
