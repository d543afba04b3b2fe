// Package notify delivers alert messages to the offices' channels: every
// message goes to the collector's log at once, and to each webhook whose
// office filter matches, as JSON, with an Idempotency-Key header so that a
// receiver can drop the repeats that retries may cause.
//
// Each webhook has its own queue and goroutine, so a slow or dead endpoint
// delays only itself; delivery to one endpoint keeps message order.
// Transient failures (network errors, 408, 429, 5xx) are retried with
// capped, jittered backoff until delivered or the collector stops; other
// 4xx answers are permanent and logged. Queues live in memory: messages
// still queued when the collector stops are lost (a durable notification
// outbox is planned with the full alert engine).
package notify
