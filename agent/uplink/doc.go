// Package uplink sends the outbox's records to the collector over MQTT and
// deletes them only once the collector acknowledges that it stored them.
//
// The guarantee is end to end. Neither paho's token completion (tokens
// complete on disconnect), nor its store (its FileStore does not fsync and
// is wiped with CleanSession), nor the broker's PUBACK (Mosquitto keeps
// nothing by default) means a reading is safe. So the uplink keeps a small
// window of batches in flight and treats every one as unsent until an ack
// for its sequence numbers arrives on the device's ack topic. When the
// oldest batch waits longer than the ack timeout, or the connection drops
// and comes back, it sends again from the oldest entry still in the outbox.
// The collector stores by (device, seq), so a re-send is harmless. Ack
// timeouts in a row back off (double, up to 8×, jittered) until an ack
// comes, so that a slow collector is not sent the whole window again and
// again.
//
// Every batch carries the outbox's incarnation (outbox.Outbox.Incarnation)
// and the collector echoes it in the ack. An ack with another incarnation
// is for another outbox of the same device id (the board this one
// replaced, or a second board given the same id): its sequence numbers
// name that outbox's readings, so the uplink ignores it and counts it in
// Stats.ForeignAcks rather than delete readings the collector never got.
//
// Order of sending, whenever the window has room:
//  1. the urgent lane (events), oldest first;
//  2. live data: readings committed since the current connection came up;
//  3. backlog: everything older, marked Replay, at most ReplayRate
//     readings per second so that a long outage does not crowd out live
//     data or swamp the link.
//
// Connection attempts are paced by the uplink, not by paho, whose waits
// have no jitter (a broker restart would have every device come back at
// the same instant): before each attempt but a fresh start's first, it
// waits a random time in [0, bound], the bound doubling from 1 s up to
// Opts.ConnectRetry and starting again only after a connection that lasted
// that long (reconnect.go).
//
// One goroutine, the one running Run, owns all of the uplink's state;
// paho's callbacks only hand events to it over channels.
package uplink
