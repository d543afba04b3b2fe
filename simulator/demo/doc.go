// Package demo runs Xiuhua end to end on one machine with nothing
// installed: an embedded MQTT broker, the real collector with its embedded
// store, a webhook sink standing in for an office, and simulated dust
// sites. Each site is a PMS5003 emulator writing real frames into a
// pseudo-terminal and the real agent reading that terminal as it would
// read /dev/ttyAMA0 on a board.
//
// The configs are written as YAML into the demo's directory and loaded
// with the same loaders the binaries use, so the demo also proves the
// sample configs' shape.
package demo
