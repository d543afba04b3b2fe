// Package collector assembles the collector from its parts: the broker
// link feeding ingest (batches) and the device registry (statuses,
// heartbeats, and batch arrivals as signs of life), the store, the rules
// and alert manager fed with the records new to the store, the notifier,
// and the HTTP API. Run owns every goroutine it starts and returns after
// all have stopped and the store is closed.
package collector
