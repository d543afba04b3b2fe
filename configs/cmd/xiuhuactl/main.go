// Command xiuhuactl is the engineer's tool for device configs: check them,
// sign them, compare them, and deliver them to devices over MQTT or on an
// SD card, one device or a staged rollout to a group.
//
//	xiuhuactl config validate [--kind agent|collector|plan] [--skip-files] FILE...
//	xiuhuactl config keygen --out NAME
//	xiuhuactl config sign --key NAME.key [-o OUT] FILE
//	xiuhuactl config verify --trust NAME.pub FILE...
//	xiuhuactl config diff OLD NEW
//	xiuhuactl config flash --broker URL --device ID [--trust PUB] [--timeout 2m] FILE
//	xiuhuactl config flash --to PATH [--trust PUB] FILE
//	xiuhuactl config rollout --broker URL --stages 1,10%,100% [--deadline 5m] [--trust PUB] DIR
//
// See the README's "For engineers" section and docs/configuration.md.
package main

import "os"

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
