// Package alert turns rule transitions into alerts with a lifecycle
// (open → resolved), keeps them in the store, and hands each change to the
// notifier. Alert ids are deterministic: the same rule, stream and opening
// time always give the same id, so replaying readings cannot mint a
// second alert for one event.
package alert
