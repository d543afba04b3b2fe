// Package collector assembles the collector from its parts: the broker
// link feeding ingest, the store, the rules and alert manager fed with the
// records new to the store, the notifier, and the HTTP API. Run owns every
// goroutine it starts and returns after all have stopped and the store is
// closed.
package collector
