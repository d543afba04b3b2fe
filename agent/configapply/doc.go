// Package configapply runs the agent from its committed config and applies
// the configs engineers flash to the device, A/B, so that a bad config
// never leaves a device dark and no reading is lost either way.
//
// # Where configs come from
//
// An engineer flashes a config (xiuhuactl, configs/flash) by publishing it,
// retained, on the device's config topic (telemetry.ConfigTopic). The
// uplink subscribes to that topic at QoS 1 on every connection, so a
// device that was offline gets the latest config when it reconnects. An
// empty retained message means there is nothing to apply. The device
// answers each config it receives with a telemetry.ConfigStatus, retained,
// on its config status topic: the hash of the config received
// (configs.Hash, over the body without the signature line), the result,
// a reason an engineer understands, and the hash of the config it runs
// afterwards.
//
// # Checks before a trial
//
// These never touch the running config; each failure is answered
// "rejected" with its reason:
//
//   - size: at most MaxConfigBytes;
//   - signature, with a trust file (Opts.Trust, xiuhua-agent --trust): the
//     config must be signed by a trusted ed25519 key ("config is not
//     signed …", "signature does not match the config: tampered or
//     corrupted …", "config is signed by a key this device does not trust
//     (key <id>)"). The trust anchor lives outside the config, so that a
//     config cannot vouch for itself;
//   - it parses and validates (its first problems, one per line);
//   - device.id is the running one's;
//   - outbox.path is the running one's: a flash must not orphan the
//     readings waiting on disk;
//   - every driver it names is known to this agent.
//
// A config whose hash is the running one's is answered "applied" again
// without a restart: the retained config arrives again on every
// reconnect. A config that was rolled back is answered "rolled_back" again
// with its reason and never tried again: the rolled-back hashes are kept
// on disk, so a retained bad config is not retried after a reboot either.
// (To try the same config again after fixing its cause, change it; a
// comment will do.) Rejected configs are checked again each time instead of
// remembered: the checks are cheap and touch nothing, and a config
// rejected for an unknown key must pass once it is signed again with a
// trusted one, which does not change its hash.
//
// # The trial
//
// Slot A is the committed config, the file at Opts.Path. Slot B is the
// file beside it with SuffixNext, and the state file (SuffixState) records
// the trial: "trying B (hash, since)". Both are written atomically (a
// temporary file, fsync, rename, fsync of the directory).
//
//  1. Slot B and the trial are written; the device answers "applying".
//  2. The running pipeline stops cleanly: its samplers stop, its uplink
//     says goodbye, its outbox closes. Every committed reading stays on
//     disk, in the outbox both configs share.
//  3. A pipeline starts from slot B and must pass its health check within
//     Opts.Deadline: every configured sensor has given at least one
//     reading of good quality, and the uplink is connected to its broker.
//     A batch acknowledged by the collector is not asked for: a collector
//     outage is not the config's fault.
//  4. Pass: slot B is renamed over slot A, the trial is taken off record,
//     and the device answers "applied", running the new hash.
//  5. Fail: B's pipeline stops, slot A's starts again, and the device
//     answers "rolled_back" with every failure, such as
//     `sensor "level" (ultrasonic on /dev/ttyS9) gave no reading within
//     30s: …` or `uplink did not connect to tcp://…: …`.
//
// Answers go through the uplink that is running, once it is connected:
// after a rollback from a config naming a bad broker, slot A's. The
// outbox is the same file throughout, with one sequence, and the uplink
// deletes only what the collector acknowledged, so no reading is lost or
// duplicated across a trial, a commit or a rollback.
//
// If the agent dies during a trial (a power cut), the next boot finds the
// trial on record. It never boots from slot B: if slot A already has the
// trial's hash, the commit's rename happened and the answer is "applied";
// otherwise it is "rolled_back" with ReasonRestarted. At boot with a trust
// file, a slot A that is not signed by a trusted key is refused (New's
// error; the command exits with status 2).
package configapply
