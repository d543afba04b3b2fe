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
// The collector stores by (device, seq), so a re-send is harmless.
//
// Order of sending, whenever the window has room:
//  1. the urgent lane (events), oldest first;
//  2. live data: readings committed since the current connection came up;
//  3. backlog: everything older, marked Replay, at most ReplayRate
//     readings per second so that a long outage does not crowd out live
//     data or swamp the link.
//
// One goroutine, the one running Run, owns all of the uplink's state;
// paho's callbacks only hand events to it over channels.
package uplink
