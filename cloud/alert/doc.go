// Package alert owns the alerts' lifecycle: a rule's transitions open and
// resolve alerts (open → acknowledged → resolved), each routed to an
// office and told through the durable notifier; alerts nobody
// acknowledges are escalated along the offices' chain; a stream that
// opens and clears too often is folded into one alert (flap suppression:
// one alert to acknowledge, whose every re-opening and resolution is
// still told, so that an office's last message matches its state; an
// acknowledgement holds across re-openings);
// alerts found in late data are raised as retrospective, never twice.
//
// Ids are deterministic (rule, stream, opening time), and every message
// is queued before its alert is stored, with an idempotency key derived
// from the id and what the alert stores (see Key): a crash between the
// two replays into the same key, which the queue keeps once, and each
// event an office must hear has a key of its own. A collector restart judges the stored readings
// again: the transitions it replays are known by their ids and event
// times, and raise, resolve and tell nothing a second time.
package alert
