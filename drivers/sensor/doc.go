// Package sensor defines what the agent needs from a driver: the Sensor
// interface, the Spec a device config gives a driver, the Env through
// which a driver reaches its bus, and the registry that maps a driver name
// in a config to the factory that builds it.
//
// Drivers register themselves in an init function; the agent's main
// package imports drivers/all (or a slimmer set) for those side effects.
package sensor
