// Package all registers every driver in this module with drivers/sensor.
// Import it for its side effects, from main packages only:
//
//	import _ "github.com/xiuhua/xiuhua/drivers/all"
//
// Each driver sits in its own file behind a build tag, so that a slim
// build for a small board can leave one out: go build -tags no_pms5003.
package all
