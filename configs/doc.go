// Package configs is the schema of the YAML files engineers write — agent
// configs, collector configs and the plans whose thresholds raise alerts —
// together with their strict decoding and validation.
//
// Loading a file (LoadAgent, LoadCollector, LoadPlan) reads it, parses it
// into a yaml.Node, decodes it into the Go types rejecting unknown keys and
// values of the wrong type, fills in the documented defaults and validates
// the result. Every problem found along the way is reported at once in one
// *Error, one Problem per line:
//
//	configs/examples/dust-site.yaml: sensors[0].serial.port (line 12): required
//
// A Problem's Path names the value by its YAML keys from the top, with [i]
// for list items. Its line is the line of that key or list item; a missing
// key is reported on the line where its parent mapping starts. Once a value
// has failed to decode, the checks on it and below it are skipped, so that
// one mistake is reported once. A file that cannot be read at all (it does
// not exist, say) is an ordinary wrapped error, not an *Error, and
// errors.Is(err, fs.ErrNotExist) tells the missing-file case apart.
//
// A default is applied only where the key is absent from the file (or
// null): a value written explicitly, even 0, is validated as written, so
// that "batch_max: 0" is an error rather than a silent 500. Relative file
// paths in a config (outbox.path, store.path, plans) are resolved against
// the directory of the config file.
//
// Files a config names are checked too: an agent's uplink.tls certificates
// must exist and parse (ParseOpts.SkipFiles leaves that out on a machine
// that does not hold them), and a calibration or a local alarm must name a
// quantity its sensor's driver reports (the drivers' quantities are listed
// here, beside the buses they need, since the registry is out of reach).
//
// A config is signed with ed25519 on its last line, a YAML comment (Sign,
// Verify); Hash leaves that line out, so a device reports the same hash for
// a config signed or not. DetectKind tells the three kinds of file apart
// by their keys. Every key and default is listed in docs/configuration.md,
// which a test keeps in step with the types.
//
// The sample files live beside the package: examples/collector*.yaml are
// collector configs, every other examples/*.yaml is an agent config, and
// plans/*.yaml are plans. A test loads each of them with its loader, so a
// sample that stops validating breaks the build.
//
// The package is shared by the agent and the collector, so it imports only
// the standard library, go.yaml.in/yaml/v3 and telemetry: never periph,
// and never the driver registry (the agent checks driver names itself).
package configs
