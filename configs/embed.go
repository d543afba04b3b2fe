package configs

import "embed"

// Plans holds the plan files shipped in configs/plans, so that a binary
// (the demo, an engineer's tool) has them without a checkout. Read them
// with fs.ReadFile(Plans, "plans/<name>.yaml").
//
//go:embed plans/*.yaml
var Plans embed.FS
